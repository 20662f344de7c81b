# corpus: valid
# cat <<EOF is only a comment
echo 'a <<EOF in quotes'
echo DONE
