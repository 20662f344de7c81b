#!/bin/sh
# Strategy replace as one remote unit that restores by itself (hostCommands.guardedReplace).
# Arguments: name previous unit-lock stop-seconds stop-failed start-failed lock-failed, then the argv that
# starts the new container. A worker, detached (double fork) before anything changes, stops the running
# container (kept as `previous`), starts the new one and waits for a verdict on stdin, which it holds:
# `commit` keeps the new container, `keep` leaves both as they are (rollback off); `restore`, anything else,
# or stdin closing because the runner or the connection died, puts the previous container back (on a first
# deploy: removes the unverified new one). This shell only relays: `started <id>` once the new container
# runs, then the worker's exit code.
name=$1; previous=$2; unit=$3; stop_seconds=$4; stop_failed=$5; start_failed=$6; lock_failed=$7; shift 7
state=$(mktemp -d)
exec 3<&0
( (
  restore() {
    docker container rm --force "$name" >/dev/null 2>&1
    if [ -n "$had_previous" ]; then docker container rename "$previous" "$name" && docker container start "$name" >/dev/null; fi
  }
  finish() { echo "$1" > "$state/code.new" && mv "$state/code.new" "$state/code"; exit "$1"; }
  # Held until the worker exits. It is free now (this deploy waited for it with the deploy lock); a later
  # deploy waits for it (holdLock) if this worker is still restoring after its runner died.
  if ! { exec 9>"$unit" && flock --wait 30 9; }; then finish "$lock_failed"; fi
  had_previous=
  if docker container inspect "$name" >/dev/null 2>&1; then
    if ! { docker container stop --time "$stop_seconds" "$name" >/dev/null && docker container rename "$name" "$previous"; }; then
      finish "$stop_failed"
    fi
    had_previous=1
  fi
  if ! id=$("$@" </dev/null); then restore; finish "$start_failed"; fi
  echo "$id" > "$state/started"
  verdict=; read -r verdict || true
  case "$verdict" in commit|keep) finish 0 ;; esac
  restore; finish $?
) <&3 >/dev/null 2>"$state/stderr" & )
exec 3<&- 0</dev/null
while [ ! -e "$state/started" ] && [ ! -e "$state/code" ]; do sleep 0.1; done
[ -e "$state/started" ] && echo "started $(cat "$state/started")"
while [ ! -e "$state/code" ]; do sleep 0.2; done
code=$(cat "$state/code"); cat "$state/stderr" >&2; rm -rf "$state"; exit "$code"
