# corpus: invalid HD005
cat <<EOF
body
EOF;
echo after
echo DONE
