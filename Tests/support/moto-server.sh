#!/usr/bin/env bash
# Runs moto_server (a local S3) for the S3 tests: `moto-server.sh PORT`.
#
# Prints "ready" once the server accepts connections on 127.0.0.1:PORT, then keeps it running until
# its own stdin closes. The tests hold that stdin open and close it to stop the server; if the test
# process dies instead, the pipe closes all the same, so no server outlives its tests. The server is
# then killed and waited for, so the port is free when this exits.
set -euo pipefail

port="${1:?usage: moto-server.sh PORT}"
if ! command -v moto_server >/dev/null 2>&1; then
  echo "moto_server is not on PATH: install it with pip install 'moto[server]' (CI must)" >&2
  exit 127
fi

moto_server -p "$port" -H 127.0.0.1 >"${MOTO_SERVER_LOG:-/dev/null}" 2>&1 &
pid=$!
# SIGKILL, not SIGTERM: test runners start us from threads that block most signals, and a blocked
# mask is inherited, so moto would never see a TERM.
stop() {
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
trap stop EXIT

# Up to 30 s: a cold Python start on a busy CI host can take several seconds.
for _ in $(seq 1 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "moto_server exited before it was ready (port $port taken?)" >&2
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo ready
    cat >/dev/null || true
    exit 0
  fi
  sleep 0.1
done
echo "moto_server did not answer on port $port within 30 s" >&2
exit 1
