# corpus: valid
cat <<"EOF"
literal $HOME
EOF
echo DONE
