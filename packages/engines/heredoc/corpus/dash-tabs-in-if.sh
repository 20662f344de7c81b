# corpus: valid
if true; then
	cat <<-EOF
		indented body
	EOF
fi
echo DONE
