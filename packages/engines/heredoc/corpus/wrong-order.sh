# corpus: invalid HD010
paste /dev/fd/3 /dev/fd/4 3<<ONE 4<<TWO
second
TWO
first
ONE
echo DONE
