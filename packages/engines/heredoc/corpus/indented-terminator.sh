# corpus: invalid HD001
cat <<EOF
body
  EOF
echo after
echo DONE
