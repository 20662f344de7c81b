#!/bin/sh
# Puts a checked proxy config in place and reloads the proxy, as one remote unit: once the rename has
# happened, the reload follows even if the runner or the SSH session dies.
# Arguments: next-config live-config, then the argv that reloads the proxy.
next=$1; live=$2; shift 2
mv -f "$next" "$live" && exec "$@" >/dev/null
