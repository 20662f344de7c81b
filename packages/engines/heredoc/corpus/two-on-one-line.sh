# corpus: valid
paste /dev/fd/3 /dev/fd/4 3<<ONE 4<<TWO
first
ONE
second
TWO
echo DONE
