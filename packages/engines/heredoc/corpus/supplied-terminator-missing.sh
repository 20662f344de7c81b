# corpus: invalid HD017
# The first heredoc has no terminator of its own; the second one's EOF ends it, so the lines between,
# the second heredoc's opening included, are its body: b.txt is never written. bash -n sees nothing wrong.
cat <<EOF > a.txt
first
cat <<EOF > b.txt
second
EOF
test -f b.txt
echo DONE
