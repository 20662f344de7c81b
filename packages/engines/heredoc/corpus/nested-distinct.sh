# corpus: valid
cat <<OUTER
outer $(cat <<INNER
inner
INNER
)
OUTER
echo DONE
