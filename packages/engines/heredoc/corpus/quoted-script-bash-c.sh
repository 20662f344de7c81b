# corpus: invalid HD004
# The outer shell sees one quoted word; the bash that -c starts reads the heredoc, and the comment after its
# terminator keeps it from ending: that bash warns and echo inner never runs.
bash -c 'cat <<EOF > inner.txt
written
EOF # end of file
echo inner > ran.txt'
test -f ran.txt
echo DONE
