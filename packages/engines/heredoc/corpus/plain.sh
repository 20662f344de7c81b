# corpus: valid
cat <<EOF
hello $USER
EOF
echo DONE
