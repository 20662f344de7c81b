# corpus: invalid HD008
cat <<EOF
body
eof
echo after
echo DONE
