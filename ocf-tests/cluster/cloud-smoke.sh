#!/bin/bash
# The cloud around shape A, end to end (issue 12's groundwork): cluster up, README's shape
# A, cloud.sh up + populate + vms, then two windows:
#   steady    CLOUD_STEADY seconds (default 30) of nothing
#   standby   `pcs node standby` of the active node, until CLOUD_AFTER seconds (default
#             15) after the group runs on the other node
# and, after those, a port created through the Neutron API must be in NB (the new node's).
# Each must lose no ping between the VMs, keep the flow count on br-int at or above its
# level before the window, and keep ovn-controller alive and connected to the SB. One RESULT line per window with
# the figures, the cloud's CLOUD_* lines, a last line "cloud-smoke: N passed, M failed".
# Cluster and cloud are torn down on every exit (logs to target/cloud-smoke-logs/<ts> on
# failure). Run it alone: one namespace cluster at a time on a machine.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"   # harness.sh, C (cluster.sh), kv, cloud_verdict
K=$HERE/cloud.sh
LOGS=$HERE/../../target/cloud-smoke-logs/$(date +%Y%m%dT%H%M%S)

teardown() {
    if [ "$RC" != 0 ] || [ "$FAILED" != 0 ]; then
        "$K" down --save-logs "$LOGS/cloud" || RC=1
        "$C" down --save-logs "$LOGS/cluster" || RC=1
    else
        "$K" down || RC=1
        "$C" down || RC=1
    fi
}
tally_at_exit --many
at_exit teardown

# NAME REPORT (the CLOUD_* lines) [EXTRA]: one RESULT line for the window.
judge() {
    local name=$1 rep=$2 extra=${3:-}
    echo "$rep"
    cloud_verdict "$rep"
    if [ -z "$CLOUD_WHY" ]; then
        result "$name" PASS "${extra}$CLOUD_DETAIL"
    else
        result "$name" FAIL "${CLOUD_WHY}${extra}$CLOUD_DETAIL"
    fi
}

"$C" up
"$C" shape A >/dev/null
"$K" up
"$K" populate
"$K" vms

"$K" sample-start steady
sleep "${CLOUD_STEADY:-30}"
judge cloud-steady "$("$K" sample-stop steady)"

active=$("$C" wait-group ovn 10)
"$K" sample-start standby
t0=$(now)
"$C" exec "$active" pcs node standby "$active" >/dev/null
new=$("$C" wait-group ovn --not "$active" 60)
moved=$(since "$t0")
sleep "${CLOUD_AFTER:-15}"
judge cloud-standby "$("$K" sample-stop standby)" "standby $active → group ovn on $new after $moved s; "
# Neutron reaches NB through the VIP on the new node: a port created through the API is
# a Logical_Switch_Port there.
lsp=
if out=$("$K" port after-standby) && id=$(kv id "$out") &&
    lsp=$("$C" client ovn-nbctl --db="tcp:$VIP:$NB_PORT" --timeout=10 get Logical_Switch_Port "$id" name 2>&1) &&
    [ "$(tr -d '"' <<<"$lsp")" = "$id" ]; then
    result cloud-api-after PASS "port $id created through the API in $(kv secs "$out") s is in NB on $new"
else
    result cloud-api-after FAIL "port through the API after the standby: ${out:-} / $lsp"
fi
"$K" report all
