#!/bin/sh
# Runs one docker command with registry credentials, which never reach the host's disk (hostCommands.loginAndPull,
# hostCommands.loginAndStackDeploy). Arguments: folder-prefix username registry-auth-key docker-argument...; the
# password is stdin's first line, and the rest of stdin is the command's. docker gets a config whose config.json is
# a named pipe (mode 600, in a private folder named after this unit's pid), written once from memory while the
# command reads it. A kill at any moment leaves at most an empty pipe, which the EXIT
# trap, a watcher detached before the folder exists, or the next deploy's sweep removes; the watcher also
# ends a writer still waiting for a reader.
set -e
dir="${TMPDIR:-/tmp}/$1$$"; shift
( ( while kill -0 "$$" 2>/dev/null; do sleep 1; done
    [ -s "$dir/writer" ] && kill "$(cat "$dir/writer")" 2>/dev/null; rm -rf "$dir" ) </dev/null >/dev/null 2>&1 & )
IFS= read -r password || [ -n "$password" ]
mkdir -m 700 "$dir"
trap '[ -s "$dir/writer" ] && kill "$(cat "$dir/writer")" 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 129' HUP INT TERM PIPE
mkfifo -m 600 "$dir/config.json"
auth=$(printf "%s:%s" "$1" "$password" | base64 | tr -d "\n")
# The writer names itself in $dir/writer only while it may block, so nothing ever kills a reused pid.
( until [ -s "$dir/writer" ]; do sleep 0.01; done
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$2" "$auth" > "$dir/config.json"; rm -f "$dir/writer" ) &
echo $! > "$dir/writer"
unset password auth
shift 2
docker --config "$dir" "$@"
