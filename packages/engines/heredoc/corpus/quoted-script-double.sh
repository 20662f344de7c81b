# corpus: invalid HD001
# A double-quoted script, as given to ssh host "…"; here bash -c stands in for the remote shell.
port=8000
bash -c "
  cat > app.conf <<EOF
  port=$port
  EOF
  echo configured > ran.txt
"
test -f ran.txt
echo DONE
