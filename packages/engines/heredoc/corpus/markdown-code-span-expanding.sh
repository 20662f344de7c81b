# corpus: invalid HD019
# The body needs $version expanded, so the fix escapes the backticks rather than quoting the delimiter.
version=1.4
cat > RELEASE.md <<EOF
Version $version: run `touch INJECTED` before upgrading.
EOF
grep -q 'touch INJECTED' RELEASE.md
echo DONE
