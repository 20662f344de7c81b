# corpus: invalid HD016
# The body is written to a file (cat, not a shell), so no nested-script rule applies; the second EOF still runs
# as a command, and so does the line before it.
cat > deploy.sh <<EOF
cat > app.env <<EOF
PORT=8000
EOF
chmod +x deploy.sh
EOF
echo DONE
