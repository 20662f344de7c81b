# corpus: valid
cat <<-'EOF'
	body $HOME
	EOF
echo DONE
