# corpus: valid
cat <<EOF | grep -c line
line one
line two
EOF
echo DONE
