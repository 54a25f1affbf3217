#!/usr/bin/env bash
# The README's first command: install what is missing, build the visit counter and serve it.
#
#   tools/demo.sh [--host 127.0.0.1] [--port 8000] [--store sqlite:sessions.db] [--secret-key-file FILE]
#
# Sessions go to ./sessions.db (SQLite, Django's django_session table and signed format) unless
# --store says otherwise. Run as root on Debian 12 or Ubuntu (apt-get installs the build
# dependencies once). Ctrl-C stops the server.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SESSIONS_BUILD_ROOT:-$ROOT/build}/demo

PACKAGES=(build-essential cmake ninja-build pkgconf nlohmann-json3-dev libxxhash-dev libssl-dev zlib1g-dev
          libcpp-httplib-dev libsqlite3-dev)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "==> installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSESSIONS_BUILD_TESTS=OFF \
  -DSESSIONS_BUILD_EXAMPLES=ON -DSESSIONS_WITH_SQLITE=ON > /dev/null
cmake --build "$BUILD" --target visit_counter
echo "==> serving the visit counter; stop it with Ctrl-C"
exec "$BUILD/examples/visit_counter/visit_counter" "$@"
