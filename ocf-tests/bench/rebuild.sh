#!/bin/bash
# The Northbound database lost at a power-off, found by the node taking over and rebuilt
# by the real neutron-ovn-db-sync-util before any door opens; against the same loss with
# that rebuild switched off. In the namespace cluster (ocf-tests/cluster/) with the small
# real cloud around it (cloud.sh: MariaDB, neutron-server ML2/OVN, a compute host with
# ovn-controller, two VMs pinging each other). A figure of `make bench` (run.sh calls it
# with --report); runs on its own too:
#
#   OVN_OCF_BIN=/usr/local/sbin/ovn-ocf REBUILD_SIZES=medium ocf-tests/bench/rebuild.sh --report /tmp/rebuild.md
#
# Per cloud size (REBUILD_SIZES, cloud.sh's CLOUD_SIZE: medium ≈ 200 ports, large ≈ 1000):
# `cluster.sh up` (2 nodes, stonith on) → README's shape A (`cluster.sh shape A`) →
# `cloud.sh up`, `populate`, `vms` → ovn-nb's repair_hook set to the sync util as `cloud.sh
# hook-conf` writes it (run on the node taking over, NB and SB on its local sockets, the
# Neutron DB over the wire), repair_hook_timeout and ovn-sb's start timeout sized for the
# port count → REBUILD_RUNS rounds with the rebuild ordering on, then the same with it off
# → `cloud.sh down`, `cluster.sh down`. A round (the cluster's failover template,
# lib.sh's `failover fence-off`):
#   before   NB dumped through the VIP (nbcheck.py), a cloud window opened (pings, flows),
#            two probes started in the client netns (writer.py recovered nb / sb: a read
#            through the VIP until one fails and then one succeeds);
#   trigger  NB lost on the LUN by the serving node (REBUILD_LOSS: cut, one record
#            REBUILD_CUT_AT of the way in damaged in place, nbcheck.py damage; missing,
#            the file removed), then its power cut through the fence agent
#            (`stonith_admin --fence` on the other node); T0 is that command;
#   doors    trigger → SB, and NB, answer through the VIP again (the probes);
#   then     ovn-controller connected to the SB again, REBUILD_AFTER s more, the window
#            closed: pings lost, the lowest flow count on br-int against the one before;
#            NB compared with the one before by content (nbcheck.py, waiting up to 60 s
#            for what northd writes back); from the survivor's Pacemaker log: the repair,
#            the sync util's own wall time ("running its repair_hook" → its output), the
#            SB gate's ("SB gate: ovn-northd pid=" → "Southbound recomputed"), each start;
#   back     the victim powered on again, everything on one node with a standby.
# Modes: "rebuild" (ovn-nb's repair_hook is the sync util, repair_hook_needs_sb at its
# default true: NB's start keeps NB's doors shut, ovn-sb's start runs the hook and the SB
# gate, then both open) and "contrast" (`pcs resource update ovn-nb repair_hook=`: no hook,
# so the repaired NB serves what it kept at once, and ovn-northd, started after SB,
# recomputes SB from it). Not repair_hook_needs_sb=false: the sync util would then run in
# NB's start with the SB not served yet, and it fails without an SB (in ~1 s), which fails
# NB's start instead of serving an NB that lost rows. After each contrast round the
# sync util is run by hand on the survivor (as an operator would, NB and SB open) and its
# time reported; the next round starts once the flows on br-int are back.
#
# No time is asserted; a round whose doors do not open within its limit (the hook's
# timeout + 180 s) fails the figure (logs saved to target/bench/rebuild-logs-*).
# The machine's load at each trigger and the other namespace clusters and compilers
# running meanwhile go into the section.
#
# Knobs (env): REBUILD_SIZES ("medium large"; small, medium, large), REBUILD_RUNS (3, per
# size and mode), REBUILD_MODES ("rebuild contrast"), REBUILD_LOSS (cut; or missing),
# REBUILD_CUT_AT (0.25), REBUILD_AFTER (15), REBUILD_HOOK_TIMEOUT (by port count: the larger
# of 240 and 0.6 s a port; ovn-sb's start timeout is that + 120), REBUILD_CLUSTER (rebuild:
# the namespace cluster's and the cloud's name; never an existing one: the script
# refuses), OVN_OCF_BIN (/usr/local/sbin/ovn-ocf), REBUILD_KEEP_LOGS=1 (logs on success
# too). Options: --report FILE (append the markdown section; default stdout), --raw DIR
# (default target/bench; a failed figure leaves the sizes it had measured in
# DIR/rebuild-partial.md), --benchmarks PATH (also put the section into PATH between the
# lines <!-- BEGIN rebuild --> and <!-- END rebuild -->, replacing what is there; both are
# appended at the end when absent: how it goes into BENCHMARKS.md without a whole `make
# bench`). Needs root, the cluster's packages and the cloud's
# (ocf-tests/cloud-deps.sh). Teardown of cloud and cluster on every exit path.
# Markdown backticks inside single quotes are meant literally.
# shellcheck disable=SC2016
set -euo pipefail

SAY=rebuild
# shellcheck source-path=SCRIPTDIR source=../cluster/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export OVNOCF_CLUSTER=${REBUILD_CLUSTER:-rebuild}
unset OVNOCF_CLUSTER_DIR OVNOCF_CLOUD_DIR
CLUSTER_RUN=/var/tmp/ovn-ocf-cluster.$OVNOCF_CLUSTER   # cluster.sh's run dir for that name
CLOUD_RUN=/var/tmp/ovn-ocf-cloud.$OVNOCF_CLUSTER       # cloud.sh's work dir
export OVN_OCF_BIN=${OVN_OCF_BIN:-/usr/local/sbin/ovn-ocf}
K=$CLUSTER_DIR/cloud.sh
NBC=$CLUSTER_DIR/nbcheck.py
SHAPE=A
NB_FILE=/srv/ovn/ovnnb_db.db

SIZES=${REBUILD_SIZES:-medium large}
RUNS=${REBUILD_RUNS:-3}
MODES=${REBUILD_MODES:-rebuild contrast}
LOSS=${REBUILD_LOSS:-cut}
CUT_AT=${REBUILD_CUT_AT:-0.25}
AFTER=${REBUILD_AFTER:-15}

REPORT=/dev/stdout
BENCH=""
usage() { sed -n '2,/^# Markdown backticks/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
    case $1 in
    --report) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; REPORT=$2; shift 2 ;;
    --raw) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; RAW=$2; shift 2 ;;
    --benchmarks) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; BENCH=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

for s in $SIZES; do case $s in small | medium | large) ;; *) die "REBUILD_SIZES: small, medium, large (not $s)" ;; esac; done
[[ -n ${SIZES// /} ]] || die "REBUILD_SIZES is empty"
for m in $MODES; do case $m in rebuild | contrast) ;; *) die "REBUILD_MODES: rebuild, contrast (not $m)" ;; esac; done
if ! [[ $RUNS =~ ^[0-9]+$ ]] || ((RUNS < 1)); then die "REBUILD_RUNS=$RUNS: need an integer >= 1"; fi
if ! [[ $AFTER =~ ^[0-9]+$ ]]; then die "REBUILD_AFTER=$AFTER: need an integer >= 0"; fi
case $LOSS in cut | missing) ;; *) die "REBUILD_LOSS: cut or missing (not $LOSS)" ;; esac
[[ $CUT_AT =~ ^0?\.[0-9]+$ ]] || die "REBUILD_CUT_AT=$CUT_AT: a fraction between 0 and 1"
if [[ -n ${REBUILD_HOOK_TIMEOUT:-} ]] && ! [[ $REBUILD_HOOK_TIMEOUT =~ ^[0-9]+$ ]]; then
    die "REBUILD_HOOK_TIMEOUT=$REBUILD_HOOK_TIMEOUT: seconds"
fi

# The exact command, for the section: the knobs that were set, then the command line.
COMMAND=
for v in REBUILD_SIZES REBUILD_RUNS REBUILD_MODES REBUILD_LOSS REBUILD_CUT_AT REBUILD_AFTER \
    REBUILD_HOOK_TIMEOUT REBUILD_CLUSTER; do
    [[ -z ${!v:-} ]] || COMMAND+="$v=$(printf %q "${!v}") "
done
COMMAND+="OVN_OCF_BIN=$OVN_OCF_BIN ocf-tests/bench/rebuild.sh --report FILE"

# ------------------------------------------------------------------ lifetime

UP=0          # 1 while a cluster (and maybe a cloud) of ours may exist
WORK=""
CUR=""        # the size being measured, for the logs' name
PROBES=()     # background probes of a round (our jobs)

teardown() {
    local logs="" p
    for p in "${PROBES[@]}"; do kill "$p" 2>/dev/null || true; done
    # A later size failed: what the sizes before it measured is kept, not reported.
    if ((RC != 0)) && [[ -n $DONE ]]; then
        TOTAL=$(since "$T_START") SIZES=$DONE
        write_section >"$RAW/rebuild-partial.md" 2>/dev/null &&
            say "the sizes done ($DONE) are in $RAW/rebuild-partial.md (not a section: the figure failed)"
    fi
    if ((UP)); then
        if ((RC != 0)) || [[ ${REBUILD_KEEP_LOGS:-0} == 1 ]]; then
            logs=$RAW/rebuild-logs-${CUR:-none}-$(date +%Y%m%dT%H%M%S)
            ((RC == 0)) || { say "failed (exit $RC) with the $CUR cluster up; cluster state:"; "$C" status >&2 || true; }
            "$K" down --save-logs "$logs/cloud" >&2 || RC=1
            "$C" down --save-logs "$logs/cluster" >&2 || RC=1
            [[ -z $WORK ]] || cp -r "$WORK/." "$logs/" 2>/dev/null || true
        else
            "$K" down >&2 || RC=1
            "$C" down >&2 || RC=1
        fi
    fi
    [[ -z $WORK || ! -d $WORK ]] || rm -rf "$WORK"
}

# Never touches a cluster or cloud it did not bring up: none of that name may exist yet.
cluster_up() {
    [[ ! -e $CLUSTER_RUN && ! -e $CLOUD_RUN ]] ||
        die "$CLUSTER_RUN or $CLOUD_RUN exists: a cluster or cloud named $OVNOCF_CLUSTER is up (or was not torn down); not touching it (REBUILD_CLUSTER picks another name)"
    if ip netns list | grep "^$OVNOCF_CLUSTER-" >/dev/null; then
        die "netns $OVNOCF_CLUSTER-* exist: not touching them (REBUILD_CLUSTER picks another name)"
    fi
    UP=1
    "$C" up >&2
}

cluster_down() {
    local logs
    if [[ ${REBUILD_KEEP_LOGS:-0} == 1 ]]; then
        logs=$RAW/rebuild-logs-$CUR-$(date +%Y%m%dT%H%M%S)
        "$K" down --save-logs "$logs/cloud" >&2 || die "cloud.sh down failed"
        "$C" down --save-logs "$logs/cluster" >&2 || die "cluster.sh down failed"
    else
        "$K" down >&2 || die "cloud.sh down failed"
        "$C" down >&2 || die "cluster.sh down failed"
    fi
    UP=0
}

# ------------------------------------------------------------------ the cloud's view

# ovn-controller's connection to the SB, as it says.
controller_sb() { "$K" exec cmp1 timeout 3 ovn-appctl -t ovn-controller connection-status 2>/dev/null | tr -dc 'a-z-'; }

# The flow count on br-int now (the flow sampler's last sample).
flows_now() { kv last "$("$K" report all 2>/dev/null | grep '^CLOUD_FLOWS')"; }

# Until the flow count on br-int is at least $1 and has not changed for 3 s (SECS, 60);
# prints it. Non-zero when it never was.
flows_settled() {
    local want=$1 secs=${2:-60} t0=$EPOCHREALTIME n last="" since=$EPOCHREALTIME
    while :; do
        n=$(flows_now)
        if [[ $n != "$last" ]]; then last=$n since=$EPOCHREALTIME; fi
        if [[ $n =~ ^[0-9]+$ ]] && ((n >= want)) && past "$since" 3; then
            echo "$n"
            return 0
        fi
        past "$t0" "$secs" && { echo "${n:-?}"; return 1; }
        sleep 0.5
    done
}

# ------------------------------------------------------------------ configuration

HOOK=""       # the repair_hook command line (cloud.sh hook-conf)
HOOK_TO=""    # repair_hook_timeout, s
SB_TO=""      # ovn-sb's start timeout, s
PORTS=""      # the cloud's port count (populate's)

# Pacemaker restarts the group for a changed parameter: until it has settled again.
pcs_update() {
    local node
    node=$(settle) || die "the group is not Started before: pcs resource update $*"
    say "$node# pcs resource update $*"
    "$C" exec "$node" pcs resource update "$@" >&2 || die "pcs resource update $* failed"
    "$C" exec "$node" crm_resource --wait --timeout=$((SB_TO + 120)) >&2 || die "the cluster did not settle after: pcs resource update $*"
    settle --standby >/dev/null || die "not everything on one node with a standby after: pcs resource update $*"
    no_failures || die "failed actions after: pcs resource update $*"
}

ordering() { # on|off
    if [[ $1 == on ]]; then
        pcs_update ovn-nb "repair_hook=$HOOK" "repair_hook_timeout=$HOOK_TO"
        pcs_update ovn-sb op start "timeout=${SB_TO}s"
    else
        pcs_update ovn-nb repair_hook=
    fi
}

# ------------------------------------------------------------------ a round

# What one round leaves (its own figures; see record).
R_TAG='' R_MODE='' R_MARK='' R_DAMAGE='' R_FENCED='' R_SB='' R_NB='' R_CTL='' R_LOAD=''
R_PINGS='' R_FLOWS='' R_NBEQ='' R_EV='' R_HAND='' R_HANDEQ='' R_FAILS='' R_OTHERS=''
R_NBCFG=''    # "NB_Global.nb_cfg SB_Global.nb_cfg" just before the trigger

# Other work on the machine at a trigger: the 1-minute load average, other namespace
# clusters (their netns prefixes) and compilers running.
machine_now() {
    local others rustc
    others=$(ip netns list 2>/dev/null | awk '{ print $1 }' | sed -n 's/-br$//p' | grep -vx "$OVNOCF_CLUSTER" | sort -u | paste -sd, -) || others=""
    rustc=$(pgrep -c -x rustc 2>/dev/null) || rustc=0
    R_LOAD=$(cut -d' ' -f1 /proc/loadavg)
    R_OTHERS="${others:-none}/$rustc"
}

rb_trigger() {
    local d
    R_MARK=$(stat -c %s "$CLUSTER_RUN/$(other "$FO_FROM")/var-log-pacemaker/pacemaker.log")
    "$C" client python3 "$NBC" dump "$WORK/nb-before-$R_TAG.json" >&2 ||
        { bad "cannot read NB through the VIP before $R_TAG"; return 1; }
    R_NBCFG=$("$C" client python3 "$W" nb-cfg) || { bad "cannot read nb_cfg through the VIP before $R_TAG"; return 1; }
    "$K" sample-start "$R_TAG" 2>/dev/null
    # The doors: a read through the VIP until one fails and then one succeeds.
    rm -f "$WORK/door-nb" "$WORK/door-sb"
    "$C" client python3 "$W" recovered nb "$LIMIT" >"$WORK/door-nb" 2>&1 &
    PROBES+=($!)
    "$C" client python3 "$W" recovered sb "$LIMIT" >"$WORK/door-sb" 2>&1 &
    PROBES+=($!)
    sleep 0.5
    machine_now
    if [[ $LOSS == cut ]]; then
        d=$("$C" exec "$FO_FROM" python3 "$NBC" damage "$NB_FILE" "$CUT_AT") ||
            { bad "cannot damage $NB_FILE on $FO_FROM: $d"; return 1; }
        say "$FO_FROM: $d"
        R_DAMAGE="record $(kv record "$d") of $(kv records "$d") damaged; the prefix holds Logical_Switch_Port $(kv Logical_Switch_Port "$d"), Logical_Switch $(kv Logical_Switch "$d"), ACL $(kv ACL "$d")"
    else
        "$C" exec "$FO_FROM" sh -c "rm $NB_FILE && sync -f /srv/ovn" || { bad "cannot remove $NB_FILE on $FO_FROM"; return 1; }
        R_DAMAGE="$NB_FILE removed"
    fi
    fo_trigger || return 1
    R_FENCED=$(secs "$FO_T0")
    say "$R_TAG: $FO_FROM lost NB ($R_DAMAGE) and was powered off; stonith_admin returned after $R_FENCED s"
}

# Both doors open again (the probes); FO is the later one.
rb_wait() {
    local p out
    for p in "${PROBES[@]}"; do wait "$p" || true; done
    PROBES=()
    for p in sb nb; do
        out=$(cat "$WORK/door-$p")
        [[ $out =~ ^[0-9]+\.[0-9]+$ ]] || { bad "$R_TAG: ${p^^} through the VIP: $out"; return 1; }
        printf -v "R_${p^^}" '%s' "$(secs "$FO_T0" "$out")"
    done
    FO=$(awk -v a="$R_SB" -v b="$R_NB" 'BEGIN { printf "%.2f", (a > b ? a : b) }')
    say "$R_TAG: SB answers through the VIP $R_SB s after the trigger, NB $R_NB s"
}

# After the group started on the survivor: ovn-controller connected again, the window
# closed; the survivor's log; NB against the one before; in contrast, the sync util by hand.
rb_check() {
    local t0=$EPOCHREALTIME rep out
    until [[ $(controller_sb) == connected ]]; do
        past "$t0" 60 && { bad "$R_TAG: ovn-controller not connected to the SB 60 s after the group started"; return 1; }
        sleep 0.2
    done
    R_CTL=$(secs "$FO_T0")
    sleep "$AFTER"
    rep=$("$K" sample-stop "$R_TAG") || { bad "no report of window $R_TAG"; return 1; }
    echo "$rep" >&2
    R_PINGS=$(grep '^CLOUD_PINGS' <<<"$rep")
    R_FLOWS=$(grep '^CLOUD_FLOWS' <<<"$rep")
    R_EV=$(log_events "$FO_NEW" "$R_MARK" "$FO_T0")
    say "$R_TAG: $(tr '\n' ' ' <<<"$R_EV")"
    if [[ $R_MODE == rebuild ]]; then
        out=$("$C" client python3 "$NBC" wait-equal "$WORK/nb-before-$R_TAG.json" "$WORK/nb-after-$R_TAG.json" 60) || true
    else
        out=$("$C" client python3 "$NBC" dump "$WORK/nb-after-$R_TAG.json" >/dev/null &&
            python3 "$NBC" compare "$WORK/nb-before-$R_TAG.json" "$WORK/nb-after-$R_TAG.json") || true
    fi
    echo "$out" >&2
    R_NBEQ=$(nb_verdict <<<"$out")
    if [[ $R_MODE == contrast ]]; then by_hand || return 1; fi
}

# Contrast: NB lost what it lost; the sync util run by hand on the survivor (NB and SB
# open), until NB is the one before again and the flows are back.
by_hand() {
    local argv t0 out n
    read -ra argv <<<"$HOOK"
    say "$R_TAG: running the sync util by hand on $FO_NEW"
    t0=$EPOCHREALTIME
    "$C" exec "$FO_NEW" "${argv[@]}" >"$WORK/by-hand-$R_TAG.log" 2>&1 ||
        { bad "$R_TAG: the sync util by hand failed: $(tail -3 "$WORK/by-hand-$R_TAG.log")"; return 1; }
    R_HAND=$(secs "$t0")
    out=$("$C" client python3 "$NBC" wait-equal "$WORK/nb-before-$R_TAG.json" "$WORK/nb-hand-$R_TAG.json" 60) || true
    R_HANDEQ=$(nb_verdict <<<"$out")
    n=$(flows_settled "$(kv before "$R_FLOWS")" 90) || say "$R_TAG: flows at $n after the sync util by hand, not back at $(kv before "$R_FLOWS")"
    say "$R_TAG: the sync util by hand took $R_HAND s; NB $R_HANDEQ; flows $n"
}

rb_final() {
    R_FAILS=$(crm failures 2>/dev/null || true)
    if [[ -n $R_FAILS ]]; then
        say "$R_TAG: failed actions: $(tr '\n' ';' <<<"$R_FAILS")"
        "$C" exec "$FO_BACK_ON" crm_resource --cleanup >/dev/null 2>&1 || true
        settle --standby >/dev/null || return 1
    fi
}

# SIZE MODE RUN: one round.
round() {
    local from n
    R_TAG=$1-$2-$3 R_MODE=$2 R_HAND='' R_HANDEQ='' R_FAILS='' R_DAMAGE=''
    say "=== $R_TAG"
    from=$(settle --standby) || die "$R_TAG: not everything on one node with a standby"
    n=$(flows_settled "$BASE_FLOWS" 90) || say "$R_TAG: flows at $n before the trigger (at the start: $BASE_FLOWS)"
    if ! FO_TRIGGER=rb_trigger FO_WAIT=rb_wait FO_CHECK=rb_check FO_ACKS=: FO_FINAL=rb_final \
        failover fence-off "$from"; then
        die "$R_TAG: failed at step $FO_STEP: $(cat "$WORK/why" 2>/dev/null)"
    fi
    record "$1" "$2" "$3"
}

# ------------------------------------------------------------------ the survivor's log

# NODE MARK T0: what NODE's Pacemaker log says after byte MARK, in seconds after T0, one
# "name=value" a line: nb_repaired (and nb_repair, the repair's words), hook_start,
# hook_end (its first output line, logged once it exited; else the line after it),
# util_span (from the sync util's first to its last time-stamped line: its own work,
# without the interpreter's start), rows_after, gate_start, gate_end, sb_listen,
# nb_listen (the agent's "listening on"), gate_target (the nb_cfg the SB gate waited for),
# nb_started, sb_started, northd_started
# (Pacemaker: the start returned ok), failed (the first start that did not).
log_events() {
    local log=$CLUSTER_RUN/$1/var-log-pacemaker/pacemaker.log
    tail -c +"$(($2 + 1))" "$log" | gawk -v t0="$3" -v node="$1" -v year="$(date +%Y)" '
        function stamp(s) { # the agent: 20261130T011829.995Z (UTC)
            return mktime(substr(s, 1, 4) " " substr(s, 5, 2) " " substr(s, 7, 2) " " \
                substr(s, 10, 2) " " substr(s, 12, 2) " " substr(s, 14, 2), 1) + ("0" substr(s, 16, 4))
        }
        function pcmk(   m, hms) { # Pacemaker: Nov 30 01:18:55.083 (local time)
            m = (index("JanFebMarAprMayJunJulAugSepOctNovDec", $1) + 2) / 3
            split($3, hms, ":")
            return mktime(year " " m " " $2 " " hms[1] " " hms[2] " " int(hms[3])) + hms[3] - int(hms[3])
        }
        function ev(name, t) { if (!(name in seen)) { seen[name] = 1; printf "%s=%.2f\n", name, t - t0 } }
        /^ovsdb-server\(ovn-(nb|sb)\)\[[0-9]+\] [0-9]{8}T/ {
            t = stamp($2)
            if ($0 ~ /\(ovn-nb\).* repair db_file=/ && !("nb_repaired" in seen)) {
                ev("nb_repaired", t)
                r = $0; sub(/.* repair db_file=[^ ]* /, "", r); sub(/ backup=.*/, "", r)
                print "nb_repair=" r
            }
            if ($0 ~ /running its repair_hook/) ev("hook_start", t)
            else if (("hook_start" in seen) && $0 ~ /repair_hook (stdout|stderr):|after repair_hook|repair_hook .*(failed|did not finish)/) ev("hook_end", t)
            if ($0 ~ /repair_hook (stdout|stderr): [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ /) {
                u = $0; sub(/.*repair_hook (stdout|stderr): /, "", u)
                gsub(/[-:]/, " ", u); split(u, d, " ")
                ut = mktime(d[1] " " d[2] " " d[3] " " d[4] " " d[5] " " int(d[6])) + d[6] - int(d[6])
                if (!u0) u0 = ut
                u1 = ut
            }
            if ($0 ~ /after repair_hook the Northbound database holds/) {
                r = $0; sub(/.*database holds /, "", r); sub(/ logical switches, ports and routers \(/, "/", r); sub(/ before.*/, "", r)
                print "rows_after=" r
            }
            if ($0 ~ /SB gate: ovn-northd pid=/) {
                ev("gate_start", t)
                r = $0; sub(/.*waiting for nb_cfg /, "", r); print "gate_target=" r + 0
            }
            if ($0 ~ /SB gate: Southbound recomputed/) ev("gate_end", t)
            if ($0 ~ /\(ovn-sb\).*: listening on /) ev("sb_listen", t)
            if ($0 ~ /\(ovn-nb\).*: listening on /) ev("nb_listen", t)
            next
        }
        $0 ~ ("Result of start operation for ovn-(nb|sb|northd) on " node ": ") {
            w = $0; sub(/.*Result of start operation for ovn-/, "", w); sub(/ .*/, "", w)
            if ($0 ~ (" on " node ": ok")) ev(w "_started", pcmk())
            else if (!("failed" in seen)) { seen["failed"] = 1; f = $0; sub(/.*Result of /, "", f); print "failed=" substr(f, 1, 200) }
        }
        END { if (u0) printf "util_span=%.2f\n", u1 - u0 }'
}

# KEY EVENTS: the value of KEY= in log_events' output (empty if none).
evv() { sed -n "s/^$1=//p" <<<"$2" | head -1; }

# nbcheck.py's output on stdin → one line: "equal", "equal but for
# neutron:revision_number in N rows (TABLE B → A, ...)" (the sync util writes the Neutron
# DB's revision numbers; nbcheck.py leaves out only Logical_Switch's), or "differs: N
# differences (before ...; after ...)".
nb_verdict() {
    python3 -c '
import collections, json, sys
lines = sys.stdin.read().splitlines()
head = next((l for l in lines if l.startswith(("NB_EQUAL", "NB_DIFF"))), None)
if head is None:
    print("not compared: " + " ".join(lines)[:200])
    sys.exit()
if head.startswith("NB_EQUAL"):
    print("equal")
    sys.exit()
n, rev, other = int(head.split()[1]), [], 0
for line in lines:
    if not line.startswith("  "):
        continue
    try:
        t, rest = line.strip().split(": ", 1)
        _, rest = rest.split(" ", 1)
        _, vals = rest.split(": ", 1)
        b, a = (json.loads(v) for v in vals.split(" -> ", 1))
        keys = {k for k in set(b) | set(a) if b.get(k) != a.get(k)}
    except (ValueError, AttributeError, TypeError):
        other += 1
        continue
    if keys == {"neutron:revision_number"}:
        rev.append("%s %s → %s" % (t, b.get("neutron:revision_number"), a.get("neutron:revision_number")))
    else:
        other += 1
if not other and len(rev) == n:
    rev = collections.Counter(rev).most_common()
    print("equal but for neutron:revision_number in %d rows (%s)" % (n, ", ".join(
        r + ("" if c == 1 else " ×%d" % c) for r, c in rev)))
else:
    counts = head.split("(", 1)[1].split("); ignored", 1)[0] if "(" in head else ""
    print("differs: %d differences (%s)" % (n, counts))
'
}

# ------------------------------------------------------------------ results

declare -A VAL=() LIST=()
TSV=""
record() { # SIZE MODE RUN
    local k=$1,$2 hook="" gate="" name
    local hs he gs ge
    hs=$(evv hook_start "$R_EV") he=$(evv hook_end "$R_EV") gs=$(evv gate_start "$R_EV") ge=$(evv gate_end "$R_EV")
    [[ -z $hs || -z $he ]] || hook=$(awk -v a="$hs" -v b="$he" 'BEGIN { printf "%.2f", b - a }')
    [[ -z $gs || -z $ge ]] || gate=$(awk -v a="$gs" -v b="$ge" 'BEGIN { printf "%.2f", b - a }')
    VAL[$k,sb]+="$R_SB " VAL[$k,nb]+="$R_NB " VAL[$k,ctl]+="$R_CTL " VAL[$k,fenced]+="$R_FENCED "
    VAL[$k,lost]+="$(kv lost "$R_PINGS") " VAL[$k,sent]+="$(kv sent "$R_PINGS") "
    VAL[$k,gap]+="$(kv longest_gap "$R_PINGS") "
    VAL[$k,fmin]+="$(kv min "$R_FLOWS") " VAL[$k,fbefore]+="$(kv before "$R_FLOWS") "
    VAL[$k,below]+="$(kv below_before_secs "$R_FLOWS") " VAL[$k,flast]+="$(kv last "$R_FLOWS") "
    VAL[$k,load]+="$R_LOAD "
    [[ -z $hook ]] || VAL[$k,hook]+="$hook "
    [[ -z $gate ]] || VAL[$k,gate]+="$gate "
    # The SB gate waits for SB_Global.nb_cfg to reach the NB_Global.nb_cfg it bumped: an
    # SB that kept a higher one from before the loss meets that at once.
    local target sbcfg early=""
    target=$(evv gate_target "$R_EV") sbcfg=${R_NBCFG#* }
    if [[ -n $target && $sbcfg =~ ^[0-9]+$ ]] && ((sbcfg >= target)); then
        early="the SB kept nb_cfg $sbcfg from before the loss, the rebuilt NB's was bumped to $target: the barrier held at once"
        GATE_EARLY+="$k "
    fi
    [[ -z $(evv util_span "$R_EV") ]] || VAL[$k,util]+="$(evv util_span "$R_EV") "
    [[ -z $R_HAND ]] || VAL[$k,hand]+="$R_HAND "
    for name in hook_start sb_started nb_started; do
        [[ -z $(evv "$name" "$R_EV") ]] || VAL[$k,$name]+="$(evv "$name" "$R_EV") "
    done
    case $R_NBEQ in
    equal) VAL[$k,nbeq]+="yes " ;;
    "equal but for"*) VAL[$k,nbeq]+="rev " ;;
    *) VAL[$k,nbeq]+="no " ;;
    esac
    LIST[$k]+="- run $3 ($FO_FROM → $FO_NEW; load $R_LOAD): $R_DAMAGE; the survivor's NB repair: $(evv nb_repair "$R_EV"); doors SB $R_SB s, NB $R_NB s$([[ -z $hook ]] || echo "; sync util $hook s from $(evv hook_start "$R_EV") s (its own log lines span $(evv util_span "$R_EV") s), NB after it: $(evv rows_after "$R_EV") switches+ports+routers (after/before)")$([[ -z $gate ]] || echo "; SB gate $gate s${early:+ ($early)}")$([[ -z $(evv failed "$R_EV") ]] || echo "; failed: \`$(evv failed "$R_EV")\`"); ovn-controller connected $R_CTL s; pings $(kv lost "$R_PINGS") lost of $(kv sent "$R_PINGS") (longest gap $(kv longest_gap "$R_PINGS") s); flows $(kv before "$R_FLOWS") → lowest $(kv min "$R_FLOWS") (below before for $(kv below_before_secs "$R_FLOWS") s), last $(kv last "$R_FLOWS"); NB after: $R_NBEQ$([[ -z $R_HAND ]] || echo "; by hand: the sync util $R_HAND s, then NB $R_HANDEQ")$([[ -z $R_FAILS ]] || echo "; failed actions: \`$(tr '\n' ';' <<<"$R_FAILS")\`")"$'\n'
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$R_FENCED" "$R_SB" "$R_NB" \
        "$hook" "$gate" "$R_CTL" "$(kv sent "$R_PINGS")" "$(kv lost "$R_PINGS")" "$(kv before "$R_FLOWS")" \
        "$(kv min "$R_FLOWS")" "${R_NBEQ%% (*}" "$R_HAND" "$R_LOAD" >>"$TSV"
    OTHERS_SEEN+="$R_OTHERS "
}
OTHERS_SEEN=""
GATE_EARLY=""   # SIZE,MODE of rounds whose SB gate barrier held at once
DATE="" TOTAL="" REV=""

# ------------------------------------------------------------------ per size

declare -A SETUP=()
BASE_FLOWS=0
run_size() {
    local size=$1 t0 out pop m r
    CUR=$size
    say "=== $size: cluster up"
    cluster_up
    t0=$(now)
    "$C" shape "$SHAPE" >/dev/null || die "shape $SHAPE did not start"
    "$K" up >&2 || die "cloud.sh up failed"
    SETUP[$size,up]=$(since "$t0")
    out=$(CLOUD_SIZE=$size "$K" populate) || die "populate failed"
    echo "$out" >&2
    pop=$(grep '^POPULATE' <<<"$out")
    SETUP[$size,populate]=$pop
    SETUP[$size,counts]=$(grep '^COUNTS' <<<"$out")
    PORTS=$(kv ports "$pop")
    "$K" vms >&2 || die "cloud.sh vms failed"
    HOOK=$("$K" hook-conf) || die "cloud.sh hook-conf failed"
    # The sync util took ~0.25 s a port here (~60 s for 200, a loaded 2-CPU machine).
    HOOK_TO=${REBUILD_HOOK_TIMEOUT:-$(( PORTS * 6 / 10 > 240 ? PORTS * 6 / 10 : 240 ))}
    SB_TO=$((HOOK_TO + 120))
    LIMIT=$((HOOK_TO + 180))
    SETUP[$size,timeouts]="repair_hook_timeout=$HOOK_TO, ovn-sb op start timeout=${SB_TO}s"
    BASE_FLOWS=$(flows_settled 1 120) || die "no flows on br-int"
    SETUP[$size,flows]=$BASE_FLOWS
    SETUP[$size,secs]=$(since "$t0")
    say "$size: cluster, shape A, cloud ($(kv ports "$pop") ports, populate $(kv secs "$pop") s) and VMs up in ${SETUP[$size,secs]} s; $BASE_FLOWS flows on br-int"
    for m in $MODES; do
        if [[ $m == rebuild ]]; then ordering on; else ordering off; fi
        for ((r = 1; r <= RUNS; r++)); do round "$size" "$m" "$r"; done
    done
    say "=== $size: down"
    cluster_down
    CUR=""
    DONE+="$size "
}
DONE=""   # the sizes measured

# ------------------------------------------------------------------ the section

cell() { # VALUES [UNIT]: "**median UNIT** (min–max)", one value alone, or "—"
    stats "$1" %s | awk -v u="${2:-}" '{
        if ($2 == "-") { print "—"; exit }
        if ($1 == $3) printf "**%s%s**\n", $2, u
        else printf "**%s%s** (%s–%s)\n", $2, u, $1, $3 }'
}
yesno() { # "yes rev no ...": how many rounds of each
    local y r n all
    y=$(tr ' ' '\n' <<<"$1" | grep -c '^yes$') || true
    r=$(tr ' ' '\n' <<<"$1" | grep -c '^rev$') || true
    n=$(tr ' ' '\n' <<<"$1" | grep -c '^no$') || true
    all=$((y + r + n))
    if ((all == 0)); then echo "—"; return; fi
    local out=()
    ((y == 0)) || out+=("**yes** in $y of $all")
    ((r == 0)) || out+=("**yes but for revision numbers** in $r of $all")
    ((n == 0)) || out+=("**no** in $n of $all")
    local joined
    joined=$(IFS=';'; echo "${out[*]}")
    echo "${joined//;/; }"
}

size_table() {
    local s=$1 a=$1,rebuild b=$1,contrast
    cat <<EOF
### $s: $(kv ports "${SETUP[$s,populate]}") ports

$(kv networks "${SETUP[$s,populate]}") networks with a subnet each, routers: $(kv routers "${SETUP[$s,populate]}") ($(kv router_interfaces "${SETUP[$s,populate]}") interfaces), $(kv ports "${SETUP[$s,populate]}") ports through the Neutron API (\`CLOUD_SIZE=$s cloud.sh populate\`: $(kv secs "${SETUP[$s,populate]}") s$([[ $(kv retried "${SETUP[$s,populate]}") -gt 0 ]] 2>/dev/null && echo ", $(kv retried "${SETUP[$s,populate]}") bulk POSTs made again after Neutron answered 500")), and the VMs' network with its two ports (\`cloud.sh vms\`); the API then lists $(tr ' ' '\n' <<<"${SETUP[$s,counts]#COUNTS }" | sed 's/=/ /; s/_/ /g' | paste -sd, - | sed 's/,/, /g'). ${SETUP[$s,flows]} flows on br-int. Setup (cluster, shape, cloud, populate, VMs) took ${SETUP[$s,secs]} s. ${SETUP[$s,timeouts]}.

| ${RUNS} round(s) each, **median** (min–max) | rebuild ordering on | off: no \`repair_hook\` on ovn-nb |
|---|---:|---:|
| trigger → SB answers through the VIP | $(cell "${VAL[$a,sb]:-}" " s") | $(cell "${VAL[$b,sb]:-}" " s") |
| trigger → NB answers through the VIP | $(cell "${VAL[$a,nb]:-}" " s") | $(cell "${VAL[$b,nb]:-}" " s") |
| … \`stonith_admin\` returned (the victim is off) | $(cell "${VAL[$a,fenced]:-}" " s") | $(cell "${VAL[$b,fenced]:-}" " s") |
| … ovn-nb's start done (Pacemaker) | $(cell "${VAL[$a,nb_started]:-}" " s") | $(cell "${VAL[$b,nb_started]:-}" " s") |
| … the sync util started (in ovn-sb's start) | $(cell "${VAL[$a,hook_start]:-}" " s") | — |
| … **the sync util's own wall time** | $(cell "${VAL[$a,hook]:-}" " s") | — |
| … of which its log lines span (its work, without the interpreter's start) | $(cell "${VAL[$a,util]:-}" " s") | — |
| … **the SB gate** (ovn-northd recomputes SB from the rebuilt NB) | $(cell "${VAL[$a,gate]:-}" " s")$([[ " $GATE_EARLY " != *" $a "* ]] || echo " (see below: its barrier held at once)") | — |
| … ovn-sb's start done (Pacemaker) | $(cell "${VAL[$a,sb_started]:-}" " s") | $(cell "${VAL[$b,sb_started]:-}" " s") |
| trigger → ovn-controller connected to the SB again | $(cell "${VAL[$a,ctl]:-}" " s") | $(cell "${VAL[$b,ctl]:-}" " s") |
| **pings lost** between the VMs (of those sent, one every 0.2 s) | $(cell "${VAL[$a,lost]:-}") of $(cell "${VAL[$a,sent]:-}") | $(cell "${VAL[$b,lost]:-}") of $(cell "${VAL[$b,sent]:-}") |
| longest time without a reply | $(cell "${VAL[$a,gap]:-}" " s") | $(cell "${VAL[$b,gap]:-}" " s") |
| **lowest flow count** on br-int (before the trigger) | $(cell "${VAL[$a,fmin]:-}") ($(cell "${VAL[$a,fbefore]:-}")) | $(cell "${VAL[$b,fmin]:-}") ($(cell "${VAL[$b,fbefore]:-}")) |
| flow count at the window's end | $(cell "${VAL[$a,flast]:-}") | $(cell "${VAL[$b,flast]:-}") |
| time below the count before | $(cell "${VAL[$a,below]:-}" " s") | $(cell "${VAL[$b,below]:-}" " s") |
| **NB after = NB before** (by content) | $(yesno "${VAL[$a,nbeq]:-}") | $(yesno "${VAL[$b,nbeq]:-}") |
| afterwards, the sync util by hand on the survivor | — | $(cell "${VAL[$b,hand]:-}" " s") |
| machine load (1 min) at the trigger | $(cell "${VAL[$a,load]:-}") | $(cell "${VAL[$b,load]:-}") |

Every round, rebuild ordering on:

${LIST[$a]:-- none}

Off:

${LIST[$b]:-- none}

EOF
}

# Said once when an SB gate's barrier held at once (GATE_EARLY).
gate_note() {
    [[ -n $GATE_EARLY ]] || return 0
    cat <<'EOF'
**The SB gate did not wait for a recompute** in the rounds so marked above. Its barrier
bumps `NB_Global.nb_cfg` in the rebuilt NB and waits until `SB_Global.nb_cfg` reaches
that value; but the NB's nb_cfg went back with the loss (the kept prefix, or a new file,
holds an old one), while the SB, not lost, kept the higher nb_cfg the last ovn-northd
wrote before the power-off. So the barrier held before the gate's ovn-northd had done
anything, and the SB opened with its content from before the loss, not recomputed from
the rebuilt NB. Here that content was the same cloud (the Neutron DB had not changed), so
nothing was lost on the data path; with changes the lost NB records had not carried,
ovn-controllers would see the old SB until the real ovn-northd caught up. A fix in the
agent (the gate bumping NB's nb_cfg above SB's) is not part of this figure.

EOF
}

write_section() {
    local s others rustc pkg_neutron pkg_ovn
    pkg_neutron=$(dpkg-query -W -f='${Version}' neutron-common 2>/dev/null || echo '?')
    pkg_ovn=$(dpkg-query -W -f='${Version}' ovn-host 2>/dev/null || echo '?')
    others=$(tr ' ' '\n' <<<"$OTHERS_SEEN" | cut -d/ -f1 | tr ',' '\n' | grep -v '^none$' | grep . | sort -u | paste -sd, -) || others=""
    rustc=$(tr ' ' '\n' <<<"$OTHERS_SEEN" | cut -d/ -f2 | grep . | sort -n | tail -1) || rustc=0
    cat <<EOF
## NB lost at a power-off: rebuilt by Neutron's sync util before the doors open

The Northbound database lost on the shared LUN by the node serving it, that node then
powered off: the node taking over finds the loss, repairs the file and, with
\`repair_hook\` set to the real \`neutron-ovn-db-sync-util --ovn-neutron_sync_mode=repair\`
(neutron-common $pkg_neutron), rebuilds NB from the Neutron DB before any client sees it:
ovn-nb's start serves NB on its local socket only, ovn-sb's start runs the sync util with
NB and SB on their local sockets, then the SB gate (its own ovn-northd recomputes SB from
the rebuilt NB), and only then do SB's and NB's listeners open (docs/ARCHITECTURE.md,
"How the resources line up"). Measured against the same loss with that rebuild switched
off. In the namespace cluster (2 nodes, stonith on, README's shape A verbatim) with the
small real cloud around it (\`ocf-tests/cluster/cloud.sh\`: MariaDB, neutron-server
ML2/OVN reaching NB and SB through the VIP, a compute host with ovn-controller $pkg_ovn on
Open vSwitch's netdev datapath, two VMs pinging each other through br-int every 0.2 s).

The loss: $(if [[ $LOSS == cut ]]; then echo "one byte of the NB record ${CUT_AT} of the way through the file changed in place on the serving node (\`nbcheck.py damage\`, fsynced), so the intact prefix holds part of the cloud"; else echo "the NB file removed on the serving node"; fi); then \`stonith_admin --fence\` of that node from the other one (a power cut). The trigger
(T0) is that command. The doors: from a client outside the cluster, a read through the
VIP (\`writer.py recovered nb|sb\`) until one fails and then one succeeds. The sync util's
wall time is from the agent's "running its repair_hook" to its output (logged once it
exited), the SB gate's from "SB gate: ovn-northd pid=" to "Southbound recomputed", on the
survivor's Pacemaker log (ms, same clock). Each window of the cloud runs from just before
the trigger until ${AFTER} s after ovn-controller is connected to the SB again; a ping is
lost without a reply within 1 s. NB is compared through the VIP with its dump from just
before the trigger, every row by content (\`nbcheck.py\`: references resolved to names;
left out: NB_Global, Connection, SSL, \`Logical_Switch external_ids:neutron:revision_number\`
and \`DHCP_Options options:server_mac\`, which the sync util regenerates), waiting up to
60 s for what ovn-northd writes back.

The hook, as \`cloud.sh hook-conf\` writes its configuration (the Neutron DB over the
wire as \`neutron@'%'\` at 198.51.100.150:3306, NB and SB on the node's own sockets):

    pcs resource update ovn-nb repair_hook="${HOOK//$CLOUD_RUN/WORKDIR}" repair_hook_timeout=HOOK_TIMEOUT
    pcs resource update ovn-sb op start timeout=SB_TIMEOUT

**Rebuild ordering off**: \`pcs resource update ovn-nb repair_hook=\` (no hook). Not
\`repair_hook_needs_sb=false\`: that runs the sync util in ovn-nb's own start, with no
SB served yet, and the sync util fails without an SB (in ~1 s), failing NB's start rather
than serving what NB kept. Without a hook, NB serves what its repair kept at once,
ovn-northd (started after SB) recomputes SB from it, and ovn-controller follows: what
OVN's own agent would serve. After each such round the sync util is run by hand on the
survivor (NB and SB open, as an operator would; its time is in the tables), and the next
round starts once the flows are back (each round dumps NB anew before its trigger).

$(for s in $SIZES; do size_table "$s"; done)

$(gate_note)

Measured $DATE on this host ($(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)) in $TOTAL s, the setups included. The machine was shared: the 1-minute load average at the triggers is in the
tables$([[ -n $others ]] && echo "; other namespace clusters ran on it during this figure (\`$others\`)")$( ((rustc > 0)) && echo "; up to $rustc \`rustc\` processes were compiling at a trigger")$([[ -z $others ]] && ((rustc == 0)) && echo "; no other namespace cluster and no compiler ran at any trigger"). Times depend on that
load: Neutron and the sync util are CPU-bound. No time is asserted; every round's doors
had to open within its limit (the hook's timeout + 180 s). ovn-ocf: \`$OVN_OCF_BIN\`, sha256
$(sha256sum "$OVN_OCF_BIN" | cut -c1-12), the repository at $REV when the figure started.

Reproduce (raw data of this run: \`${TSV#"$REPO"/}\`):

    make bench                      # every figure, this one included (REBUILD_SIZES="medium large")
    $COMMAND

or one round by hand (\`C=ocf-tests/cluster/cluster.sh K=ocf-tests/cluster/cloud.sh\`,
\`export OVNOCF_CLUSTER=rebuild\`):

    \$C up && \$C shape A
    \$K up && CLOUD_SIZE=medium \$K populate && \$K vms
    \$C exec node1 pcs resource update ovn-nb repair_hook="\$(\$K hook-conf)" repair_hook_timeout=240
    \$C exec node1 pcs resource update ovn-sb op start timeout=360s
    \$K sample-start b                                   # on the serving node, say node1:
    \$C exec node1 python3 \$PWD/ocf-tests/cluster/nbcheck.py damage /srv/ovn/ovnnb_db.db 0.25
    \$C exec node2 stonith_admin --fence node1 --timeout 60
    \$C exec node2 crm_mon -1 -A; \$K sample-stop b       # once the group runs on node2
    \$C exec node2 grep -E 'running its repair_hook|repair_hook std|SB gate|listening on' /var/log/pacemaker/pacemaker.log
    \$K down && \$C down

EOF
}

# ------------------------------------------------------------------ main

main() {
    [[ $(id -u) == 0 ]] || die "run as root (the namespace cluster needs it)"
    [[ -x $OVN_OCF_BIN ]] || die "OVN_OCF_BIN=$OVN_OCF_BIN is not an executable"
    [[ -x /usr/bin/neutron-ovn-db-sync-util ]] || die "no neutron-ovn-db-sync-util (ocf-tests/cloud-deps.sh)"
    command -v gawk >/dev/null || die "gawk is not installed"
    at_exit teardown
    mkdir -p "$RAW"
    WORK=$(mktemp -d /var/tmp/ovn-ocf-rebuild.XXXXXX)   # visible to the client netns and the nodes
    chmod 0755 "$WORK"
    TSV=$RAW/rebuild.tsv
    printf 'size\tmode\trun\tfenced_s\tsb_door_s\tnb_door_s\tsync_util_s\tsb_gate_s\tcontroller_s\tpings_sent\tpings_lost\tflows_before\tflows_min\tnb\tby_hand_s\tload1\n' >"$TSV"
    local t0 s
    t0=$(now)
    DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
    REV=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
    for s in $SIZES; do run_size "$s"; done
    TOTAL=$(since "$t0")
    say "all sizes done in $TOTAL s"
    write_section >"$WORK/section.md"
    cat "$WORK/section.md" >>"$REPORT"
    say "section written to $REPORT"
    [[ -z $BENCH ]] || benchmarks_section rebuild "$WORK/section.md" "$BENCH"
}

main
