# corpus: valid
cat <<'EOF'
literal $HOME `date`
EOF
echo DONE
