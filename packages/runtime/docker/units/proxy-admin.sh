#!/bin/sh
# Sends commands to HAProxy's runtime API, from inside the proxy container, where the API listens on
# loopback only (no app container can reach it). socat where the image has it, else bash's /dev/tcp (the
# Debian-based HAProxy images have bash), else nc (busybox's, in Alpine-based ones). HAProxy answers and
# closes the connection.
# Arguments: the API's port, then the commands (one line, separated by ';').
port=$1; commands=$2
if command -v socat >/dev/null 2>&1; then
  printf '%s\n' "$commands" | exec socat -t 5 stdio "tcp4:127.0.0.1:$port"
fi
if command -v bash >/dev/null 2>&1; then
  # shellcheck disable=SC2016 # $1 and $2 are bash's own arguments, expanded there
  exec bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "%s\n" "$2" >&3 && exec cat <&3' proxy-admin "$port" "$commands"
fi
printf '%s\n' "$commands" | exec nc 127.0.0.1 "$port"
