# corpus: valid
# A body that is text, not a script, may mention a heredoc: cat writes it, and the first EOF line ends it as meant.
cat <<'EOF' > usage.txt
Write a file with: cat > file <<EOF
EOF
echo DONE
