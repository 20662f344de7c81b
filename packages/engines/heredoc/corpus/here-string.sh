# corpus: valid
cat <<< "not a heredoc"
cat <<<EOF
echo DONE
