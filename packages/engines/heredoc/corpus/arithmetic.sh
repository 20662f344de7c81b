# corpus: valid
echo $((1<<3))
(( x = 1 << 2 ))
echo "$x"
echo DONE
