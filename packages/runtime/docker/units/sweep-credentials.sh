#!/bin/sh
# Removes credential folders (with-registry-login.sh) whose unit is gone, the pid in the name not alive: left by a
# host that went down mid-pull, or by versions that kept them for the whole deploy (random names, an hour
# old). Prints each folder it removed. Argument: the folders' name prefix.
prefix=$1
for dir in "${TMPDIR:-/tmp}/$prefix"*; do
  if ! [ -d "$dir" ] || ! [ -O "$dir" ]; then continue; fi
  pid=${dir##*.}
  case "$pid" in
    *[!0-9]*) [ -n "$(find "$dir" -maxdepth 0 -mmin +1)" ] || continue ;;
    *) ! kill -0 "$pid" 2>/dev/null || continue ;;
  esac
  rm -rf "$dir" && echo "$dir"
done
