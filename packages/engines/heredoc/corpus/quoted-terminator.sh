# corpus: invalid HD006
cat <<'EOF'
body
'EOF'
echo after
echo DONE
