# corpus: invalid HD004
cat <<EOF
body
EOF # end
echo after
echo DONE
