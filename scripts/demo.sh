#!/bin/sh
# SPDX-License-Identifier: ISC
#
# The main job, from nothing: installs the Debian packages, builds bulwark
# (optimised, RelWithDebInfo) in build/release and runs `bulwark demo`, which starts two
# gateways in two network namespaces and shows ping and TCP crossing their
# ESP tunnel. Arguments go to `bulwark demo` (e.g. --enc chacha20-poly1305
# --udp --esn). Needs root. Exits with the demo's status.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build/release"
JOBS=$(nproc 2>/dev/null || echo 2)

"$ROOT/scripts/install-deps.sh"
echo "demo: building bulwark in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBW_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target bulwark >/dev/null
exec "$BUILD/src/cli/bulwark" demo "$@"
