# corpus: valid
GITHUB_OUTPUT=$(mktemp)
echo "notes<<EOF" >> "$GITHUB_OUTPUT"
echo "line one" >> "$GITHUB_OUTPUT"
echo "EOF" >> "$GITHUB_OUTPUT"
printf '%s<<%s\n' body DELIM >> "$GITHUB_OUTPUT"
echo DELIM >> "$GITHUB_OUTPUT"
echo DONE
