# corpus: valid
cat <<EOF
  EOF
still body
EOF
echo DONE
