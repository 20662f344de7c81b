# corpus: valid
while read -r line; do
  echo "got $line"
done <<EOF
a
b
EOF
echo DONE
