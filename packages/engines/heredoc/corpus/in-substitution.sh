# corpus: valid
value=$(cat <<EOF
from a substitution
EOF
)
echo "$value"
echo DONE
