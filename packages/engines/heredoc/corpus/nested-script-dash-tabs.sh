# corpus: valid
# An outer << (no dash) is not ended by a tab-indented EOF; the inner <<- is, inside the script.
bash <<EOF
cat > app.env <<-EOF
	PORT=8000
	EOF
echo restarted
EOF
echo DONE
