# corpus: valid
greet() {
  cat <<EOF
hello from a function
EOF
}
greet
echo DONE
