#!/bin/sh
# Runs a command with the pinned Node major first on PATH (see setup-node.sh), so `make test`,
# `make run` and `make bench` use Node 26 even where the machine's own `node` is older; child
# processes spawned by the tests (gateways, CLIs) inherit it.
set -eu
dir=$("$(dirname "$0")/setup-node.sh")
if [ -n "$dir" ]; then PATH="$dir:$PATH"; export PATH; fi
exec "$@"
