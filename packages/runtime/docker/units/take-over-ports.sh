#!/bin/sh
# Stops the container that publishes the ports (one deployed with strategy replace, an nginx proxy of an
# earlier version, or an edge of another image or ports) and starts the edge in its place, as one remote unit.
# The edge is created first, while the holder still serves, so the ports are unserved only from the holder's
# stop to the edge's start. If the edge cannot be created or started, whatever it left is removed and the
# holder starts again under its own name. The work runs in a worker detached (double fork) before anything
# changes, so a runner or SSH session that dies, even with its whole process tree, never leaves it half done;
# this shell only relays the worker's stderr and exit code.
# Arguments: holder stop-seconds retire-as proxy, then the argv that creates the proxy. retire-as, when not
# empty, is the holder's name while it steps aside (it has the proxy's name).
holder=$1; stop_seconds=$2; retire_as=$3; proxy=$4; shift 4
state=$(mktemp -d)
relay=$$
( (
  finish() {
    echo "$1" > "$state/code.new" && mv "$state/code.new" "$state/code"
    # Nobody left to read it: the relay died with its session.
    sleep 2; kill -0 "$relay" 2>/dev/null || rm -rf "$state"
    exit "$1"
  }
  give_back() {
    docker container rm --force "$proxy" >/dev/null 2>&1
    if [ -n "$retire_as" ]; then docker container rename "$retire_as" "$holder"; fi
    docker container start "$holder" >/dev/null
    finish 1
  }
  stopped=$holder
  if [ -n "$retire_as" ]; then docker container rename "$holder" "$retire_as" || finish 1; stopped=$retire_as; fi
  "$@" >/dev/null || give_back
  docker container stop --time "$stop_seconds" "$stopped" >/dev/null
  docker container start "$proxy" >/dev/null || give_back
  finish 0
) </dev/null >/dev/null 2>"$state/stderr" & )
while [ ! -e "$state/code" ]; do sleep 0.1; done
code=$(cat "$state/code"); cat "$state/stderr" >&2; rm -rf "$state"; exit "$code"
