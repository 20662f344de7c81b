# corpus: invalid HD003
cat <<EOF
body
EOF  
echo after
echo DONE
