# corpus: valid
cat <<E"OF"
literal $HOME
EOF
echo DONE
