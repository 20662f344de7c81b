# corpus: valid
cat << EOF
spaced
EOF
echo DONE
