# corpus: invalid HD001
if true; then
  cat <<EOF
body
  EOF
fi
echo DONE
