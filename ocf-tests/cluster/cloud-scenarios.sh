#!/bin/bash
# The seed's recovery with the real tools: README's shape (CLOUD_SCENARIO_SHAPE, A) in the
# namespace cluster, README's recipe "Rebuild NB with Neutron's sync util" run verbatim
# (its config files and pcs commands; only the config paths and the Neutron DB's address
# and password substituted), and the small real cloud around it (cloud.sh: MariaDB,
# neutron-server ML2/OVN, a compute host with ovn-controller, two VMs pinging). Then, each
# a power-off (fence) of the node that serves:
#
#   cloud-a-fence        nothing else lost
#   cloud-c-sb-lost      the SB file removed first: the survivor creates it anew and its SB
#                        gate has ovn-northd recompute it before ovn-controller sees it
#   cloud-b1-nb-cut      one byte of an NB record a quarter of the way in changed first
#                        (nbcheck.py damage): the survivor keeps the intact prefix, a part
#                        of the cloud, and neutron-ovn-db-sync-util rebuilds the rest
#   cloud-d-api-during-b1  a port created through the Neutron API right after b1's
#                        power-off: the call answers once NB is back, the port is in NB
#                        and bound to compute1 (ACTIVE). When Debian 12's Neutron answers
#                        500 because the sync util had written the port's row already (a
#                        Neutron bug, see d_check), the result says so and the request is
#                        retried once, as a client would
#   cloud-b2-nb-missing  the NB file removed first: rebuilt whole by the sync util
#
# In shape C (CLOUD_SCENARIO_SHAPE=C: README's shape C, each node's own files on local
# disk, NB's repair_hook the sync util from the start) the scenarios are (CLOUD_SCENARIOS,
# "r1 r2 r3 k r4") takeovers over and back twice, a port made through the Neutron API
# before each: r1 a power-off, r2 pcs node standby, r3 a corosync kill (then fenced), r4
# a power-off (r5... power-offs too); the survivor's own files are missing (the first
# time on that node: created) or of an earlier term (replaced: backed up into backup_dir,
# which the result checks, then rebuilt), the cluster's generation names it and `ovn-ocf
# status` there says both files are current. Both databases are rebuilt, so the SB writer
# does not run (its writes are lost by design, as in c). The first takeover waits until the
# cluster's SB memo (saved every 15 s) holds every port the SB has: a cloud that has run
# for a while, not one made seconds before (README says what that costs). ovn-controller
# monitors conditionally, its default (CLOUD_MONITOR_ALL=true|false sets
# ovn-monitor-all). In place, each with the SB writer on (every acknowledged transaction
# kept): k a kill -9 of the serving SB, kn of the serving NB, kd of ovn-northd, ks a
# SIGSTOP of the serving SB; the database restarts in place with its own file (no
# rebuild, the generations unchanged; for kd no database restarts).
#
# Each must end with 0 pings lost, the flow count on br-int never below its level before
# the trigger, the same ovn-controller alive and connected to the SB, every Neutron write
# acknowledged before the trigger in NB (a port made through the API just before it), and
# NB as it was before the trigger: every row compared by content, references resolved to
# names (nbcheck.py; what it leaves out it names, in the code and in the output). In a, b1
# and b2 an SB writer (writer.py --into sb-global) commits through the VIP all along and
# every transaction it saw acknowledged must be in the SB afterwards; c loses the SB by
# design (the writer is stopped for it). Each starts and ends with everything on one node
# and the other one standing by (the powered-off node is powered on again, but after the
# last one).
#
# One RESULT line per scenario with its figures (the cloud's CLOUD_* lines and the NB
# comparison are printed above it; what the data path went through is in it too: whether
# the SB's tunnel keys were renumbered, when ovn-controller claimed its ports again, when
# lost pings were sent), a last line "cloud-scenarios: N passed, M failed",
# exit 1 on any failure. A scenario whose failover did not recover leaves the cluster as it
# is: the ones after it are reported as not run. Cluster and cloud are torn down on every
# exit; logs go to target/cloud-scenario-logs/<timestamp> on failure (always with
# SCENARIO_KEEP_LOGS=1). Knobs: CLOUD_SIZE (small; cloud.sh), CLOUD_AFTER (seconds the
# window stays open once ovn-controller is connected again, 5), CLOUD_CUT_AT (where b1's
# damage goes, as a fraction of the records, 0.25), CLOUD_SCENARIOS (which, in order:
# "a c b1 b2"; b1 includes d), README, and cluster.sh's environment
# (OVNOCF_CLUSTER, OVN_OCF_BIN, ...). Needs the cloud's packages (ocf-tests/cloud-deps.sh).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOGS=${CLOUD_SCENARIO_LOGS:-$HERE/../../target/cloud-scenario-logs}/$(date +%Y%m%dT%H%M%S)
README=${README:-$HERE/../../README.md}
# Visible from the client netns and the nodes (not /tmp: nodes have their own).
WORK=$(mktemp -d /var/tmp/ovn-ocf-cloudscn.XXXXXX)
SHAPE=${CLOUD_SCENARIO_SHAPE:-A}
# Where the databases are: the shared LUN, or each node's local disk (shape C).
DBDIR=/srv/ovn
[ "$SHAPE" != C ] || DBDIR=/var/lib/ovn
SERVED=()   # shape C: the nodes that served in this run (a survivor among them replaces)
# A real ovn-controller builds a tunnel to every Chassis in the SB: the writer adds keys
# to SB_Global's external_ids instead, which nothing reads.
WRITER_INTO=sb-global
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
K=$HERE/cloud.sh
NBC=$HERE/nbcheck.py

BROKEN=0     # a failover did not recover: the scenarios after it are not run
D_PID=       # the background API call of d
D_MARK=0     # the size of neutron-server's log when it began

teardown() {
    writer_stop
    [ -z "$D_PID" ] || kill "$D_PID" 2>/dev/null || true
    if [ "$RC" != 0 ] || [ "$FAILED" != 0 ] || [ "${SCENARIO_KEEP_LOGS:-0}" = 1 ]; then
        say "cluster state:"
        "$C" status >&2 || true
        "$K" down --save-logs "$LOGS/cloud" || RC=1
        "$C" down --save-logs "$LOGS/cluster" || RC=1
        mkdir -p "$LOGS/work"
        cp -r "$WORK/." "$LOGS/work/" 2>/dev/null || true
    else
        "$K" down || RC=1
        "$C" down || RC=1
    fi
    rm -rf "$WORK"
}
tally_at_exit --many
at_exit teardown

# ------------------------------------------------------------------------------ recipe

# README's recipe between "<!-- BEGIN recipe neutron-sync" and "<!-- END recipe
# neutron-sync" as it must be run, one item a line: "FILE PATH" for a line "`PATH`:",
# "LINE TEXT" for every line of the indented block under it (blank lines kept), "PCS CMD"
# for every pcs command of an indented block (continuation lines joined, as cluster.sh
# reads the shapes), those tagged "# shape X" only when X is SHAPE.
recipe_items() {
    [ -f "$README" ] || die "$README not found"
    awk '/^<!-- BEGIN recipe neutron-sync/ { f = 1; next } /^<!-- END recipe neutron-sync/ { f = 0 } f' "$README" |
        awk -v shape="$SHAPE" '
            function flush() { if (cmd != "") { if (cmd !~ /# shape [A-Z]$/ || cmd ~ ("# shape " shape "$")) print "PCS " cmd; cmd = "" } }
            /^`\/[^`]+`:$/ { flush(); file = substr($0, 2, length($0) - 3); print "FILE " file; blanks = lines = 0; next }
            /^    / {
                line = substr($0, 5)
                if (file != "") { for (; blanks > 0 && lines; blanks--) print "LINE "; blanks = 0; lines++; print "LINE " line; next }
                if (cmd == "" && line !~ /^pcs /) next
                cont = line ~ /\\$/
                sub(/^ +/, "", line); sub(/\\$/, "", line)
                cmd = cmd line
                if (!cont) flush()
                next
            }
            /^$/ { if (file != "") blanks++; next }
            { flush(); file = ""; blanks = 0 }
            END { flush() }'
}

# Writes README's config files (paths under WORK, the cloud's DB address and password)
# and runs its pcs commands on a node, as an operator would; the group restarts.
apply_recipe() {
    local items db host pass etc=$WORK/etc-ovn-ocf line kind rest path="" node n=0 c
    items=$(recipe_items)
    if ! grep -q '^FILE ' <<<"$items" || ! grep -q '^PCS ' <<<"$items"; then
        bad "no recipe neutron-sync (files and pcs commands) in $README"
        return 1
    fi
    db=$("$K" db)
    host=$(kv host "$db") pass=$(kv password "$db")
    # Only these are substituted.
    items=$(sed -e "s#/etc/ovn-ocf/#$etc/#g" -e "s#NEUTRON_DBPASS#$pass#g" \
        -e "s#@controller/#@$host/#g" <<<"$items")
    mkdir -p "$etc"
    while IFS= read -r line; do
        kind=${line%% *} rest=${line#* }
        [ "$kind" != "$line" ] || rest=""
        case $kind in
        FILE)
            path=$rest
            # Nothing is written outside WORK (the host's /etc is never touched).
            case $path in "$etc"/*) ;; *) bad "recipe file $path: not under /etc/ovn-ocf/"; return 1 ;; esac
            : >"$path"
            say "recipe: writing $path"
            ;;
        LINE) printf '%s\n' "$rest" >>"$path" ;;
        esac
    done <<<"$items"
    grep -rq "@$host/" "$etc" || { bad "the recipe's files name no database at $host"; return 1; }
    node=$(settle) || return 1
    while IFS= read -r c; do
        say "$node# $c"
        "$C" exec "$node" bash -c "$c" >&2 || { bad "recipe command failed: $c"; return 1; }
        n=$((n + 1))
    done < <(sed -n 's/^PCS //p' <<<"$items")
    say "recipe: $(find "$etc" -type f | wc -l) files, $n pcs commands"
    # The group restarts for the new parameters: until the cluster has settled.
    "$C" exec "$node" crm_resource --wait --timeout=120 >&2 || { bad "the cluster did not settle after the recipe"; return 1; }
}

# ---------------------------------------------------------------------------- scenarios

SCN='' LAST='' LOSS='' WHY='' DETAIL='' DAMAGE='' REPAIR='' NBTEXT='' MARK='' D_SCN='' D_T0='' D_RESULT=''
CTL_PID=          # ovn-controller's pid when the cloud came up: the same one all along
ACKED_PORTS=()    # Neutron ports whose creation was acknowledged before a trigger

# ovn-controller's connection to the SB, as it says.
controller_sb() { "$K" exec cmp1 timeout 3 ovn-appctl -t ovn-controller connection-status 2>/dev/null | tr -dc 'a-z-'; }

# NAME LOSS: one power-off of the serving node after losing LOSS there: none, nb-cut,
# nb-missing, sb-missing. Sets DETAIL, and WHY for what the data path, NB or the Neutron
# writes did not keep (non-zero only when the failover itself failed).
cloud_scenario() {
    local from out id acks=fo_acks final=fo_final wait=fo_wait back=fo_back kind=${3:-fence-off} logged
    SCN=$1 LOSS=$2 WHY='' DAMAGE='' REPAIR='' NBTEXT=''
    from=$(settle --standby) || return 1
    # The node whose log tells the recovery: the survivor, or the node itself (kill -9).
    logged=$(other "$from")
    case $kind in kill-* | sigstop-*) logged=$from ;; esac
    # A Neutron write acknowledged before the trigger: it must be in NB afterwards.
    out=$("$K" port "pre-$SCN") || { bad "port pre-$SCN through the API failed"; return 1; }
    id=$(kv id "$out")
    [ -n "$id" ] || { bad "port pre-$SCN: $out"; return 1; }
    ACKED_PORTS+=("$id")
    "$C" client python3 "$NBC" dump "$WORK/nb-before-$SCN.json" >&2 ||
        { bad "cannot read NB through the VIP"; return 1; }
    KEYS=$("$C" client python3 "$W" tunnel-keys) || { bad "cannot read the SB's tunnel keys through the VIP"; return 1; }
    MARK=$(node_size "$logged" "$PCMK_LOG")
    CTL_MARK=$("$K" log ovn-controller | wc -c)
    "$K" sample-start "$SCN" 2>/dev/null
    case $LOSS in sb-missing | stale) acks=: final=no_failures wait=sb_back ;; esac
    # The node powered off comes back for the next scenario (none after the last).
    [ "$SCN" != "$LAST" ] || back=:
    FO_TRIGGER=loss_trigger FO_WAIT=$wait FO_CHECK=cloud_check FO_ACKS=$acks FO_FINAL=$final \
        FO_BACK=$back failover "$kind" "$from" || return 1
    local answer="SB writer acknowledged again" writes="SB writer: all $ACKS acknowledged transactions in the SB"
    case $LOSS in sb-missing | stale)
        answer="SB answered through the VIP"
        writes="SB writer not run: the SB is lost by design"
        ;;
    esac
    # What fo_wait timed for the in-place kinds: a read through the VIP that failed and
    # then succeeded, or (ovn-northd) a new logical switch seen in the SB.
    case $kind in
    kill-sb | sigstop-sb) answer="SB answered through the VIP again" ;;
    kill-nb) answer="NB answered through the VIP again" ;;
    kill-northd) answer="a new logical switch in the SB" ;;
    esac
    local what="power-off"
    case $kind in
    standby) what="pcs node standby" ;;
    corosync-kill) what="corosync kill (then fenced) on" ;;
    kill-sb) what="kill -9 of SB on" ;;
    kill-nb) what="kill -9 of NB on" ;;
    kill-northd) what="kill -9 of ovn-northd on" ;;
    sigstop-sb) what="SIGSTOP of SB on" ;;
    esac
    DETAIL="${DAMAGE:+$DAMAGE; }$what $FO_FROM → $answer after $FO s, all on $FO_NEW after $FO_ALL s${REPAIR:+; $REPAIR}; $CLOUD_DETAIL; $DATAPATH; $NBTEXT; ${#ACKED_PORTS[@]} Neutron ports acknowledged before their trigger all in NB; $writes"
}

# The loss, then the power-off (fo_trigger); for d, the API call right after it.
loss_trigger() {
    local f=$DBDIR/ovnnb_db.db
    [ "$LOSS" != sb-missing ] || f=$DBDIR/ovnsb_db.db
    case $LOSS in
    nb-cut)
        DAMAGE=$("$C" exec "$FO_FROM" python3 "$NBC" damage "$f" "${CLOUD_CUT_AT:-0.25}") ||
            { bad "cannot damage $f on $FO_FROM: $DAMAGE"; return 1; }
        say "$DAMAGE"
        local lsp
        lsp=$(kv Logical_Switch_Port "$DAMAGE")
        # The point of b1: the intact prefix must hold only part of the cloud.
        [ "${lsp%/*}" -lt "${lsp#*/}" ] 2>/dev/null ||
            WHY+="the damaged NB record leaves a prefix holding Logical_Switch_Port $lsp, not part of the cloud (CLOUD_CUT_AT); "
        DAMAGE="NB record $(kv record "$DAMAGE") of $(kv records "$DAMAGE") damaged, the prefix holding Logical_Switch_Port $(kv Logical_Switch_Port "$DAMAGE"), Logical_Switch $(kv Logical_Switch "$DAMAGE")"
        ;;
    nb-missing | sb-missing)
        "$C" exec "$FO_FROM" sh -c "rm $f && sync -f $DBDIR" || { bad "cannot remove $f on $FO_FROM"; return 1; }
        DAMAGE="$f removed"
        ;;
    esac
    fo_trigger || return 1
    if [ "$SCN" = "$D_SCN" ]; then
        D_MARK=$("$K" log neutron-server | wc -c)
        D_T0=$EPOCHREALTIME
        d_call "d-$SCN" >"$WORK/d.out" 2>"$WORK/d.err" &
        D_PID=$!
        say "d: creating port d-$SCN through the Neutron API (pid $D_PID)"
    fi
}

# NAME: d's API call (cloud.sh port --bind), then "DONE rc=N t=EPOCH" when it answered.
d_call() {
    local rc=0
    "$K" port "$1" --bind --timeout 240 || rc=$?
    echo "DONE rc=$rc t=$EPOCHREALTIME"
}

# c's wait (no writer): the node is off, then the SB answers through the VIP again.
sb_back() {
    local back
    [ "$FO_KIND" = standby ] || wait_off "$FO_VICTIM" "$FO_T0" || return 1
    back=$(db_back sb) || return 1
    FO=$(secs "$FO_T0" "$back")
}

# After the group started on the survivor: ovn-controller connected again, d's call
# answered, the window closed and judged, NB compared with the one before the trigger.
# Only a broken harness fails it; what the cloud did not keep goes into WHY.
cloud_check() {
    local t0 rep pid survivor=$FO_NEW
    t0=$EPOCHREALTIME
    until [ "$(controller_sb)" = connected ]; do
        if past "$t0" 60; then WHY+="ovn-controller not connected to the SB 60 s after the group started; "; break; fi
        sleep 0.2
    done
    say "ovn-controller connected $(secs "$FO_T0") s after the trigger"
    [ -z "$D_PID" ] || d_check
    sleep "${CLOUD_AFTER:-5}"
    rep=$("$K" sample-stop "$SCN") || { bad "no report of window $SCN"; return 1; }
    echo "$rep"
    cloud_verdict "$rep"
    WHY+=$CLOUD_WHY
    pid=$(kv pid "$(grep '^CLOUD_CONTROLLER' <<<"$rep")")
    [ "$pid" = "$CTL_PID" ] || WHY+="ovn-controller is pid $pid, not $CTL_PID as before; "
    datapath
    [ -z "$D_SCN" ] || [ "$SCN" != "$D_SCN" ] || d_cleanup
    # kd's proof that ovn-northd works again (fo_wait) is a logical switch of its own in
    # NB: it goes before NB is compared with NB before the trigger.
    if [ "$FO_KIND" = kill-northd ]; then
        "$C" client ovn-nbctl --db="tcp:$VIP:$NB_PORT" --timeout=30 ls-del "fo-ls-$FO_PID-${FO_T0%.*}" ||
            WHY+="cannot remove logical switch fo-ls-$FO_PID-${FO_T0%.*} through the VIP; "
    fi
    nb_check
    repair_check "$survivor"
    return 0
}

# What the data path went through, for the result (a lost ping is told from it): the SB's
# tunnel keys against those before the trigger (ovn-northd numbers datapaths and ports
# anew when it recomputes them; ovn-controller's flows carry the numbers), and when
# ovn-controller claimed its ports again (a Port_Binding it had claimed came back new).
DATAPATH='' KEYS='' CTL_MARK=0
datapath() {
    local after claims
    after=$("$C" client python3 "$W" tunnel-keys) || after=
    DATAPATH="SB tunnel keys $(python3 -c '
import sys
b = dict(w.split("=", 1) for w in sys.argv[1].split()[1:])
a = dict(w.split("=", 1) for w in sys.argv[2].split()[1:])
both = [k for k in b if k in a]
dp = [k for k in both if k.startswith("dp:")]
pb = [k for k in both if k.startswith("pb:")]
ch = lambda ks: sum(1 for k in ks if a[k] != b[k])
print("unread" if not a else "kept" if not ch(both) else
      "renumbered: %d of %d datapaths, %d of %d ports" % (ch(dp), len(dp), ch(pb), len(pb)))
' "$KEYS" "$after")"
    claims=$("$K" log ovn-controller 2>/dev/null | tail -c +"$((CTL_MARK + 1))" |
        awk '/Claiming lport .* for this chassis/ { n++; if (!a) a = substr($1, 12, 12); b = substr($1, 12, 12) }
             /Setting lport .* ovn-installed in OVS/ { c = substr($1, 12, 12) }
             END { if (n) printf "%d ports claimed again %s-%s UTC, ovn-installed again %s", n, a, b, c }')
    DATAPATH+="; ovn-controller: ${claims:-no port claimed again}"
}

# NB after against NB before (nbcheck.py: by content, named exceptions), waiting for
# northd to write back what it owns; and every acknowledged Neutron port in it.
nb_check() {
    local out has
    out=$("$C" client python3 "$NBC" wait-equal "$WORK/nb-before-$SCN.json" "$WORK/nb-after-$SCN.json" 60) || true
    echo "$out"
    if grep -q '^NB_EQUAL' <<<"$out"; then
        NBTEXT="NB equal to before: $(grep '^NB_EQUAL' <<<"$out" | sed 's/^NB_EQUAL //') (after $(kv secs "$(grep '^NB_WAITED' <<<"$out")") s)"
    else
        NBTEXT="NB differs from before: $(grep -m1 '^NB_' <<<"$out")"
        WHY+="$NBTEXT; "
    fi
    has=$(python3 "$NBC" has "$WORK/nb-after-$SCN.json" Logical_Switch_Port "${ACKED_PORTS[@]}" 2>&1) ||
        WHY+="acknowledged Neutron writes lost: $has; "
}

# SURVIVOR: what its agents logged since MARK: the repair of the lost database, NB's
# hook (the sync util) and the SB gate, with their times.
repair_check() {
    local log db=nb want
    case $LOSS in none) return 0 ;; sb-missing) db=sb ;; esac
    want=created
    [ "$LOSS" != nb-cut ] || want="cut"
    log=$(node_since "$1" "$PCMK_LOG" "$MARK" | grep -F 'ovsdb-server(ovn-') || true
    if [ "$LOSS" = inplace ]; then
        inplace_check "$1" "$log"
        return 0
    elif [ "$LOSS" = stale ]; then
        stale_check "$1" "$log" || return 0
    elif ! grep -q "repair db_file=$DBDIR/ovn${db}_db.db .*outcome=$want " <<<"$log"; then
        WHY+="no '${db^^} repair ... outcome=$want' in $1's log; "
        return 0
    else
        REPAIR="${db^^} repair on $1: $(grep -o "repair db_file=$DBDIR/ovn${db}_db.db found=\"[^\"]*\" outcome=$want" <<<"$log" | head -1 | sed 's/^repair db_file=[^ ]* //')"
    fi
    if [ "$db" = nb ]; then
        local hook
        hook=$(awk '
            function t(s) { s = substr(s, 10, 10); return substr(s, 1, 2) * 3600 + substr(s, 3, 2) * 60 + substr(s, 5) }
            /running (its )?repair_hook/ && !a { a = t($2); next }
            a && !b && /repair_hook (stdout|stderr):|after repair_hook/ { b = t($2) }
            END { if (a && b) printf "%.1f", b - a }' <<<"$log")
        if grep -q 'repair_hook .*\(failed\|killed\)' <<<"$log"; then
            WHY+="NB's repair_hook failed on $1: $(grep -m1 'repair_hook .*\(failed\|killed\)' <<<"$log" | cut -c1-600); "
        elif [ -z "$hook" ]; then
            WHY+="NB's repair_hook did not run on $1 (or did not finish); "
        else
            REPAIR+=", sync util ran ${hook} s"
        fi
    fi
    if grep -q 'SB gate: Southbound recomputed' <<<"$log"; then REPAIR+=", SB gate passed"; else WHY+="no SB gate on $1; "; fi
}

# Shape C, NODE serving: until the cluster's SB memo (ovn-ocf-sb-tunnel-keys) holds as
# many ports as the SB has (60 s).
memo_caught_up() {
    local t0=$EPOCHREALTIME want have=0
    want=$("$C" client python3 "$W" tunnel-keys | tr ' ' '\n' | grep -c '^pb:') ||
        { bad "cannot read the SB's port bindings through the VIP"; return 1; }
    while :; do
        have=$("$C" exec "$1" crm_attribute --type crm_config --name ovn-ocf-sb-tunnel-keys --query --quiet 2>/dev/null |
            python3 -c 'import json, sys; print(len(json.load(sys.stdin)["ports"]))' 2>/dev/null) || have=0
        [ "$have" -lt "$want" ] || break
        past "$t0" 60 && { bad "the cluster's SB memo holds $have ports, the SB $want, 60 s on"; return 1; }
        sleep 1
    done
    say "the cluster's SB memo holds $have ports ($want in the SB) $(secs "$t0") s on"
}

# Shape C: SURVIVOR LOG. Both its files replaced (backed up: the backup must be on its
# disk) if it served before in this run, else created; the cluster's generations name it.
stale_check() {
    local db line outcome backup want=created gen
    [[ " ${SERVED[*]} " != *" $1 "* ]] || want=replaced
    REPAIR=""
    for db in nb sb; do
        line=$(grep -o "repair db_file=$DBDIR/ovn${db}_db.db found=\"[^\"]*\" outcome=[a-z+-]* backup=[^ ]*" <<<"$2" | tail -1)
        outcome=$(sed -n 's/.* outcome=\([a-z+-]*\) .*/\1/p' <<<"$line")
        backup=${line##*backup=}
        if [ "$outcome" != "$want" ]; then
            WHY+="${db^^} repair on $1: outcome ${outcome:-none}, not $want${line:+ ($line)}; "
            return 1
        fi
        if [ "$want" = replaced ]; then
            if "$C" exec "$1" test -s "$backup"; then
                REPAIR+="${db^^}'s stale file on $1 replaced, backed up as ${backup##*/}, "
            else
                WHY+="${db^^}'s stale file on $1 replaced but its backup $backup is not there; "
            fi
        else
            REPAIR+="${db^^} created on $1 (it had no file), "
        fi
        gen=$(cluster_gen "$1" "$db")
        case $gen in
        *"@$1") REPAIR+="generation $gen; " ;;
        *) WHY+="the cluster's ovn-ocf-$db-generation is '${gen:-unset}', not one of $1's; " ;;
        esac
    done
    # What the operator's command says there: both files current.
    gen=$("$C" exec "$1" ovn-ocf status --json 2>/dev/null | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin)["resources"] if r.get("generation")]
print(" ".join("%s=%s" % (r["db"], "current" if r["generation"]["current"] else "NOT-current") for r in rows))') || gen=
    if [ "$gen" = "nb=current sb=current" ] || [ "$gen" = "sb=current nb=current" ]; then
        REPAIR+="ovn-ocf status: both current; "
    else
        WHY+="ovn-ocf status on $1 says '${gen:-nothing}' of the generations, not both current; "
    fi
    REPAIR=${REPAIR%; }
    SERVED+=("$1")
}

# NODE DB: the cluster's generation of DB (nb|sb) as NODE reads it, or nothing.
cluster_gen() {
    "$C" exec "$1" crm_attribute --type crm_config --name "ovn-ocf-$2-generation" --query --quiet 2>/dev/null || true
}

# Shape C, kill -9 of NB or SB, SIGSTOP of SB, kill -9 of ovn-northd (FO_KIND): NODE LOG.
# The database that failed restarted in place with its own file (repaired clean; for
# ovn-northd, no database restarted at all), no repair_hook, no gate, both generations
# still this node's.
inplace_check() {
    local line gen db=sb
    case $FO_KIND in kill-nb) db=nb ;; esac
    if [ "$FO_KIND" = kill-northd ]; then
        if grep -q "repair db_file=" <<<"$2"; then
            WHY+="a database restarted on $1 after a kill -9 of ovn-northd ($(grep -m1 -o "repair db_file=[^ ]*" <<<"$2")); "
        else
            REPAIR="ovn-northd restarted on $1, no database restarted"
        fi
    else
        line=$(grep -o "repair db_file=$DBDIR/ovn${db}_db.db found=\"[^\"]*\" outcome=[a-z+-]*" <<<"$2" | tail -1)
        case $line in
        *outcome=clean) REPAIR="${db^^} restarted in place on $1: ${line#* }" ;;
        *) WHY+="${db^^} on $1: '${line:-no repair line}', not outcome=clean; " ;;
        esac
    fi
    if grep -q "running \(its \)\?repair_hook\|SB gate: " <<<"$2"; then
        WHY+="a rebuild ran on $1 after $FO_KIND ($(grep -m1 "repair_hook\|SB gate" <<<"$2" | cut -c1-200)); "
    else
        REPAIR+=", no rebuild"
    fi
    for db in nb sb; do
        gen=$(cluster_gen "$1" "$db")
        case $gen in
        *"@$1") REPAIR+=", ${db^^} generation $gen" ;;
        *) WHY+="the cluster's ovn-ocf-$db-generation is '${gen:-unset}', not one of $1's; " ;;
        esac
    done
}

# d: the API call made right after the power-off has answered (it waits for NB); the
# port is in NB and bound (cloud.sh port --bind: ACTIVE in Neutron).
d_check() {
    local out id secs bound nb first="" log deleted
    wait "$D_PID" || true
    D_PID=
    out=$(cat "$WORK/d.out")
    id=$(kv id "$(grep '^PORT' <<<"$out")")
    if [ -z "$id" ]; then
        # Debian 12's Neutron (21.0.0) cannot create a port whose Logical_Switch_Port is in
        # NB already: AddLSwitchPortCommand(may_exist=True) returns without its result,
        # and the port's QoS options command fails on it (TypeError); ML2 deletes the port
        # and answers 500. Here the sync util wrote that row, from the port the call had
        # committed to the Neutron DB a moment before. (Later Neutron sets the result.)
        # A client retries; so does this test, once, and says so.
        log=$("$K" log neutron-server 2>/dev/null | tail -c +"$((D_MARK + 1))")
        deleted=$(grep -o "create_port_postcommit failed, deleting port '[0-9a-f-]*'" <<<"$log" | head -1)
        if [ -z "$deleted" ] || ! grep -q "TypeError: one of the hex, bytes, bytes_le, fields, or int arguments must be given" <<<"$log"; then
            D_RESULT="FAIL port d-$SCN through the API during $SCN: no port ($(tail -c 400 "$WORK/d.err" | tr '\n' ' '))"
            return 0
        fi
        first="the call answered 500 after $(secs "$D_T0" "$(kv t "$(grep '^DONE' <<<"$out")")") s: Neutron 21.0.0's create_port found the Logical_Switch_Port the sync util had written from the Neutron DB (AddLSwitchPortCommand with may_exist leaves its result unset: TypeError) and deleted port ${deleted##* }; the same request again: "
        say "d: ${first%: }"
        out=$(d_call "d-$SCN" 2>"$WORK/d.err")
        id=$(kv id "$(grep '^PORT' <<<"$out")")
    fi
    secs=$(kv secs "$(grep '^PORT' <<<"$out")")
    bound=$(kv secs "$(grep '^BOUND' <<<"$out")")
    if [ -z "$id" ]; then
        D_RESULT="FAIL port d-$SCN through the API during $SCN: ${first}no port ($(tail -c 400 "$WORK/d.err" | tr '\n' ' '))"
        return 0
    fi
    nb=$("$C" client python3 "$NBC" dump "$WORK/nb-d.json" >/dev/null 2>&1 &&
        python3 "$NBC" has "$WORK/nb-d.json" Logical_Switch_Port "$id" 2>&1) || true
    if [ -z "$bound" ] || ! grep -q '^NB_HAS 1 of 1' <<<"$nb"; then
        D_RESULT="FAIL port d-$SCN ($id) through the API during $SCN: ${first}answered after $secs s (called $(secs "$FO_T0" "$D_T0") s after the trigger); ${nb:-NB not read}; bound: ${bound:-no ($(tail -c 300 "$WORK/d.err" | tr '\n' ' '))}"
    else
        D_RESULT="PASS port d-$SCN through the API $(secs "$FO_T0" "$D_T0") s after the power-off: ${first}answered after $secs s (the SB writer acknowledged again $FO s after the trigger), port $id in NB, bound to compute1 (ACTIVE $bound s after plugging)"
    fi
    D_ID=$id
}
D_ID=

# d's port goes again (through the API; unplugged), so that NB compares with the one
# before the trigger.
d_cleanup() {
    [ -n "$D_ID" ] || return 0
    "$K" api DELETE "ports/$D_ID" >/dev/null || WHY+="cannot delete port d-$SCN through the API; "
    "$K" exec cmp1 ovs-vsctl --if-exists del-port br-int "d-$SCN" || true
    D_ID=
}

# --------------------------------------------------------------------------------- runs

scenario() {   # NAME FUNCTION ARGS...
    local name=$1 t0=$EPOCHREALTIME
    shift
    if [ $BROKEN = 1 ]; then
        result "$name" FAIL "not run: an earlier failover did not recover"
        return 0
    fi
    say "--- $name"
    rm -f "$WORK/why"
    DETAIL='' WHY=''
    if ! "$@"; then
        result "$name" FAIL "($(secs "$t0") s) $(cat "$WORK/why" 2>/dev/null || echo "see the log above")${WHY:+; also: $WHY}"
        BROKEN=1
    elif [ -n "$WHY" ]; then
        result "$name" FAIL "($(secs "$t0") s) ${WHY}$DETAIL"
    else
        result "$name" PASS "($(secs "$t0") s) $DETAIL"
    fi
}

setup() {
    local t0=$EPOCHREALTIME rep
    "$C" up >&2 || { bad "cluster up failed"; return 1; }
    "$C" shape "$SHAPE" >/dev/null || { bad "shape $SHAPE did not come up"; return 1; }
    apply_recipe || return 1
    settle --standby >/dev/null || return 1
    no_failures || return 1
    "$K" up >&2 || { bad "cloud up failed"; return 1; }
    "$K" populate >&2 || { bad "populate failed"; return 1; }
    "$K" vms >&2 || { bad "vms failed"; return 1; }
    rep=$("$K" report all) || { bad "no cloud report"; return 1; }
    CTL_PID=$(kv pid "$(grep '^CLOUD_CONTROLLER' <<<"$rep")")
    if [ "$SHAPE" = C ]; then
        SERVED=("$(settle)") || return 1
        if [ -n "${CLOUD_MONITOR_ALL:-}" ]; then
            "$K" exec cmp1 ovs-vsctl set open . "external_ids:ovn-monitor-all=$CLOUD_MONITOR_ALL" ||
                { bad "cannot set ovn-monitor-all on cmp1"; return 1; }
        fi
        memo_caught_up "${SERVED[0]}" || return 1
    else
        writer_start || return 1
    fi
    DETAIL="cluster, shape $SHAPE, README's sync-util recipe, cloud (${CLOUD_SIZE:-small}) and VMs up in $(secs "$t0") s; ovn-controller pid $CTL_PID"
}

D_SCN=b1
say "--- setup"
if ! setup; then
    result cloud-setup FAIL "$(cat "$WORK/why" 2>/dev/null || echo "see the log above")"
    BROKEN=1
else
    say "$DETAIL"
fi
if [ "$SHAPE" = C ]; then CLOUD_SCENARIOS=${CLOUD_SCENARIOS:-r1 r2 r3 k kn kd ks r4}; fi
CLOUD_SCENARIOS=${CLOUD_SCENARIOS:-a c b1 b2}
LAST=${CLOUD_SCENARIOS##* }
for s in $CLOUD_SCENARIOS; do
    case $s in
    a) scenario cloud-a-fence cloud_scenario a none ;;
    c)
        writer_stop   # the SB is lost by design: nothing to check the acks against
        scenario cloud-c-sb-lost cloud_scenario c sb-missing
        [ $BROKEN = 1 ] || writer_start || BROKEN=1
        ;;
    b1)
        scenario cloud-b1-nb-cut cloud_scenario b1 nb-cut
        if [ -n "$D_RESULT" ]; then
            result cloud-d-api-during-b1 "${D_RESULT%% *}" "${D_RESULT#* }"
        else
            result cloud-d-api-during-b1 FAIL "not run: b1 did not get that far"
        fi
        ;;
    b2) scenario cloud-b2-nb-missing cloud_scenario b2 nb-missing ;;
    r[0-9]*)
        [ "$SHAPE" = C ] || die "$s: shape C only"
        case $s in r2) kind=standby ;; r3) kind=corosync-kill ;; *) kind=fence-off ;; esac
        scenario "cloud-$s-$kind" cloud_scenario "$s" stale "$kind"
        ;;
    k | kn | kd | ks)
        [ "$SHAPE" = C ] || die "$s: shape C only"
        case $s in k) kind=kill-sb ;; kn) kind=kill-nb ;; kd) kind=kill-northd ;; ks) kind=sigstop-sb ;; esac
        writer_start || BROKEN=1
        scenario "cloud-$s-$kind" cloud_scenario "$s" inplace "$kind"
        writer_stop
        ;;
    *) die "CLOUD_SCENARIOS: a, c, b1 (with d), b2; in shape C r1, r2, ..., k, kn, kd and ks" ;;
    esac
done
[ "$FAILED" = 0 ]
