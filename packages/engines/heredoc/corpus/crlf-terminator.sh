# corpus: invalid HD007
cat <<EOF
body
EOF
echo after
echo DONE
