# corpus: valid
cat <<END-OF-TEXT
body
END-OF-TEXT
echo DONE
