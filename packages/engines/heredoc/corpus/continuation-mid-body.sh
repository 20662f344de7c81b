# corpus: valid
cat <<EOF
first \
second
EOF
echo DONE
