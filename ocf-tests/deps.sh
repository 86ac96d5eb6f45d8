#!/bin/sh
# Installs what building and testing ovn-ocf needs on Debian 12, idempotently:
# the real daemons and tools the tests run against, what builds and checks the packages
# (debhelper, rpm, man-db, lintian: make package-test), the malloc libraries the
# allocator parameter is tested and measured with, and checks for a Rust toolchain.
set -eu

PKGS="ovn-central openvswitch-common pacemaker pacemaker-cli-utils corosync pcs
resource-agents fence-agents libxml2-utils hyperfine strace iproute2 procps openssl kmod
debhelper dpkg-dev rpm man-db groff-base lintian git libtcmalloc-minimal4 libjemalloc2"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    # shellcheck disable=SC2086
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
fi

# Optional: the small real cloud of ocf-tests/cluster/cloud.sh (Neutron, MariaDB, Open
# vSwitch, ovn-controller; ~90 s the first time), only with CLOUD=1.
if [ "${CLOUD:-0}" = 1 ]; then
    "$(dirname "$0")/cloud-deps.sh"
fi

# Debian's ovn-central does not start anything here (no systemd), but make sure no
# packaged ovsdb-server/northd was started by the install on a systemd machine.
command -v cargo >/dev/null 2>&1 || {
    # rustup installs under ~/.cargo/bin; make it visible if present.
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        echo "deps: cargo is in $HOME/.cargo/bin but not on PATH; add it to PATH" >&2
    else
        echo "deps: no Rust toolchain (cargo) found; install rustup's stable toolchain" >&2
    fi
    exit 1
}
echo "deps: ok"
