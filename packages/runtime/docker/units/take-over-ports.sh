#!/bin/sh
# Stops the container that publishes the ports (one deployed with strategy replace, or an nginx proxy of an
# earlier version) and starts the edge in its place, as one remote unit. The edge is created first, while
# the holder still serves, so the ports are unserved only from the holder's stop to the edge's start. If the
# edge cannot be created or started, whatever it left is removed and the holder starts again under its own
# name, whatever happens to the runner.
# Arguments: holder stop-seconds retire-as proxy, then the argv that creates the proxy. retire-as, when not
# empty, is the holder's name while it steps aside (it has the proxy's name).
holder=$1; stop_seconds=$2; retire_as=$3; proxy=$4; shift 4
stopped=$holder
if [ -n "$retire_as" ]; then docker container rename "$holder" "$retire_as" || exit 1; stopped=$retire_as; fi
give_back() {
  docker container rm --force "$proxy" >/dev/null 2>&1
  if [ -n "$retire_as" ]; then docker container rename "$retire_as" "$holder"; fi
  docker container start "$holder" >/dev/null
  exit 1
}
"$@" >/dev/null || give_back
docker container stop --time "$stop_seconds" "$stopped" >/dev/null
docker container start "$proxy" >/dev/null || give_back
