# corpus: valid
cat <<'EOF'
kept \
EOF
echo DONE
