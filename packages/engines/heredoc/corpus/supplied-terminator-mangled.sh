# corpus: invalid HD017
# A mangled terminator ("EOF_") is body; the heredoc in the $( ) below ends the first one instead.
cat <<EOF > a.txt
first
EOF_
value=$(cat <<EOF
second
EOF
)
test "$value" = second
echo DONE
