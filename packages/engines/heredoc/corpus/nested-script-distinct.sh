# corpus: valid
# The same shape with distinct delimiters: the inner heredoc ends inside the outer script.
bash <<EOF
cat > app.env <<ENVFILE
PORT=8000
ENVFILE
echo restarted
EOF
echo DONE
