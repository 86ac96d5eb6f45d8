#!/bin/bash
# README's "Migrate from ovndb-servers.ocf", run in the namespace cluster (2 nodes):
#
#   1. OVN's own agent as OVN documents it (promotable clone + VIP, pcs 0.11; the same
#      commands as `make bench`'s failover figure), databases in each node's /var/lib/ovn;
#      SB and NB rows written through the VIP;
#   2. README's steps: note the promoted node; disable and delete the incumbent's
#      resources; on that node mount the LUN by hand, copy both files, `ovn-ocf check`
#      them, unmount; README's shape A (verbatim, cluster.sh shape A);
#   3. asserts: every row written through the incumbent is served through the VIP by
#      ovn-ocf, the repair attribute says `clean` (the copied files verified), no failed
#      actions.
# MIGRATE_SHAPE=D: README's "To shape D instead" (no LUN, the same /var/lib/ovn files):
#   its recipe blocks verbatim (migrate-d-on-p on the promoted node, migrate-d-on-others
#   on the other), README's shape D; asserts as above, plus: the promoted node is the
#   incumbent's promoted one, the other replicates from it, the incumbent's replica files
#   are kept aside.
# Teardown on every exit. Prints one result line.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOGS=${SCENARIO_LOGS:-$HERE/../../target/cluster-scenario-logs}/migrate-$(date +%Y%m%dT%H%M%S)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

teardown() {
    if [ "$RC" != 0 ]; then
        "$C" status >&2 || true
        "$C" down --save-logs "$LOGS" || true
    else
        "$C" down || RC=1
    fi
}
tally_at_exit --one
at_exit teardown

# Until CMD (a function) succeeds, at most SECS.
until_ok() {
    local secs=$1 t0=$EPOCHREALTIME
    shift
    until "$@"; do
        past "$t0" "$secs" && return 1
        sleep 0.2
    done
}

transact() {  # DB-PORT OPS-JSON: through the VIP; fails on an error reply
    local out
    out=$("$C" client timeout 2 ovsdb-client transact "tcp:$VIP:$1" "$2" 2>&1) || return 1
    case $out in *error*) return 1 ;; esac
}
names() {  # PORT SCHEMA TABLE: the names in TABLE through the VIP
    "$C" client timeout 5 ovsdb-client query "tcp:$VIP:$1" \
        "[\"$2\",{\"op\":\"select\",\"table\":\"$3\",\"where\":[],\"columns\":[\"name\"]}]"
}

# Every row written through the incumbent is served through the VIP by ovn-ocf on $where,
# whose start verified both files clean.
data_came_along() {
    local sb nb attrs i
    sb=$(names 6642 OVN_Southbound Chassis) || die "cannot read the SB through the VIP"
    for i in 1 2 3 4 5; do
        case $sb in *"\"migrated-$i\""*) ;; *) die "chassis migrated-$i is missing after the migration" ;; esac
    done
    nb=$(names 6641 OVN_Northbound Logical_Switch) || die "cannot read the NB through the VIP"
    case $nb in *'"migrated-ls"'*) ;; *) die "logical switch migrated-ls is missing" ;; esac
    attrs=$("$C" exec "$where" crm_mon -1 -A)
    echo "$attrs" | grep -q 'ovn-ocf-sb-repair.*: clean' || die "ovn-ocf-sb-repair is not clean: $attrs"
    echo "$attrs" | grep -q 'ovn-ocf-nb-repair.*: clean' || die "ovn-ocf-nb-repair is not clean"
}

# Shape D: both replicas on the other node say they replicate from $promoted.
rep_ok() {
    local a
    a=$("$C" exec "$where" crm_mon -1 -A) || return 1
    grep -q "ovn-ocf-sb-replication.*: replicating from $promoted" <<<"$a" &&
        grep -q "ovn-ocf-nb-replication.*: replicating from $promoted" <<<"$a"
}

SHAPE=${MIGRATE_SHAPE:-A}
case $SHAPE in A | D) ;; *) die "MIGRATE_SHAPE=$SHAPE: A or D" ;; esac
README=${README:-$HERE/../../README.md}
# The commands of README's recipe NAME (its indented lines, one command each).
recipe() {
    awk -v b="<!-- BEGIN recipe $1 -->" -v e="<!-- END recipe $1 -->" \
        '$0 == b { f = 1; next } $0 == e { f = 0 } f && /^        [^ ]/ { sub(/^ +/, ""); print }' "$README"
}

"$C" up

# 1. the incumbent, its commands applied at once (see bench/failover.sh for why)
f=/tmp/ovndb-servers-cib.xml
"$C" exec node1 pcs cluster cib "$f"
for c in "${INC_CMDS[@]}"; do
    say "node1# pcs -f $f ${c#pcs }"
    "$C" exec node1 bash -c "pcs -f $f ${c#pcs }" >&2
done
"$C" exec node1 pcs cluster cib-push "$f" --config >&2
sb_ok() { transact 6642 '["OVN_Southbound",{"op":"insert","table":"Encap","uuid-name":"e","row":{"type":"geneve","ip":"10.7.0.1","chassis_name":"migrated-1"}},{"op":"insert","table":"Chassis","row":{"name":"migrated-1","hostname":"m","encaps":["named-uuid","e"]}}]'; }
until_ok 120 sb_ok || die "the incumbent never accepted an SB transaction through the VIP"
for i in 2 3 4 5; do
    transact 6642 "[\"OVN_Southbound\",{\"op\":\"insert\",\"table\":\"Encap\",\"uuid-name\":\"e\",\"row\":{\"type\":\"geneve\",\"ip\":\"10.7.0.$i\",\"chassis_name\":\"migrated-$i\"}},{\"op\":\"insert\",\"table\":\"Chassis\",\"row\":{\"name\":\"migrated-$i\",\"hostname\":\"m\",\"encaps\":[\"named-uuid\",\"e\"]}}]" ||
        die "SB insert $i through the incumbent failed"
done
transact 6641 '["OVN_Northbound",{"op":"insert","table":"Logical_Switch","row":{"name":"migrated-ls"}}]' ||
    die "NB insert through the incumbent failed"
xml=$("$C" crm-xml)
promoted=$(python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
for r in root.iter("resource"):
    if r.get("id", "").startswith("ovndb_servers") and r.get("role") == "Promoted":
        print(r.find("node").get("name")); break
' <<<"$xml")
[ -n "$promoted" ] || die "no Promoted ovndb_servers instance"
say "incumbent serves, promoted on $promoted; 5 SB chassis and 1 NB switch written"

if [ "$SHAPE" = D ]; then
    # 2. README's recipe for shape D, verbatim
    for r in migrate-d-on-p migrate-d-on-others; do
        [ -n "$(recipe "$r")" ] || die "no recipe $r in $README"
    done
    while IFS= read -r c; do
        say "$promoted# $c"
        "$C" exec "$promoted" bash -c "$c" >&2 || die "recipe command failed on $promoted: $c"
    done < <(recipe migrate-d-on-p)
    other_node=$(other "$promoted")
    while IFS= read -r c; do
        say "$other_node# $c"
        "$C" exec "$other_node" bash -c "$c" >&2 || die "recipe command failed on $other_node: $c"
    done < <(recipe migrate-d-on-others)
    where=$("$C" shape D | tail -1) || die "shape D did not start"
    say "shape D Promoted on $where"
    [ "$where" = "$promoted" ] || die "shape D promoted $where, not $promoted where the incumbent's current files are"
    data_came_along
    until_ok 60 rep_ok || die "$other_node does not replicate from $promoted: $("$C" exec "$where" crm_mon -1 -A)"
    "$C" exec "$other_node" test -s /var/lib/ovn/ovndb-servers.replica/ovnsb_db.db ||
        die "the incumbent's replica files are not kept aside on $other_node"
    crm failures >&2 || die "failed actions after the migration"
    result migrate-D PASS "5 SB chassis and 1 NB switch written through ovndb-servers.ocf are served by shape D on $where (the incumbent's promoted node), $other_node replicates from it; both files verified clean; the incumbent's replicas kept in /var/lib/ovn/ovndb-servers.replica"
    exit 0
fi

# 2. README's steps
"$C" exec "$promoted" pcs resource disable ovndb_servers-clone
stopped() { ! "$C" exec "$promoted" sh -c 'pgrep -x ovsdb-server || pgrep -x ovn-northd' >/dev/null 2>&1 &&
    ! "$C" exec "$(other "$promoted")" sh -c 'pgrep -x ovsdb-server || pgrep -x ovn-northd' >/dev/null 2>&1; }
until_ok 60 stopped || die "the incumbent's servers did not stop"
"$C" exec "$promoted" pcs resource delete VirtualIP >&2
"$C" exec "$promoted" pcs resource delete ovndb_servers-clone >&2
"$C" exec "$promoted" sh -ec 'mkdir -p /mnt/lun && mount /dev/disk/by-id/LUN /mnt/lun
    cp -p /var/lib/ovn/ovnnb_db.db /var/lib/ovn/ovnsb_db.db /mnt/lun/
    ovn-ocf check /mnt/lun/ovnnb_db.db && ovn-ocf check /mnt/lun/ovnsb_db.db
    umount /mnt/lun' >&2 || die "copying the incumbent's files to the LUN failed"
where=$("$C" shape A | tail -1) || die "shape A did not start"
say "shape A Started on $where"

# 3. the data came along
data_came_along
crm failures >&2 || die "failed actions after the migration"
result migrate PASS "5 SB chassis and 1 NB switch written through ovndb-servers.ocf are served by ovn-ocf on $where; both files verified clean"
