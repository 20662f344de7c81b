#!/bin/sh
# Stops the container that publishes the ports (one deployed with strategy replace) and starts the proxy in
# its place, as one remote unit: if the proxy cannot start, the old container starts again, so the port is
# never left empty for longer than the hand-over, whatever happens to the runner.
# Arguments: holder stop-seconds, then the argv that starts the proxy.
holder=$1; stop_seconds=$2; shift 2
docker container stop --time "$stop_seconds" "$holder" >/dev/null
if "$@"; then exit 0; fi
docker container start "$holder" >/dev/null
exit 1
