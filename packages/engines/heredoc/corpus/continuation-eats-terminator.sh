# corpus: invalid HD012
cat <<EOF
last line \
EOF
echo after
echo DONE
