#!/bin/sh
# Puts a checked edge config in place and then applies it (runtime commands, or a reload), as one remote
# unit: once the rename has happened, the rest follows even if the runner or the SSH session dies.
# Arguments: next-config live-config, then the argv that applies it; its output is this unit's.
next=$1; live=$2; shift 2
mv -f "$next" "$live" && exec "$@"
