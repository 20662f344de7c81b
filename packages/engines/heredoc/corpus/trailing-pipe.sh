# corpus: invalid HD005
cat <<EOF
body
EOF | cat
echo after
echo DONE
