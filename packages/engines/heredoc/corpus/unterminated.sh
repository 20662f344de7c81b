# corpus: invalid HD009
cat <<EOF
body
echo never runs
echo DONE
