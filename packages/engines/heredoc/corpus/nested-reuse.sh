# corpus: invalid HD013
cat <<EOF
outer $(cat <<EOF
inner
EOF
)
EOF
echo DONE
