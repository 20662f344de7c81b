# corpus: invalid HD014 dash=invalid
value=$(cat <<EOF
body
EOF)
echo "$value"
echo DONE
