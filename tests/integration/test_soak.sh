#!/usr/bin/env bash
# The soak of scripts/soak.sh, short: 45 seconds of mixed traffic through
# the forwarder, every byte checked, the forwarder's RSS flat.
set -euo pipefail
if [ "$(id -u)" -ne 0 ] || ! unshare --mount --net true 2>/dev/null; then
  echo "skipped: needs root for namespaces"
  exit 77
fi
[ -e /dev/net/tun ] || { echo "skipped: no /dev/net/tun"; exit 77; }
build=$(cd "$TUN_TESTS_DIR/.." && pwd)
SOAK_INTERVAL=5 TUN_BUILD_DIR=$build \
  bash "$(dirname "$0")/../../scripts/soak.sh" 45
