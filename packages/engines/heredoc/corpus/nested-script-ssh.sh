# corpus: invalid HD015
# ssh with no remote command runs its standard input in a shell on the host; here a function stands in for it.
ssh() { bash -s; }
ssh deploy@app1 <<'REMOTE'
set -e
cat > /tmp/golden-nested.conf <<'REMOTE'
listen 8000;
REMOTE
echo configured
REMOTE
echo DONE
