# corpus: invalid HD002
cat <<-EOF
	body
    EOF
echo after
echo DONE
