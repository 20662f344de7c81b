# corpus: invalid HD009
if true; then
  cat <<EOF
body
fi
echo DONE
