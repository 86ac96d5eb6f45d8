#!/bin/sh
# Installs what the small real cloud around the namespace cluster needs
# (ocf-tests/cluster/cloud.sh): Neutron's server with its ML2/OVN driver and the sync
# util, MariaDB for the Neutron DB, Open vSwitch and ovn-controller for the compute hosts.
# Debian 12 packages; ~200 packages, ~370 MB, ~90 s the first time. Optional: `make test`
# without the cloud does not need it (ocf-tests/deps.sh CLOUD=1 runs it).
#
# Idempotent and safe to run twice: installs only what is missing. No service is started
# by the packages (a policy-rc.d that answers 101 is put in place for the install when
# none is there, and removed again), and neutron-common's dbconfig does not try to set up
# a database. Nothing is configured on the host: cloud.sh writes its own config files and
# starts its own daemons inside the cluster's namespaces.
set -eu

PKGS="neutron-server neutron-common mariadb-server mariadb-client python3-pymysql
openvswitch-switch openvswitch-common ovn-host ovn-common iputils-ping"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "cloud-deps: ok"
    exit 0
fi

echo "cloud-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
POLICY=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\n# cloud-deps.sh: no service starts during the install\nexit 101\n' >"$POLICY"
    chmod 0755 "$POLICY"
    ours=1
    trap 'rm -f "$POLICY"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
fi
echo 'neutron-common neutron-common/dbconfig-install boolean false' | debconf-set-selections
# An old package list may no longer name the current versions.
apt-get -o DPkg::Lock::Timeout=300 update -qq
# shellcheck disable=SC2086 # one word per package
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >/dev/null
[ $ours = 0 ] || echo "cloud-deps: policy-rc.d removed again"
echo "cloud-deps: ok"
