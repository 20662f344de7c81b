# corpus: valid
# A heredoc inside a -c script, correctly ended; an apostrophe in a heredoc body and a << in echoed text are
# not scripts.
bash -c 'cat <<EOF > inner.txt
written
EOF
echo inner > ran.txt'
cat <<EOF > notes.txt
it's the outer body: bash -c 'cat <<X'
EOF
echo "don't <<EOF here"
test -f ran.txt
echo DONE
