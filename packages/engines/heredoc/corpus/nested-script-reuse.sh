# corpus: invalid HD015
# A deploy script fed to a shell holds a heredoc with the same delimiter: bash ends the outer heredoc at the
# inner EOF, runs the restart here instead of in the inner shell, then runs "EOF" as a command.
bash <<EOF
cat > app.env <<EOF
PORT=8000
EOF
echo restarted
EOF
echo DONE
