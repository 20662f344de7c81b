#!/bin/sh
# corpus: valid dash=valid
cat <<EOF
posix
EOF
echo DONE
