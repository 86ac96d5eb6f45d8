#!/bin/bash
# Shape D's replication guards against the incumbent's documented failures, 2 nodes.
# Each guard: FIRST the failure reproduced with OVN's ovndb-servers.ocf (lib.sh INC_CMDS,
# applied at once as bench/failover.sh does), THEN the same trigger against README's
# shape D (`cluster.sh shape D`); one cluster per agent (up → resources, then each case's
# trigger and checks in the cluster the case before left, a fresh one after a case that
# did not pass → down). One RESULT line per case: "reproduced" passes when the incumbent shows
# the failure (and fails, saying what was seen instead, when it does not); "prevented"
# passes only when shape D does not show it.
#
#   self-replication  with everything up and a standby S replicating, the VIP also on S
#                     as 198.51.100.100/32 on its lo (arp_ignore=1 on S, so clients still
#                     reach the real VIP; S's own connections to the VIP reach S), then
#                     `ovsdb-server/connect-active-ovsdb-server` on S's NB and SB.
#                     Incumbent (aimed at tcp:VIP:port): its sync-status turns
#                     `state: active` ("Self replicating is not allowed") and Pacemaker
#                     records a failure of the unpromoted instance on S, or S promoted
#                     too, within 60 s (crm_mon's lines quoted, and again 15 s later).
#                     Seen here (ovn 23.03, Pacemaker 2.1.5): both servers active within
#                     0.2 s, then the 11 s monitor fails with 'not running' (rc 7), not
#                     'promoted' (rc 8): with manage_northd=yes the agent reports promoted
#                     only when ovn-northd runs too, and it does not on S; after the
#                     recovery S is Unpromoted again but aimed at 192.0.2.254 (the
#                     agent's "into space" address), replicating nothing.
#                     D (aimed at the promoted node's own address, port 6651/6652): for
#                     10 s S stays `state: backup` replicating from the promoted node,
#                     no "Self replicating" in its logs, ovn-ocf-{nb,sb}-replication say
#                     "replicating from <promoted>", no failed actions. The /32 goes again.
#   static-scores     S's replication pointed where nothing answers
#                     (set-active-ovsdb-server tcp:198.51.100.250:PORT, then
#                     connect-active-ovsdb-server; NB and SB).
#                     Incumbent: its promotion score on S (master-ovndb_servers) stays 5,
#                     a healthy backup's, for 25 s (two 11 s monitors) while sync-status
#                     says it is not replicating.
#                     D: within 30 s, per database, either the promotion score on S
#                     (master-ovn-nb / master-ovn-sb) drops below 5 or S replicates from
#                     the promoted node's address again; which one, and the scores seen.
#                     Seen here: the score drops to 2 within one or two monitors; S is
#                     not aimed at the promoted node again (still connecting to .250),
#                     and ovn-ocf-*-replication names the promoted node's address.
#   schema-upgrade    (in the cluster the static-scores case leaves, once S replicates
#                     again; a fresh one if that case failed) the promoted NB upgraded
#                     under a running standby, as a rolling upgrade that starts with the
#                     promoted node does: `ovsdb-client convert` of P's NB to its schema
#                     plus one table, then `ovsdb-server/reconnect` on P (S reconnects and
#                     finds a schema it cannot hold). 15 s, S's NB sampled every 0.2 s.
#                     Incumbent: S's NB turns `state: active` ("Nothing to replicate")
#                     and takes a local write (ovsdb-client transact on S's socket, what
#                     ovn-nbctl on S would do), which the promoted NB never sees.
#                     D: S's NB is never seen active (0 of the samples), and its log
#                     has "OVN_Northbound cannot be replicated" but no "Nothing to
#                     replicate" after the upgrade (the anchor database is left to
#                     replicate, so ovsdb-server does not switch); it ends `state:
#                     backup` replicating the anchor only (read-only: the same local
#                     write is refused), its score 1, its ovn-ocf-nb-replication saying
#                     why (the schema); a write through the VIP is acknowledged (P
#                     serves on).
#   switchover        a planned switchover while the standby lags: an unthrottled SB writer
#                     through the VIP, what the servers send S slowed to 2 Mbit/s (htb on
#                     its bridge port, source ports 6641/6642/6651/6652 only: corosync and
#                     clients unlimited) until S lacks 1,500 acknowledged writes, then
#                     `pcs node standby P`; the link restored once S serves; every
#                     acknowledged write looked up in the SB through the VIP.
#                     Incumbent: writes are lost (S promoted with what it had; P, a
#                     backup of S again, then drops the rest). Seen here: 5,540 of 7,672.
#                     D: none lost (demote's handover token, and the stop of the demoted
#                     instance waits until its replica received everything). Seen here:
#                     0 of 8,113, the SB answering 18 s after the standby.
#   first-copy        (in the cluster the switchover case leaves, its P in standby; alone:
#                     a fresh one, FIRST_COPY_ROWS (10,000) chassis written, the
#                     unpromoted node put in standby) the node in standby comes back
#                     (`pcs node unstandby`) while what the servers send it is slowed to
#                     FIRST_COPY_RATE (3 Mbit/s): its SB replica loads a first full copy.
#                     Its SB sync-status and promotion score every 0.5 s until it
#                     replicates. Incumbent: its score is 5, a current backup's, while it
#                     still says "connecting:" (Pacemaker would promote it as readily as
#                     a replica that holds everything). Seen here: 5 in 6 of 6 samples
#                     over a 3.6 s copy. D: below 5 for the whole copy, 5 once it is
#                     loaded. Seen here: 1 in all 21 samples of a 12.9 s copy (D's SB holds
#                     the writes the incumbent lost in the switchover, hence the longer
#                     copy).
#   promotion-choice  (3 nodes, a fresh cluster; shape D with node3 added to README's
#                     replication_peers) one replica R in standby, FIRST_COPY_ROWS
#                     chassis written through the VIP, an operator's preference of 1 for
#                     R as promoted (a location rule on every clone whose scores decide:
#                     what a tie-break may do too), R back (`pcs node unstandby`) with what
#                     the servers send it slowed to FIRST_COPY_RATE; while its SB loads
#                     its first copy, the promoted node powered off; where the SB is
#                     promoted, and every acknowledged write looked up through the VIP.
#                     Incumbent: R promoted (5 + 1 against the current replica's 5), and
#                     every write lost. Seen here: 10,305 of 10,305. D: the current
#                     replica promoted, none lost (R's SB scores 1, and README's location
#                     rule adds each node's SB score to its NB's: without it, R's NB, 5 + 1,
#                     won and took the SB with it: README=<README without that rule>
#                     GUARDS_CASES=D/promotion-choice fails, 10,075 of 10,075 lost).
#                     Seen here: 0 of 10,215.
#
# Every wait is bounded; times are printed, never asserted. OVNOCF_CLUSTER defaults to
# "guards"; GUARDS_CASES="incumbent/self-replication D/static-scores ..." runs only those;
# README (default the repository's) is where shape D's commands come from. Cluster logs
# of a failed case go to target/cluster-scenario-logs/. Teardown of the cluster on every
# exit.
set -euo pipefail

export OVNOCF_CLUSTER=${OVNOCF_CLUSTER:-guards}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOGS=${SCENARIO_LOGS:-$HERE/../../target/cluster-scenario-logs}/replication-guards-$(date +%Y%m%dT%H%M%S)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

WORK=$(mktemp -d /tmp/replication-guards.XXXXXX)
NOWHERE=$SUBNET.250   # nothing answers there
REPL_PORT_NB=6651 REPL_PORT_SB=6652
SWITCH_RATE=${SWITCH_RATE:-2mbit} SWITCH_LAG=${SWITCH_LAG:-1500}
FIRST_COPY_RATE=${FIRST_COPY_RATE:-3mbit} FIRST_COPY_ROWS=${FIRST_COPY_ROWS:-10000}

teardown() {
    "$C" down >/dev/null 2>&1 || RC=1
    rm -rf "$WORK"
}
tally_at_exit --many
at_exit teardown

# ------------------------------------------------------------------------------ helpers

node_ip() { echo "$SUBNET.$((10 + ${1#node}))"; }
ctl() { echo "/var/run/ovn/ovn${1}_db.ctl"; }
# NODE DB: ovsdb-server/sync-status of DB (nb|sb) on NODE, on one line.
sync_status() {
    { "$C" exec "$1" ovn-appctl -t "$(ctl "$2")" ovsdb-server/sync-status 2>&1 || echo "(no answer)"; } |
        tr '\n' ' ' | sed 's/ *$//'
}
appctl() { # NODE DB COMMAND [ARG]
    local node=$1 db=$2
    shift 2
    say "$node# ovn-appctl -t $(ctl "$db") $*"
    "$C" exec "$node" ovn-appctl -t "$(ctl "$db")" "$@" >&2
}
# NODE: NAME=VALUE of every promotion score attribute of NODE (crm_mon -A's XML).
promo_attrs() {
    "$C" crm-xml | python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
for na in root.iter("node_attributes"):
    for n in na.iter("node"):
        if n.get("name") == sys.argv[1]:
            for a in n.iter("attribute"):
                if a.get("name", "").startswith(("master-", "promotion-")):
                    print("%s=%s" % (a.get("name"), a.get("value")))
' "$1"
}
# `crm_mon -1` from its resource list on (resources, failed actions), one " | "-joined line.
crm_mon_lines() {
    "$C" exec "$1" crm_mon -1 -r 2>/dev/null | sed -n '/^Full List of Resources/,$p' | { grep -v '^ *$' || true; } |
        sed 's/^ *//; s/\t/ /g' | tr '\n' '|' | sed 's/|$//; s/|/ | /g'
}
# NODE NAME: the line of `crm_mon -1 -A` that shows node attribute NAME of NODE.
attr_line() {
    "$C" exec "$1" crm_mon -1 -A 2>/dev/null | sed 's/\t/ /g' |
        awk -v node="$1" -v name="$2" '
            /^ *\* Node: / { on = ($3 == node ":") }
            on && $2 == name { sub(/^ +/, ""); sub(/ +$/, ""); gsub(/ +/, " "); print }'
}
# Lines of LOG (in NODE) after byte MARK that contain TEXT.
log_has() { node_since "$1" "$2" "$3" 2>/dev/null | grep -F "$4" || true; }

# MARK_NB MARK_SB: the first "Self replicating" line S's NB and SB ovsdb-servers logged
# after the marks ("nb: ...; sb: ..."), or nothing.
logged_self() {
    local db l out=''
    for db in nb sb; do
        l=$(log_has "$S" "/var/log/ovn/ovsdb-server-$db.log" "$([ $db = nb ] && echo "$1" || echo "$2")" \
            "Self replicating" | head -1 | sed 's/^[^|]*|[^|]*|//')
        [ -z "$l" ] || out+="${out:+; }$db: $l"
    done
    echo "$out"
}

# -------------------------------------------------------------------------- incumbent

# OVN's commands applied to a copy of the CIB and pushed at once (bench/failover.sh says
# why: run one by one, the VirtualIP can start before its colocation exists).
create_incumbent() {
    local node c f=/tmp/ovndb-servers-cib.xml t0
    for node in "${NODES[@]}"; do
        t0=$(now)
        until "$C" exec "$node" test -x "$INC_LINK" 2>/dev/null; do
            past "$t0" 20 && { bad "$node: $INC_LINK is not executable after 20 s"; return 1; }
            sleep 0.1
        done
    done
    "$C" exec node1 pcs cluster cib "$f" || { bad "pcs cluster cib failed"; return 1; }
    for c in "${INC_CMDS[@]}"; do
        say "node1# pcs -f $f ${c#pcs }"
        "$C" exec node1 bash -c "pcs -f $f ${c#pcs }" >&2 || { bad "failed: $c"; return 1; }
    done
    "$C" exec node1 pcs cluster cib-push "$f" --config >&2 || { bad "pcs cluster cib-push failed"; return 1; }
}

# Until ovndb_servers is Promoted on one node with the VirtualIP, Unpromoted on the other,
# whose NB and SB are backups replicating from the VIP (180 s); sets P and S. Failed
# actions from the setup are said, cleaned up and waited through once.
P='' S=''
incumbent_ready() {
    local t0 s p u v db port st why ok cleaned=0
    t0=$(now)
    while :; do
        s=$(crm summary 2>/dev/null) || s=
        read -r p u v < <(clone_roles ovndb_servers VirtualIP <<<"$s")
        why="promoted: $p, unpromoted: $u, VirtualIP on $v"
        if [[ $p != - && $p != *,* && $v == "$p" && $u == "$(other "$p")" ]]; then
            ok=1
            for db in nb:$NB_PORT sb:$SB_PORT; do
                port=${db#*:} db=${db%:*}
                st=$(sync_status "$u" "$db")
                if [[ $st != *"state: backup"* || $st != *"replicating: tcp:$VIP:$port"* ]]; then
                    ok=0 why="$why; $db on $u: $st"
                fi
            done
            if ((ok)); then
                if ! crm failures >/dev/null; then
                    ((cleaned)) && { bad "failed actions again after a cleanup: $(crm failures | tr '\n' ';')"; return 1; }
                    say "failed actions during the setup (cleaned up): $(crm failures | tr '\n' ';')"
                    "$C" exec "$p" crm_resource --cleanup >/dev/null 2>&1 || true
                    cleaned=1
                else
                    P=$p S=$u
                    say "incumbent: promoted on $P with the VIP, $S a backup replicating NB and SB from tcp:$VIP ($(since "$t0") s)"
                    return 0
                fi
            fi
        fi
        past "$t0" 180 && { bad "incumbent not up with a replicating standby after 180 s: $why"; return 1; }
        sleep 1
    done
}

inc_up() { "$C" up >&2 && create_incumbent && incumbent_ready; }

# The cluster the last case kept (run_case ... NEXT), with S aimed at the VIP again; else
# a fresh one.
inc_again() {
    if [ -e "$WORK/kept" ]; then
        rm -f "$WORK/kept"
        local s
        s=$(awk '$1 == "resource" && $2 == "ovndb_servers" && $3 == "Unpromoted" && $4 == "on" { print $5 }' \
            <<<"$(crm summary 2>/dev/null)")
        if [ -n "$s" ]; then
            appctl "$s" nb ovsdb-server/set-active-ovsdb-server "tcp:$VIP:$NB_PORT"
            appctl "$s" nb ovsdb-server/connect-active-ovsdb-server
            appctl "$s" sb ovsdb-server/set-active-ovsdb-server "tcp:$VIP:$SB_PORT"
            appctl "$s" sb ovsdb-server/connect-active-ovsdb-server
            incumbent_ready && return 0
        fi
        say "the kept cluster is not usable: a fresh one"
        "$C" down >&2 || true
    fi
    inc_up
}

# ------------------------------------------------------------------------------ shape D

# Shape D up; until S's replicas of NB and SB say "replicating from P" (60 s); sets P, S.
d_up() {
    "$C" up >&2 || return 1
    P=$("$C" shape D | tail -1) || { bad "shape D did not start"; return 1; }
    d_ready
}

# The cluster the last case kept, else a fresh one (as inc_again).
d_again() {
    if [ -e "$WORK/kept" ]; then
        rm -f "$WORK/kept"
        P=$(awk '$1 == "resource" && $2 == "ovn-nb" && $3 == "Promoted" && $4 == "on" { print $5 }' \
            <<<"$(crm summary 2>/dev/null)")
        [ -n "$P" ] && d_ready && return 0
        say "the kept cluster is not usable: a fresh one"
        "$C" down >&2 || true
    fi
    d_up
}

d_ready() {
    local said
    S=$(other "$P")
    said=$(wait_replicating "$P" 60) || return 1
    no_failures || return 1
    say "shape D: promoted on $P, $S replicates: $said"
}

# ------------------------------------------------------------------------------- guards

vip_on_lo() { # NODE add|del
    if [ "$2" = add ]; then
        # The standby must not answer ARP for the VIP: clients keep reaching the real one.
        "$C" exec "$1" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1 \
            net.ipv4.conf.all.arp_announce=2 >&2 || say "$1: arp_ignore not set: clients may reach $1 at $VIP"
    fi
    say "$1# ip addr $2 $VIP/32 dev lo"
    "$C" exec "$1" ip addr "$2" "$VIP/32" dev lo
}

reconnect() { # NODE
    local db
    for db in nb sb; do appctl "$1" "$db" ovsdb-server/connect-active-ovsdb-server; done
}

# Case 1, incumbent: the standby aimed at tcp:VIP:port reaches itself.
inc_self_replication() {
    local t0 st_nb st_sb f fs summ active='' failure='' promoted_s='' n log_nb log_sb self lines
    log_nb=$(node_size "$S" /var/log/ovn/ovsdb-server-nb.log) log_sb=$(node_size "$S" /var/log/ovn/ovsdb-server-sb.log)
    vip_on_lo "$S" add
    # The standby's ovsdb-server listens on the VIP (ovn-ctl --db-nb-addr): wait until it
    # bound it on lo, or the reconnect meets a refused connection, not itself.
    t0=$(now)
    until "$C" exec "$S" ss -Hltn "( sport = :$NB_PORT or sport = :$SB_PORT )" 2>/dev/null | grep -c "$VIP" | grep -qx 2; do
        past "$t0" 15 && { say "$S's ovsdb-servers did not bind $VIP within 15 s: $("$C" exec "$S" ss -Hltn | tr '\n' ' ')"; break; }
        sleep 0.2
    done
    t0=$(now)
    reconnect "$S"
    while :; do
        st_nb=$(sync_status "$S" nb) st_sb=$(sync_status "$S" sb)
        if [ -z "$active" ] && [[ $st_nb == *"state: active"* || $st_sb == *"state: active"* ]]; then
            active="after $(since "$t0") s: nb '$st_nb', sb '$st_sb'"
            say "$S turned active $active"
        fi
        fs=$(crm failures 2>/dev/null || true)
        f=$(grep "ovndb_servers.* on $S:" <<<"$fs" | head -1 || true)
        if [ -z "$failure" ] && [ -n "$f" ]; then
            failure="after $(since "$t0") s: $f"
            say "failed action on $S $failure"
        fi
        summ=$(crm summary 2>/dev/null || true)
        n=$(grep -c '^resource ovndb_servers Promoted' <<<"$summ" || true)
        if [ -z "$promoted_s" ] && grep -q "^resource ovndb_servers Promoted.* on $S" <<<"$summ"; then
            promoted_s="after $(since "$t0") s ($n promoted instances)"
            say "ovndb_servers Promoted on $S $promoted_s"
        fi
        [ -n "$active" ] && [ -n "$failure$promoted_s" ] && break
        past "$t0" 60 && break
        sleep 1
    done
    lines=$(crm_mon_lines "$P")
    say "crm_mon -1: $lines"
    # What Pacemaker does next (its recovery aims the standby at the VIP again): 15 s more.
    local t1 later
    t1=$(now)
    while ! past "$t1" 15; do
        if [ -z "$promoted_s" ] && grep -q "^resource ovndb_servers Promoted.* on $S" <<<"$(crm summary 2>/dev/null || true)"; then
            promoted_s="after $(since "$t0") s"
            say "ovndb_servers Promoted on $S $promoted_s"
        fi
        sleep 1
    done
    later=$(crm_mon_lines "$P")
    say "crm_mon -1, 15 s later: $later"
    later="$later; fail counts: $("$C" exec "$P" crm_mon -1 -f 2>/dev/null | sed -n '/^Migration Summary/,/^ *$/p' | grep -v '^ *$' | sed 's/^ *//' | tr '\n' ' ')"
    later+="; sync-status on $S: nb '$(sync_status "$S" nb)', sb '$(sync_status "$S" sb)'"
    self=$(logged_self "$log_nb" "$log_sb")
    say "$S's ovsdb-server logs: ${self:-no \"Self replicating\"}"
    vip_on_lo "$S" del || true
    if [ -n "$active" ] && [ -n "$failure$promoted_s" ]; then
        echo "PASS (reproduced: $S's sync-status turned active $active; logged: ${self:-nothing about self replication}; ${failure:+Pacemaker recorded on $S $failure; }${promoted_s:+ovndb_servers Promoted on $S $promoted_s; }crm_mon -1 then: $lines; 15 s later: $later)"
    else
        local last="never active (last: nb '$st_nb', sb '$st_sb')"
        echo "FAIL (not reproduced within 60 s: sync-status on $S ${active:-$last}; ${failure:-no failed action of ovndb_servers on $S}; ${promoted_s:-not Promoted on $S}; logged: ${self:-no \"Self replicating\"}; crm_mon -1: $lines)"
    fi
}

# Case 1, shape D: the same; the replica is aimed at the promoted node's own address.
d_self_replication() {
    local t0 db st st_nb='' st_sb='' port ip why='' log_nb log_sb self a b scores='' sc lines f
    ip=$(node_ip "$P")
    log_nb=$(node_size "$S" /var/log/ovn/ovsdb-server-nb.log) log_sb=$(node_size "$S" /var/log/ovn/ovsdb-server-sb.log)
    vip_on_lo "$S" add
    t0=$(now)
    reconnect "$S"
    # 10 s (the incumbent turns active within 0.2 s): five unpromoted monitors (2 s) at
    # least; every sample a backup.
    while ! past "$t0" 10; do
        for db in nb sb; do
            st=$(sync_status "$S" "$db")
            if [[ $st != *"state: backup"* ]]; then
                why+="$db on $S after $(since "$t0") s: '$st'; "
            fi
        done
        sc="$(promo_attrs "$S" | tr '\n' ' ' | sed 's/ $//')"
        [[ " $scores, " == *" $sc, "* ]] || scores+="${scores:+, }$sc"
        sleep 1
    done
    # Then (30 s more at most) both replicate from the promoted node's address.
    for db in nb sb; do
        port=$REPL_PORT_NB
        [ "$db" = nb ] || port=$REPL_PORT_SB
        until st=$(sync_status "$S" "$db") && [[ $st == *"state: backup"* && $st == *"replicating: tcp:$ip:$port"* ]]; do
            past "$t0" 40 && { why+="$db on $S does not replicate from tcp:$ip:$port: '$st'; "; break; }
            sleep 0.5
        done
        if [ "$db" = nb ]; then st_nb=$st; else st_sb=$st; fi
    done
    self=$(logged_self "$log_nb" "$log_sb")
    [ -z "$self" ] || why+="logged: $self; "
    a=$(attr_line "$S" ovn-ocf-nb-replication) b=$(attr_line "$S" ovn-ocf-sb-replication)
    [[ $a == *"replicating from $P"* ]] || why+="crm_mon -A: '$a'; "
    [[ $b == *"replicating from $P"* ]] || why+="crm_mon -A: '$b'; "
    f=$(crm failures 2>/dev/null) || why+="failed actions: $(tr '\n' ';' <<<"$f"); "
    lines=$(crm_mon_lines "$P")
    vip_on_lo "$S" del || true
    if [ -z "$why" ]; then
        echo "PASS (prevented: for 10 s after the reconnect with $VIP/32 on $S's lo, $S stayed a backup; nb '$st_nb', sb '$st_sb'; no \"Self replicating\" logged; crm_mon -1 -A: '$a', '$b'; promotion scores on $S seen: $scores; no failed actions; crm_mon -1: $lines)"
    else
        echo "FAIL (not prevented: $why crm_mon -1: $lines)"
    fi
}

# NB-PORT SB-PORT: the standby S's NB and SB replication pointed at $NOWHERE (where
# nothing answers) on those ports, as an operator's set-active-ovsdb-server would.
point_nowhere() {
    appctl "$S" nb ovsdb-server/set-active-ovsdb-server "tcp:$NOWHERE:$1"
    appctl "$S" nb ovsdb-server/connect-active-ovsdb-server
    appctl "$S" sb ovsdb-server/set-active-ovsdb-server "tcp:$NOWHERE:$2"
    appctl "$S" sb ovsdb-server/connect-active-ovsdb-server
}

# Case 2, incumbent: the standby aimed where nothing answers keeps a healthy score.
inc_static_scores() {
    local t0 attr base sc seen='' st_nb st_sb repl=0 why=''
    attr=master-ovndb_servers
    say "promotion attributes on $S: $(promo_attrs "$S" | tr '\n' ' ')"
    base=$(node_attr "$S" "$attr")
    say "$attr on $S before: $base"
    t0=$(now)
    point_nowhere "$NB_PORT" "$SB_PORT"
    # 25 s: two of its 11 s monitors at least.
    while ! past "$t0" 25; do
        sc=$(node_attr "$S" "$attr")
        st_nb=$(sync_status "$S" nb) st_sb=$(sync_status "$S" sb)
        seen+="${seen:+ }$sc"
        [[ $st_nb == *"replicating:"* || $st_sb == *"replicating:"* ]] && repl=1
        [ "$sc" = 5 ] || why+="$attr $sc after $(since "$t0") s; "
        sleep 2
    done
    ((repl == 0)) || why+="sync-status said replicating during the window; "
    [[ $st_nb == *"state: backup"* && $st_sb == *"state: backup"* ]] || why+="not a backup any more; "
    local lines
    lines=$(attr_line "$S" "$attr")
    if [ -z "$why" ]; then
        echo "PASS (reproduced: $attr on $S was $base before and $seen over 25 s after the trigger (sampled every 2 s), the same as a healthy backup, while sync-status said nb '$st_nb', sb '$st_sb'; crm_mon -1 -A on $S: $lines)"
    else
        echo "FAIL (not reproduced: $why $attr on $S: before $base, then $seen; last sync-status nb '$st_nb', sb '$st_sb')"
    fi
}

# Case 2, shape D: the replica aimed where nothing answers.
d_static_scores() {
    local t0 ip db port sc st st_nb='' st_sb='' seen_nb='' seen_sb='' a_nb='' a_sb='' nb_how='' sb_how='' how base
    ip=$(node_ip "$P")
    base="master-ovn-nb=$(node_attr "$S" master-ovn-nb), master-ovn-sb=$(node_attr "$S" master-ovn-sb)"
    say "promotion attributes on $S: $(promo_attrs "$S" | tr '\n' ' ') (before: $base)"
    t0=$(now)
    point_nowhere "$REPL_PORT_NB" "$REPL_PORT_SB"
    # 10 s at least (the agent noticed within 2 s in every run so far); until both
    # noticed, 30 s at most.
    while ! past "$t0" 30; do
        for db in nb sb; do
            port=$REPL_PORT_NB
            [ "$db" = nb ] || port=$REPL_PORT_SB
            sc=$(node_attr "$S" "master-ovn-$db")
            st=$(sync_status "$S" "$db")
            if [ "$db" = nb ]; then
                [[ " $seen_nb " == *" $sc "* ]] || seen_nb+="${seen_nb:+ }$sc"
            else
                [[ " $seen_sb " == *" $sc "* ]] || seen_sb+="${seen_sb:+ }$sc"
            fi
            how=
            if [[ $sc =~ ^[0-9]+$ ]] && ((sc < 5)); then how="score $sc after $(since "$t0") s"; fi
            if [[ $st == *"replicating: tcp:$ip:$port"* ]]; then how+="${how:+, }aimed at tcp:$ip:$port again after $(since "$t0") s"; fi
            if [ -n "$how" ]; then
                if [ "$db" = nb ] && [ -z "$nb_how" ]; then
                    nb_how=$how a_nb=$(node_attr "$S" ovn-ocf-nb-replication); say "nb: $how"
                fi
                if [ "$db" = sb ] && [ -z "$sb_how" ]; then
                    sb_how=$how a_sb=$(node_attr "$S" ovn-ocf-sb-replication); say "sb: $how"
                fi
            fi
            if [ "$db" = nb ]; then st_nb=$st; else st_sb=$st; fi
        done
        past "$t0" 10 && [ -n "$nb_how" ] && [ -n "$sb_how" ] && break
        sleep 1
    done
    local lines f
    lines="$(attr_line "$S" master-ovn-nb); $(attr_line "$S" master-ovn-sb); $(attr_line "$S" ovn-ocf-nb-replication); $(attr_line "$S" ovn-ocf-sb-replication)"
    f=$(crm failures 2>/dev/null || true)
    local aimed=''
    [[ "$st_nb $st_sb" != *"$NOWHERE"* ]] || aimed="; still aimed at $NOWHERE at the end (not aimed at $P again)"
    if [ -n "$nb_how" ] && [ -n "$sb_how" ]; then
        echo "PASS (prevented: nb: $nb_how (attribute '$a_nb'), sb: $sb_how (attribute '$a_sb'); scores before $base, seen over $(since "$t0") s: master-ovn-nb $seen_nb, master-ovn-sb $seen_sb; last sync-status nb '$st_nb', sb '$st_sb'$aimed; crm_mon -1 -A on $S: $lines${f:+; failed actions: $(tr '\n' ';' <<<"$f")})"
    else
        echo "FAIL (not prevented within 30 s: nb ${nb_how:-not noticed}, sb ${sb_how:-not noticed}; scores before $base, seen: master-ovn-nb $seen_nb, master-ovn-sb $seen_sb; last sync-status nb '$st_nb', sb '$st_sb'; crm_mon -1 -A on $S: $lines)"
    fi
}

# Case 3: the promoted NB upgraded under a running standby.
NEWER=/tmp/ovn-nb-newer.ovsschema
upgrade_promoted_nb() {
    "$C" exec "$P" python3 -c '
import json, sys
s = json.load(open("/usr/share/ovn/ovn-nb.ovsschema"))
x, y, z = s["version"].split(".")
s["version"] = "%s.%d.0" % (x, int(y) + 1)
s["tables"]["Upgrade_Only"] = {"columns": {"name": {"type": "string"}}, "isRoot": True}
json.dump(s, open(sys.argv[1], "w"))' "$NEWER" || { bad "cannot write $NEWER on $P"; return 1; }
    local out
    say "$P# ovsdb-client convert unix:/var/run/ovn/ovnnb_db.sock $NEWER"
    out=$("$C" exec "$P" ovsdb-client convert unix:/var/run/ovn/ovnnb_db.sock "$NEWER" 2>&1) ||
        { bad "convert on $P failed: $(tail -c 300 <<<"$out")"; return 1; }
    appctl "$P" nb ovsdb-server/reconnect
}

# NODE NAME: a transaction inserting Address_Set NAME into NODE's NB through its local
# socket, as ovn-nbctl on that node would; prints "acknowledged" or the refusal.
local_write() {
    local out
    out=$("$C" exec "$1" timeout 5 ovsdb-client transact unix:/var/run/ovn/ovnnb_db.sock \
        "[\"OVN_Northbound\",{\"op\":\"insert\",\"table\":\"Address_Set\",\"row\":{\"name\":\"$2\"}}]" 2>&1) || true
    if [[ $out == *'"uuid"'* && $out != *error* ]]; then echo acknowledged; else echo "refused: $(tr '\n' ' ' <<<"$out" | cut -c1-200)"; fi
}

# NODE: what NODE's NB holds of Address_Set "on-the-standby-*" rows, by name.
standby_rows() {
    "$C" exec "$1" timeout 5 ovsdb-client dump unix:/var/run/ovn/ovnnb_db.sock OVN_Northbound Address_Set name 2>/dev/null |
        grep -o 'on-the-standby-[0-9]*' | tr '\n' ' ' || true
}

# 15 s of S's NB sync-status every 0.2 s: sets ACTIVE_FIRST (seconds after T0 when first
# seen active, or empty), ACTIVE_N, SAMPLES_N, LAST_ST.
ACTIVE_FIRST='' ACTIVE_N=0 SAMPLES_N=0 LAST_ST=''
watch_standby_nb() {
    local t0=$1 st
    while ! past "$t0" 15; do
        st=$(sync_status "$S" nb)
        SAMPLES_N=$((SAMPLES_N + 1))
        if [[ $st == *"state: active"* ]]; then
            ACTIVE_N=$((ACTIVE_N + 1))
            [ -n "$ACTIVE_FIRST" ] || { ACTIVE_FIRST=$(since "$t0"); say "$S's NB active after $ACTIVE_FIRST s: '$st'"; }
        fi
        LAST_ST=$st
        sleep 0.2
    done
}

inc_schema_upgrade() {
    local t0 w rows logged lines
    upgrade_promoted_nb || return 1
    t0=$(now)
    watch_standby_nb "$t0"
    w=$(local_write "$S" "on-the-standby-1")
    rows=$(standby_rows "$P")
    logged=$("$C" exec "$S" grep -h -e "Nothing to replicate" -e "cannot be replicated" /var/log/ovn/ovsdb-server-nb.log 2>/dev/null | tail -2 | sed 's/^[^|]*|[^|]*|//' | tr '\n' ';' || true)
    lines=$(crm_mon_lines "$P")
    if [ -n "$ACTIVE_FIRST" ] && [ "$w" = acknowledged ] && [ -z "$rows" ]; then
        echo "PASS (reproduced: $S's NB turned active $ACTIVE_FIRST s after the upgrade of $P's NB and was active in $ACTIVE_N of $SAMPLES_N samples over 15 s (last: '$LAST_ST'); logged: ${logged:-nothing}; a local write on $S: $w, and $P's NB does not have it; crm_mon -1: $lines)"
    else
        local seen="never active"
        [ -z "$ACTIVE_FIRST" ] || seen="active after $ACTIVE_FIRST s"
        echo "FAIL (not reproduced: $S's NB $seen ($ACTIVE_N of $SAMPLES_N samples, last '$LAST_ST'); local write on $S: $w; on $P: ${rows:-none}; crm_mon -1: $lines)"
    fi
}

d_schema_upgrade() {
    local t0 w attr sc why='' lines vip f n0 logged
    n0=$("$C" exec "$S" wc -l /var/log/ovn/ovsdb-server-nb.log 2>/dev/null | awk '{print $1}')
    [[ $n0 =~ ^[0-9]+$ ]] || n0=0
    upgrade_promoted_nb || return 1
    t0=$(now)
    watch_standby_nb "$t0"
    logged=$("$C" exec "$S" tail -n "+$((n0 + 1))" /var/log/ovn/ovsdb-server-nb.log 2>/dev/null |
        grep -e "Nothing to replicate" -e "cannot be replicated" | sed 's/^[^|]*|[^|]*|//' | tr '\n' ';' || true)
    w=$(local_write "$S" "on-the-standby-1")
    attr=$(attr_line "$S" ovn-ocf-nb-replication)
    sc=$(node_attr "$S" master-ovn-nb)
    vip=$("$C" exec "$P" timeout 5 ovsdb-client transact "tcp:$VIP:$NB_PORT" \
        '["OVN_Northbound",{"op":"insert","table":"Address_Set","row":{"name":"through-the-vip"}}]' 2>&1 | tr '\n' ' ' | cut -c1-200) || true
    lines=$(crm_mon_lines "$P")
    f=$(grep -c "^resource ovn-nb Promoted" <<<"$(crm summary 2>/dev/null)" || true)
    ((ACTIVE_N == 0)) || why+="S's NB seen active in $ACTIVE_N samples, first after $ACTIVE_FIRST s; "
    [[ $logged == *"OVN_Northbound cannot be replicated"* && $logged != *"Nothing to replicate"* ]] ||
        why+="S's NB log after the upgrade: '${logged:-nothing}'; "
    [[ $LAST_ST == *"state: backup"* && $LAST_ST == *"database: OVN_OCF_Anchor"* && $LAST_ST != *OVN_Northbound* ]] ||
        why+="S's NB at the end: '$LAST_ST'; "
    [[ $w == refused* ]] || why+="a local write on $S: $w; "
    [[ $attr == *"held read-only"* && $attr == *"cannot replicate"* ]] || why+="attribute: '$attr'; "
    [ "$sc" = 1 ] || why+="master-ovn-nb on $S: $sc; "
    [[ $vip == *'"uuid"'* && $vip != *error* ]] || why+="write through the VIP: $vip; "
    [ "$f" = 1 ] || why+="$f promoted ovn-nb; "
    if [ -z "$why" ]; then
        echo "PASS (prevented: $S's NB never active (0 of $SAMPLES_N samples over 15 s), read-only: '$(tr '\n' ' ' <<<"$LAST_ST")'; its log: $logged; a local write on $S $w; crm_mon -1 -A on $S: '$attr', master-ovn-nb=$sc; a write through the VIP acknowledged; one promoted ovn-nb; crm_mon -1: $lines)"
    else
        echo "FAIL (not prevented: $why seen active in $ACTIVE_N of $SAMPLES_N samples; crm_mon -1: $lines)"
    fi
}

# ---------------------------------------------------------------------- switchover

# NODE RATE: what the database servers send NODE (source ports 6641, 6642: the incumbent
# replicates through its client ports; 6651, 6652: shape D's replication listeners)
# limited to RATE (htb on its bridge port, everything else unlimited: corosync, clients),
# or RATE "off". A replica on NODE then lags behind the writes.
slow_link() {
    local br=$OVNOCF_CLUSTER-br dev=v${1#node} port
    ip netns exec "$br" tc qdisc del dev "$dev" root 2>/dev/null || true
    [ "$2" != off ] || return 0
    say "what the servers send $1 limited to $2 (htb on $dev in netns $br)"
    ip netns exec "$br" tc qdisc add dev "$dev" root handle 1: htb default 10 r2q 1 &&
        ip netns exec "$br" tc class add dev "$dev" parent 1: classid 1:10 htb rate 10gbit quantum 60000 &&
        ip netns exec "$br" tc class add dev "$dev" parent 1: classid 1:20 htb rate "$2" quantum 1514 || return 1
    for port in "$NB_PORT" "$SB_PORT" "$REPL_PORT_NB" "$REPL_PORT_SB"; do
        ip netns exec "$br" tc filter add dev "$dev" parent 1: protocol ip prio 1 u32 \
            match ip sport "$port" 0xffff flowid 1:20 || return 1
    done
}

# NODE: how many Chassis rows NODE's own SB holds (its local socket; 0 if it does not
# answer).
local_chassis() {
    "$C" exec "$1" ovsdb-client query unix:/var/run/ovn/ovnsb_db.sock \
        '["OVN_Southbound",{"op":"select","table":"Chassis","where":[],"columns":["name"]}]' 2>/dev/null |
        { grep -o '"name":' || true; } | wc -l
}

# Case 4: a planned switchover (`pcs node standby` of the promoted node) while the
# standby lags: the SB writer through the VIP, unthrottled, what the servers send S
# slowed to SWITCH_RATE (2mbit) until S lacks SWITCH_LAG (1500) acknowledged writes (30 s
# at most), then the standby; the link is restored once the other node serves. Prints
# "N MISSING LAG SECS": acknowledged writes, those not in the SB after it, those S lacked
# when the standby began, and the seconds from the standby to the next acknowledged
# write; WHO names the resource that must end Promoted on S. The writer is stopped on
# every way out.
switchover() {
    local who=$1 t0 acked have out n missing names summ
    WRITER_INTO=chassis WRITER_INTERVAL=0 writer_start >&2 || { writer_stop; return 1; }
    slow_link "$S" "$SWITCH_RATE" >&2 || { writer_stop; bad "cannot slow the link into $S"; return 1; }
    t0=$(now)
    while :; do
        sleep 1
        acked=$(wc -l <"$WRITER_LOG") have=$(local_chassis "$S")
        ((acked - have >= SWITCH_LAG)) && break
        past "$t0" 30 && { say "$S lags by only $((acked - have)) writes after 30 s: the standby anyway"; break; }
    done
    say "standby of $P: $acked writes acknowledged so far, $S's SB holds $have Chassis rows"
    t0=$(now)
    "$C" exec "$S" pcs node standby "$P" >&2
    while :; do
        summ=$(crm summary 2>/dev/null || true)
        grep -q "^resource $who Promoted.* on $S" <<<"$summ" && break
        past "$t0" 180 && { slow_link "$S" off; writer_stop; bad "$who not Promoted on $S 180 s after the standby of $P"; return 1; }
        sleep 0.5
    done
    say "$who Promoted on $S $(since "$t0") s after the standby of $P"
    slow_link "$S" off
    writer_first_ack "$t0" >&2 || { writer_stop; return 1; }
    writer_stop
    out=$("$C" client python3 "$W" check "$WRITER_LOG" --into chassis) || true
    read -r n missing names <<<"$out"
    [[ $n =~ ^[0-9]+$ && $missing =~ ^[0-9]+$ ]] || { bad "writer.py check: $out"; return 1; }
    say "after the switchover: $missing of $n acknowledged SB writes missing${names:+ (e.g. $names)}; SB answered $FO s after the standby"
    # For the first-copy case: the node that comes back, the one that serves.
    echo "$P $S" >"$WORK/roles"
    echo "$n $missing $((acked - have)) $FO"
}

inc_switchover() {
    local n missing lag FO
    read -r n missing lag FO < <(switchover ovndb_servers) || return 1
    if ((missing > 0)); then
        echo "PASS (reproduced: $missing of $n acknowledged SB writes lost at \`pcs node standby $P\`; $S lacked $lag of them when the standby began, its link slowed to $SWITCH_RATE; SB answered through the VIP $FO s after the standby)"
    else
        echo "FAIL (not reproduced: 0 of $n acknowledged SB writes lost; $S lacked $lag when the standby began)"
    fi
}

d_switchover() {
    local n missing lag FO
    read -r n missing lag FO < <(switchover ovn-sb) || return 1
    if ((missing == 0)); then
        echo "PASS (prevented: 0 of $n acknowledged SB writes lost at \`pcs node standby $P\`; $S lacked $lag of them when the standby began, its link slowed to $SWITCH_RATE; SB answered through the VIP $FO s after the standby)"
    else
        echo "FAIL (not prevented: $missing of $n acknowledged SB writes lost; $S lacked $lag when the standby began)"
    fi
}

# ------------------------------------------------------------------------- first copy

# UP of the first-copy cases, KIND inc|d: the cluster the switchover case kept (its P in
# standby, its S promoted, the SB filled by its writer), else a fresh one made so (the
# writer unthrottled until SB holds FIRST_COPY_ROWS more chassis, then the unpromoted node
# in standby). Sets R (the node in standby, about to come back) and M (the one serving).
first_copy_up() {
    if [ -e "$WORK/kept" ] && [ -s "$WORK/roles" ]; then
        rm -f "$WORK/kept"
        read -r R M <"$WORK/roles"
        say "the switchover's cluster: $R in standby, $M serving"
        return 0
    fi
    rm -f "$WORK/kept"
    "$C" down >&2 || true
    "${1}_up" || return 1
    fill_sb || return 1
    R=$S M=$P
    standby_of "$R" "$M"
}

# FIRST_COPY_ROWS chassis written into the SB through the VIP, unthrottled.
fill_sb() {
    local t0
    WRITER_INTO=chassis WRITER_INTERVAL=0 writer_start >&2 || { writer_stop; return 1; }
    t0=$(now)
    until (($(wc -l <"$WRITER_LOG") >= FIRST_COPY_ROWS)); do
        past "$t0" 60 && { writer_stop; bad "the writer did not reach $FIRST_COPY_ROWS writes in 60 s"; return 1; }
        sleep 0.5
    done
    writer_stop
}

# NODE FROM: `pcs node standby NODE` (run on FROM), until nothing runs on NODE (60 s).
standby_of() {
    local t0
    "$C" exec "$2" pcs node standby "$1" >&2
    t0=$(now)
    while grep -q " on $1\b" <<<"$(crm summary 2>/dev/null | grep '^resource ')"; do
        past "$t0" 60 && { bad "resources still on $1 60 s after its standby"; return 1; }
        sleep 0.5
    done
}
inc_first_copy_up() { first_copy_up inc; }
d_first_copy_up() { first_copy_up d; }

# ATTR: R comes back (`pcs node unstandby`) while what the servers send it is slowed to
# FIRST_COPY_RATE, so that its SB replica loads its first full copy for a while. Every
# 0.5 s until its SB says "replicating:" (90 s at most): R's SB sync-status and its
# promotion score ATTR. Sets COPY_DURING (the scores seen while the SB said
# "connecting:", the copy not yet loaded: space-separated, one per sample, "-" when
# unset; empty if never seen), COPY_SECS (how long that state was seen) and COPY_AFTER
# (the score 30 s at most after the copy ended, once it is 5, a current replica's; "-"
# if never).
COPY_DURING='' COPY_SECS=0 COPY_AFTER=-
first_copy() {
    local attr=$1 t0 t1='' st sc
    slow_link "$R" "$FIRST_COPY_RATE" >&2 || { bad "cannot slow the link into $R"; return 1; }
    t0=$(now)
    "$C" exec "$M" pcs node unstandby "$R" >&2
    while :; do
        st=$(sync_status "$R" sb)
        sc=$(node_attr "$R" "$attr")
        if [[ $st == *"connecting:"* ]]; then
            [ -n "$t1" ] || { t1=$(now); say "$R's SB loading its first copy $(since "$t0") s after the unstandby: '$st', $attr=$sc"; }
            COPY_DURING+="${COPY_DURING:+ }$sc"
        fi
        [[ $st == *"replicating:"* ]] && break
        past "$t0" 90 && { slow_link "$R" off; bad "$R's SB not replicating 90 s after the unstandby: '$st'"; return 1; }
        sleep 0.5
    done
    [ -z "$t1" ] || COPY_SECS=$(since "$t1")
    say "$R's SB replicates $(since "$t0") s after the unstandby: '$st'"
    slow_link "$R" off >&2
    t1=$(now)
    until [ "$COPY_AFTER" = 5 ] || past "$t1" 30; do
        sleep 0.5
        COPY_AFTER=$(node_attr "$R" "$attr")
    done
}

# Scores as "VALUE×COUNT" runs: "5×18", "1×3, 5×2".
runs() { tr ' ' '\n' <<<"$1" | uniq -c | awk '{ printf "%s%s×%d", sep, $2, $1; sep = ", " }'; }

inc_first_copy() {
    local n fives
    first_copy master-ovndb_servers || return 1
    n=$(wc -w <<<"$COPY_DURING") fives=$(tr ' ' '\n' <<<"$COPY_DURING" | grep -cx 5 || true)
    if ((fives > 0)); then
        echo "PASS (reproduced: while $R's SB loaded its first copy ($COPY_SECS s, its link slowed to $FIRST_COPY_RATE), its promotion score master-ovndb_servers was 5, a current backup's, in $fives of $n samples: Pacemaker would promote it as readily as a replica holding everything; scores seen: $(runs "$COPY_DURING"); after the copy: $COPY_AFTER)"
    else
        echo "FAIL (not reproduced: scores while $R's SB loaded its first copy: $(runs "${COPY_DURING:-none}") ($COPY_SECS s); after: $COPY_AFTER)"
    fi
}

d_first_copy() {
    local high
    first_copy master-ovn-sb || return 1
    high=$(tr ' ' '\n' <<<"$COPY_DURING" | awk '$1 ~ /^[0-9]+$/ && $1 >= 5' | wc -l)
    if [ -n "$COPY_DURING" ] && ((high == 0)) && [ "$COPY_AFTER" = 5 ]; then
        echo "PASS (prevented: while $R's SB loaded its first copy ($COPY_SECS s, its link slowed to $FIRST_COPY_RATE), its promotion score master-ovn-sb stayed below a current replica's 5: $(runs "$COPY_DURING"); 5 once the copy was loaded)"
    else
        echo "FAIL (not prevented: scores while $R's SB loaded its first copy: $(runs "${COPY_DURING:-none}") ($COPY_SECS s, $high at 5 or more); after the copy: $COPY_AFTER)"
    fi
}

# --------------------------------------------------------------- promotion choice (3 nodes)

# UP of the promotion-choice cases, KIND inc|d: a fresh 3-node cluster, the incumbent
# (OVN's commands) or README's shape D with node3 added to replication_peers; until one
# node is promoted with the VIP and the other two replicate the SB from it (180 s). Sets
# P, and S and R (the unpromoted nodes, in name order: R is the one that will lag).
three_up() {
    local t0 s p u v ok why node st
    "$C" up --nodes 3 >&2 || return 1
    if [ "$1" = inc ]; then
        NODES=(node1 node2 node3)
        create_incumbent || return 1
    else
        sed 's/\(replication_peers="node1=[0-9.]* node2=[0-9.]*\)"/\1 node3='"$SUBNET"'.13"/' \
            "${README:-$HERE/../../README.md}" >"$WORK/README3.md"
        grep -q 'node3=' "$WORK/README3.md" || { bad "no replication_peers to add node3 to in README"; return 1; }
        README=$WORK/README3.md "$C" shape D >&2 || { bad "shape D did not start on 3 nodes"; return 1; }
    fi
    t0=$(now)
    while :; do
        s=$(crm summary 2>/dev/null) || s=
        if [ "$1" = inc ]; then
            read -r p u v < <(clone_roles ovndb_servers VirtualIP <<<"$s")
        else
            read -r p u v < <(clone_roles ovn-sb ovn-vip <<<"$s")
        fi
        why="promoted: $p, unpromoted: $u, VIP on $v"
        if [[ $p != - && $p != *,* && $v == "$p" && $u == *,* ]]; then
            ok=1
            for node in ${u//,/ }; do
                st=$(sync_status "$node" sb)
                [[ $st == *"state: backup"* && $st == *"replicating:"* ]] || { ok=0 why+="; sb on $node: $st"; }
            done
            if ((ok)) && crm failures >/dev/null; then
                P=$p S=${u%%,*} R=${u##*,}
                say "3 nodes: promoted on $P, $S and $R replicate the SB"
                return 0
            fi
        fi
        past "$t0" 180 && { bad "not up on 3 nodes with two replicating standbys after 180 s: $why"; return 1; }
        sleep 1
    done
}
inc_three_up() { three_up inc; }
d_three_up() { three_up d; }

# Case 6: which replica a power-off of the promoted node promotes, when one of the two is
# back from standby and still loading its first copy of the SB. R in standby, the SB
# written (FIRST_COPY_ROWS chassis through the VIP), an operator's preference of 1 for R
# as promoted (a location rule, on every clone whose scores decide: what any tie-break
# could do), what the servers send R slowed to FIRST_COPY_RATE, R back (unstandby); once
# R's SB says "connecting:" (loading), P powered off. Prints "WHERE N MISSING SCORES":
# the node the SB is promoted on, the acknowledged writes, those missing after, and the
# promotion scores seen on S and R at the power-off. WHO is the SB's resource, CLONES the
# clones the preference goes on, ATTRS the score attributes.
promotion_choice() {
    local who=$1 clones=$2 attrs=$3 t0 st summ where='' out n missing names a scores='' clone
    standby_of "$R" "$P" || return 1
    fill_sb || return 1
    for clone in $clones; do
        say "$P# pcs constraint location $clone rule role=Promoted score=1 '#uname' eq $R"
        "$C" exec "$P" pcs constraint location "$clone" rule role=Promoted score=1 '#uname' eq "$R" >&2 ||
            { bad "the preference for $R was not taken"; return 1; }
    done
    slow_link "$R" "$FIRST_COPY_RATE" >&2 || { bad "cannot slow the link into $R"; return 1; }
    t0=$(now)
    "$C" exec "$P" pcs node unstandby "$R" >&2
    until st=$(sync_status "$R" sb) && [[ $st == *"connecting:"* ]]; do
        past "$t0" 60 && { slow_link "$R" off; bad "$R's SB not loading a copy 60 s after the unstandby: '$st'"; return 1; }
        sleep 0.2
    done
    sleep 1
    for a in $attrs; do scores+="${scores:+, }$a $S=$(node_attr "$S" "$a") $R=$(node_attr "$R" "$a")"; done
    say "$R's SB loading its first copy ($(since "$t0") s after the unstandby: '$(sync_status "$R" sb)'); scores: $scores; power off $P"
    "$C" exec "$S" stonith_admin --fence "$P" --timeout 60 >/dev/null || { slow_link "$R" off; bad "stonith_admin --fence $P failed"; return 1; }
    t0=$(now)
    until [ -n "$where" ]; do
        summ=$(crm summary 2>/dev/null || true)
        where=$(awk -v r="$who" -v p="$P" '$1 == "resource" && $2 == r && $3 == "Promoted" && $4 == "on" && $5 != p { print $5 }' <<<"$summ")
        past "$t0" 120 && { slow_link "$R" off; bad "$who not promoted anywhere 120 s after the power-off of $P"; return 1; }
        sleep 0.5
    done
    say "$who Promoted on $where $(since "$t0") s after the power-off of $P"
    slow_link "$R" off
    # Every acknowledged write looked up through the VIP, once the SB answers there
    # (writer.py check exits non-zero when writes are missing: its line tells).
    while :; do
        out=$("$C" client python3 "$W" check "$WRITER_LOG" --into chassis 2>/dev/null) || true
        read -r n missing names <<<"$out"
        [[ $n =~ ^[0-9]+$ && $missing =~ ^[0-9]+$ ]] && break
        past "$t0" 180 && { bad "the SB did not answer through the VIP 180 s after the power-off: $out"; return 1; }
        sleep 1
    done
    echo "$where $n $missing $scores"
}

inc_promotion_choice() {
    local where n missing scores
    read -r where n missing scores < <(promotion_choice ovndb_servers ovndb_servers-clone master-ovndb_servers) || return 1
    if [ "$where" = "$R" ] && ((missing > 0)); then
        echo "PASS (reproduced: at the power-off of $P, with $R still loading its first copy of the SB, Pacemaker promoted $R (scores $scores, and the preference of 1 for $R): $missing of $n acknowledged SB writes lost)"
    else
        echo "FAIL (not reproduced: promoted on $where (scores $scores), $missing of $n acknowledged SB writes missing)"
    fi
}

d_promotion_choice() {
    local where n missing scores
    read -r where n missing scores < <(promotion_choice ovn-sb "ovn-nb-clone ovn-sb-clone" "master-ovn-nb master-ovn-sb") || return 1
    if [ "$where" = "$S" ] && ((missing == 0)); then
        echo "PASS (prevented: at the power-off of $P, with $R still loading its first copy of the SB, Pacemaker promoted $S, the current replica (scores $scores, and the preference of 1 for $R): 0 of $n acknowledged SB writes lost)"
    else
        echo "FAIL (not prevented: promoted on $where (scores $scores), $missing of $n acknowledged SB writes missing)"
    fi
}

# ---------------------------------------------------------------------------------- run

# run_case NAME UP CHECK [NEXT]: a fresh cluster (UP), CHECK prints "PASS (...)" or
# "FAIL (...)"; the cluster goes down whatever happened (logs saved when the case did not
# pass), unless it passed and case NEXT runs after it: then $WORK/kept tells NEXT's UP
# that it may use this cluster.
run_case() {
    local name=$1 rc verdict t0 next=${4:-}
    [[ " ${GUARDS_CASES:-$name} " == *" $name "* ]] || return 0
    t0=$(now)
    say "=== $name"
    rm -f "$WORK/why" "$WORK/verdict"
    P='' S=''
    set +e
    (
        set -e
        "$2"
        "$3" >"$WORK/verdict"
    )
    rc=$?
    set -e
    verdict=$(cat "$WORK/verdict" 2>/dev/null || true)
    if [ "$rc" != 0 ] || [ -z "$verdict" ]; then
        verdict="FAIL (error: $(cat "$WORK/why" 2>/dev/null || echo "exit $rc"))"
    fi
    if [[ $verdict == PASS* && -n $next && " ${GUARDS_CASES:-$next} " == *" $next "* ]]; then
        touch "$WORK/kept"
    elif [[ $verdict == PASS* && -z ${GUARDS_KEEP_LOGS:-} ]]; then
        "$C" down >&2 || true
    elif [[ $verdict == PASS* ]]; then
        "$C" down --save-logs "$LOGS/${name//\//-}" >&2 || true
    else
        "$C" status >&2 || true
        "$C" down --save-logs "$LOGS/${name//\//-}" >&2 || true
    fi
    say "=== $name done in $(since "$t0") s"
    result "$name" "${verdict%% *}" "${verdict#* }"
}

"$C" down >/dev/null 2>&1 || true
# One cluster per agent, each case in the cluster the one before left (when it passed):
# the schema upgrade last (it leaves the standby's NB unable to replicate).
run_case incumbent/switchover inc_up inc_switchover incumbent/first-copy
run_case incumbent/first-copy inc_first_copy_up inc_first_copy incumbent/self-replication
run_case incumbent/self-replication inc_again inc_self_replication incumbent/static-scores
run_case incumbent/static-scores inc_again inc_static_scores incumbent/schema-upgrade
run_case incumbent/schema-upgrade inc_again inc_schema_upgrade
run_case D/switchover d_up d_switchover D/first-copy
run_case D/first-copy d_first_copy_up d_first_copy D/self-replication
run_case D/self-replication d_again d_self_replication D/static-scores
run_case D/static-scores d_again d_static_scores D/schema-upgrade
run_case D/schema-upgrade d_again d_schema_upgrade
run_case incumbent/promotion-choice inc_three_up inc_promotion_choice
run_case D/promotion-choice d_three_up d_promotion_choice
