#!/bin/bash
# Figure 1 of `make bench`: the depth-0 monitor, ovn-ocf against OVN's own shell agent
# ovndb-servers.ocf (the incumbent), wall time and child processes per call.
#
#   ocf-tests/bench/monitor.sh [--report FILE]   (appends its section; default stdout)
#
# Starts a real NB and SB ovsdb-server through ovn-ocf's own `start` (primitive mode,
# database files in a mktemp -d directory, listeners on 127.0.0.1:6641/6642 only, OVN's
# default run_dir /var/run/ovn: the only one the incumbent knows, hence root); runs both
# agents' depth-0 monitor against those same servers; stops the servers with ovn-ocf's
# `stop` (which TERMs the server by pid) on exit, whatever happens. It refuses to run when
# /var/run/ovn/ovn{nb,sb}_db.pid names a live process or 6641/6642 are taken.
# Knobs: OURS_RUNS, OURS_WARMUP, INC_RUNS, INC_WARMUP, TRACE_CALLS (see lib.sh).
# Markdown backticks inside single quotes are meant literally.
# shellcheck disable=SC2016
set -euo pipefail

SAY=monitor
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"


# A live process named by one of the pidfiles the incumbent reads, or a taken port,
# belongs to somebody else: this script never touches it.
refuse_if_busy() {
    local f pid port
    for f in "$RUN_DIR/ovnnb_db.pid" "$RUN_DIR/ovnsb_db.pid"; do
        [[ -s $f ]] || continue
        pid=$(tr -dc '0-9' <"$f")
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            die "$f names live process $pid ($(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | cut -c1-120)): an OVN database is already running here; stop it first (this script only measures databases it starts itself)"
        fi
    done
    for port in "$NB_PORT" "$SB_PORT"; do
        if [[ -n $(ss -Hltn "sport = :$port") ]]; then
            die "TCP port $port is already in use ($(ss -Hltnp "sport = :$port" | head -1)); free it first"
        fi
    done
}

# ------------------------------------------------------------------ the servers

CREATED_RUN_DIR=0
declare -A SERVER_PID=()

# What Pacemaker's execd passes to an agent for a recurring depth-0 monitor, plus the
# incumbent's parameters. Both agents get exactly the same environment (env -i): the
# variables meant for one are ignored by the other.
common_env() {
    printf '%s\n' \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C \
        OCF_ROOT=/usr/lib/ocf \
        OCF_RA_VERSION_MAJOR=1 \
        OCF_RA_VERSION_MINOR=1 \
        "OCF_RESKEY_CRM_meta_on_node=$NODE" \
        OCF_RESKEY_CRM_meta_interval=10000 \
        OCF_RESKEY_CRM_meta_timeout=20000 \
        OCF_CHECK_LEVEL=0 \
        "OCF_RESKEY_master_ip=$ADDR" \
        "OCF_RESKEY_nb_master_port=$NB_PORT" \
        "OCF_RESKEY_sb_master_port=$SB_PORT"
}

# ovn-ocf's parameters for one database (default ctl/sock/pid names under run_dir).
db_env() {
    local db=$1 port
    port=$([[ $db == nb ]] && echo "$NB_PORT" || echo "$SB_PORT")
    printf '%s\n' \
        "OCF_RESOURCE_INSTANCE=ovn-$db" \
        "OCF_RESKEY_db=$db" \
        "OCF_RESKEY_db_file=$TMP/ovn${db}_db.db" \
        "OCF_RESKEY_log_file=$TMP/ovsdb-server-$db.log" \
        "OCF_RESKEY_run_dir=$RUN_DIR" \
        "OCF_RESKEY_listen_address=$ADDR" \
        "OCF_RESKEY_port=$port"
}

# env_for DB: fills the array ENV with the full environment for that database's run.
env_for() {
    mapfile -t ENV < <(common_env; db_env "$1")
}

OURS=""  # set in setup: a symlink named ovsdb-server → the built binary

ours() { # ours DB ACTION
    local db=$1 action=$2 ENV
    env_for "$db"
    env -i "${ENV[@]}" "$OURS" "$action"
}

start_servers() {
    local db pid
    if [[ ! -d $RUN_DIR ]]; then CREATED_RUN_DIR=1; fi
    for db in nb sb; do
        say "starting $db through ovn-ocf start"
        SERVER_PID[$db]=starting
        if ! ours "$db" start 2>"$TMP/start-$db.err"; then
            cat "$TMP/start-$db.err" >&2
            die "ovn-ocf start of $db failed"
        fi
        pid=$(tr -dc '0-9' <"$RUN_DIR/ovn${db}_db.pid")
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$TMP/ovn${db}_db.db" ||
            die "$RUN_DIR/ovn${db}_db.pid ($pid) is not the server just started"
        SERVER_PID[$db]=$pid
        say "$db: ovsdb-server pid $pid on $ADDR:$([[ $db == nb ]] && echo $NB_PORT || echo $SB_PORT)"
    done
}

# Teardown hook: stop the servers this script started, by their pid, and nothing else.
stop_servers() {
    local db pid
    for db in nb sb; do
        [[ -n ${SERVER_PID[$db]:-} ]] || continue
        ours "$db" stop 2>/dev/null || say "ovn-ocf stop of $db returned $?"
        pid=${SERVER_PID[$db]}
        [[ $pid =~ ^[0-9]+$ ]] || continue
        # Fallback only for the pid this script started, recognised by its temp database.
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$TMP/"; then
            say "ovsdb-server pid $pid survived stop: TERM"
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        fi
    done
    if ((CREATED_RUN_DIR)); then rmdir "$RUN_DIR" 2>/dev/null || true; fi
    return 0
}

# ------------------------------------------------------------------ measuring

# hyperfine_pair DB JSON: times ovn-ocf's monitor of DB and the incumbent's monitor,
# back to back, in one hyperfine process with the same environment. -N: no shell.
# -i: the incumbent exits 8 (see check_rcs); every run's exit code is checked afterwards.
hyperfine_pair() {
    local db=$1 json=$2 ENV
    env_for "$db"
    say "timing $db: ovn-ocf ${OURS_RUNS} runs, ovndb-servers.ocf ${INC_RUNS} runs"
    env -i "${ENV[@]}" timeout 300 hyperfine -N -i --style basic \
        --export-json "$json.ours" --warmup "$OURS_WARMUP" --runs "$OURS_RUNS" \
        -n "ovn-ocf $db" "$OURS monitor" >&2
    env -i "${ENV[@]}" timeout 300 hyperfine -N -i --style basic \
        --export-json "$json.inc" --warmup "$INC_WARMUP" --runs "$INC_RUNS" \
        -n "ovndb-servers.ocf" "$INCUMBENT monitor" >&2
}

# Runs each agent's monitor once, checks what it returned and that it talked to the
# running servers: a measurement of an agent that does not look is worthless.
INC_RC=""
INC_ERR=""
check_rcs() {
    local db rc ENV log socks
    for db in nb sb; do
        rc=0
        ours "$db" monitor 2>"$TMP/ours-$db.err" || rc=$?
        if ((rc != 0)); then
            cat "$TMP/ours-$db.err" >&2
            die "ovn-ocf monitor of $db returned $rc, expected 0"
        fi
        env_for "$db"
        log="$RAW/check-ours-$db.strace"
        trace_one "$log" "$OURS" monitor
        socks=$(sockets "$log")
        grep -qx "$RUN_DIR/ovn${db}_db.ctl" <<<"$socks" ||
            die "ovn-ocf monitor of $db never connected to $RUN_DIR/ovn${db}_db.ctl"
    done
    env_for nb
    rc=0
    env -i "${ENV[@]}" "$INCUMBENT" monitor >"$TMP/inc.out" 2>"$TMP/inc.err" || rc=$?
    INC_RC=$rc
    INC_ERR=$(grep -v '^$' "$TMP/inc.err" | head -1 || true)
    log="$RAW/check-incumbent.strace"
    trace_one "$log" "$INCUMBENT" monitor
    socks=$(sockets "$log")
    for db in nb sb; do
        grep -qx "$RUN_DIR/ovn${db}_db.ctl" <<<"$socks" ||
            die "ovndb-servers.ocf monitor never connected to $RUN_DIR/ovn${db}_db.ctl: it is not looking at the servers"
    done
    case $INC_RC in
        8 | 0) ;;
        *)
            cat "$TMP/inc.out" "$TMP/inc.err" >&2
            die "ovndb-servers.ocf monitor returned $INC_RC (expected 8: both databases running/active)"
            ;;
    esac
    say "monitor rc: ovn-ocf nb=0 sb=0, ovndb-servers.ocf=$INC_RC${INC_ERR:+ (stderr: $INC_ERR)}"
}

# Figure 1: depth-0 monitor, wall time and children per call.
section_monitor() {
    local db j codes ENV IC IPROG OFORKS=""
    local -A OM OS OMED IM IS IMED OCH
    local progs_file=$TMP/inc-programs
    for db in nb sb; do
        j="$RAW/monitor-$db.json"
        hyperfine_pair "$db" "$j"
        codes=$(exit_codes "$j.ours")
        [[ $codes == 0 ]] || die "ovn-ocf monitor of $db exited with {$codes} during timing"
        codes=$(exit_codes "$j.inc")
        [[ $codes == "$INC_RC" ]] || die "ovndb-servers.ocf monitor exited with {$codes} during timing, $INC_RC before"
        OM[$db]=$(hstat "$j.ours" mean) OS[$db]=$(hstat "$j.ours" stddev) OMED[$db]=$(hstat "$j.ours" median)
        IM[$db]=$(hstat "$j.inc" mean) IS[$db]=$(hstat "$j.inc" stddev) IMED[$db]=$(hstat "$j.inc" median)
    done

    for db in nb sb; do
        env_for "$db"
        traced_children "ours-$db" "$OURS" monitor
        OCH[$db]=$CH
        if [[ $CH != 0 ]]; then
            OFORKS+="$db: $(programs "$CH_LOG" | awk '{ printf "%s%s ×%d", (NR > 1 ? ", " : ""), $2, $1 }'); "
            say "ovn-ocf monitor of $db started $CH children: $OFORKS"
        fi
    done
    env_for nb
    traced_children incumbent "$INCUMBENT" monitor
    IC=$CH
    programs "$CH_LOG" >"$progs_file"
    IPROG=$(awk '{ s += $1 } END { print s + 0 }' "$progs_file")

    # Numbers for the table.
    local o_sum o_sum_sd i_both i_both_sd r_nb r_sb r_both
    o_sum=$(awk -v a="${OM[nb]}" -v b="${OM[sb]}" 'BEGIN { print a + b }')
    o_sum_sd=$(awk -v a="${OS[nb]}" -v b="${OS[sb]}" 'BEGIN { print sqrt(a * a + b * b) }')
    # The incumbent was timed twice (once beside each of ours): pool both runs.
    i_both=$(awk -v a="${IM[nb]}" -v b="${IM[sb]}" 'BEGIN { print (a + b) / 2 }')
    i_both_sd=$(awk -v a="${IS[nb]}" -v b="${IS[sb]}" 'BEGIN { print sqrt((a * a + b * b) / 2) }')
    r_nb=$(ratio "${IM[nb]}" "${OM[nb]}")
    r_sb=$(ratio "${IM[sb]}" "${OM[sb]}")
    r_both=$(ratio "$i_both" "$o_sum")
    # The goal, read both ways: per monitor call, and per pair of databases.
    local kids=no g_call g_pair
    if [[ ${OCH[nb]}${OCH[sb]} == 00 ]]; then kids=yes; fi
    g_call=$(awk -v a="${IM[nb]}" -v b="${OM[nb]}" -v c="${IM[sb]}" -v d="${OM[sb]}" -v k=$kids \
        'BEGIN { print ((b * 20 <= a && d * 20 <= c && k == "yes") ? "met" : "NOT met") }')
    g_pair=$(awk -v i="$i_both" -v o="$o_sum" -v k=$kids \
        'BEGIN { print ((o * 20 <= i && k == "yes") ? "met" : "NOT met") }')
    local o_prog_nb o_prog_sb
    o_prog_nb=$(programs "$RAW/children-ours-nb-1.strace" | awk '{ s += $1 } END { print s + 0 }')
    o_prog_sb=$(programs "$RAW/children-ours-sb-1.strace" | awk '{ s += $1 } END { print s + 0 }')

    cat >>"$REPORT" <<EOF
## Depth-0 monitor: time and child processes per call

A recurring depth-0 monitor (\`OCF_RESKEY_CRM_meta_interval=10000\`, \`OCF_CHECK_LEVEL=0\`),
as Pacemaker runs it every few seconds on every node for the life of the cluster.
ovn-ocf is the primitive \`ocf:ovn-ocf:ovsdb-server\`, one resource per database; the
incumbent is one promotable resource whose single monitor checks both NB and SB, so the
**NB + SB** row (two ovn-ocf calls against one incumbent call) is the fair comparison.

| metric | ovn-ocf | ovndb-servers.ocf | ratio (incumbent / ovn-ocf) |
|---|---:|---:|---:|
| NB: wall time per call, mean ± σ | $(ms "${OM[nb]}" "${OS[nb]}") ms | $(ms "${IM[nb]}" "${IS[nb]}") ms | $r_nb |
| NB: wall time per call, median | $(ms "${OMED[nb]}") ms | $(ms "${IMED[nb]}") ms | |
| NB: child processes per call | ${OCH[nb]} | $IC | |
| NB: programs executed per call | $o_prog_nb | $IPROG | |
| SB: wall time per call, mean ± σ | $(ms "${OM[sb]}" "${OS[sb]}") ms | $(ms "${IM[sb]}" "${IS[sb]}") ms | $r_sb |
| SB: wall time per call, median | $(ms "${OMED[sb]}") ms | $(ms "${IMED[sb]}") ms | |
| SB: child processes per call | ${OCH[sb]} | $IC | |
| SB: programs executed per call | $o_prog_sb | $IPROG | |
| **NB + SB**: wall time, mean ± σ | $(ms "$o_sum" "$o_sum_sd") ms (2 calls) | $(ms "$i_both" "$i_both_sd") ms (1 call) | **$r_both** |
| **NB + SB**: child processes | $(awk -v a="${OCH[nb]%%–*}" -v b="${OCH[sb]%%–*}" 'BEGIN { print a + b }') | $IC | |

Goal (ovn-ocf at most 1/20 of the incumbent's time, and no child process): per monitor
call (NB and SB rows) **$g_call**; per pair of databases (NB + SB row) **$g_pair**.

How it was measured:

- Servers: one NB and one SB ovsdb-server started by ovn-ocf's own \`start\` (database
  files in a \`mktemp -d\` directory, \`run_dir=$RUN_DIR\` with ovn-ctl's file names,
  listening on $ADDR:$NB_PORT and $ADDR:$SB_PORT), stopped by ovn-ocf's \`stop\` afterwards.
- Time: \`hyperfine -N\` (no shell), ovn-ocf ${OURS_WARMUP} warm-up + ${OURS_RUNS} runs, the
  incumbent ${INC_WARMUP} warm-up + ${INC_RUNS} runs, once beside each database (the incumbent
  columns of NB and SB are two separate runs of the same call; NB + SB pools them).
  Each hyperfine runs under \`env -i\` with one environment shared by both agents: what
  Pacemaker's execd passes (OCF_ROOT=/usr/lib/ocf, OCF_RESOURCE_INSTANCE,
  OCF_RESKEY_CRM_meta_on_node, OCF_RESKEY_CRM_meta_interval=10000,
  OCF_RESKEY_CRM_meta_timeout=20000, OCF_CHECK_LEVEL=0), ovn-ocf's
  parameters (db, db_file, log_file, run_dir, listen_address, port) and the incumbent's
  (master_ip=$ADDR, nb_master_port=$NB_PORT, sb_master_port=$SB_PORT; everything else at its
  defaults, manage_northd=no), PATH=/usr/sbin:/usr/bin:/sbin:/bin, LC_ALL=C. Every timed
  run's exit code was checked: ovn-ocf 0, the incumbent $INC_RC. CRM_meta_on_node matters
  to the incumbent: without it, its node-name lookup (ocf_local_nodename) would also run
  which, pacemakerd, grep, awk and uname on every call.
- Children: \`strace -f -e trace=process,connect\`, ${TRACE_CALLS} calls per agent; a child is a
  clone/fork/vfork that returned a pid (threads excluded), cross-checked against the
  distinct pids in the trace. "Programs executed" counts the successful execve calls
  after the agent's own; the other children are the shell's subshells for \`\$(…)\`
  and pipes. A range means the count varied between calls.

What each monitor did (read from the traces in \`target/bench/\`):

- ovn-ocf: finds the server from \`ovn{nb,sb}_db.pid\` and /proc, then asks the server
  itself over its control socket \`$RUN_DIR/ovn{nb,sb}_db.ctl\` (JSON-RPC
  \`ovsdb-server/sync-status\`, and \`list-remotes\` to check its listener is open).
  Exit 0: running (a primitive has no promoted role).$(if [[ -n $OFORKS ]]; then printf '\n  **It started child processes**: %s' "$OFORKS"; else printf ' No process is started.'; fi)
- ovndb-servers.ocf: exit **$INC_RC** ($(inc_rc_meaning)). It ran
  \`ovn-ctl status_ovnsb\` and \`ovn-ctl status_ovnnb\` (each: pidfile and /proc, then
  \`ovn-appctl -t …_db.ctl ovsdb-server/sync-status | awk\`, a connect to
  \`ovnsb_db.ctl\` and \`ovnnb_db.ctl\`), then \`crm_master -l reboot -N $NODE -v $([[ $INC_RC == 8 ]] && echo 10 || echo 5)\`
  to write its promotion score. Without a cluster that write fails fast$([[ -n $INC_ERR ]] && printf ' (`%s`)' "$INC_ERR") and
  the agent ignores its result; in a cluster it succeeds and is a CIB write on every
  monitor, so the incumbent's cost in production is higher than measured here.
  Programs it ran in one call ($IPROG):
$(awk '{ n = $2; sub(/.*\//, "", n); printf "%s%s ×%d", (NR > 1 ? ", " : "  "), n, $1 } END { print "." }' "$progs_file")

EOF
}

inc_rc_meaning() {
    case $INC_RC in
        8) echo 'OCF_RUNNING_MASTER: both databases report `running/active`; this agent has no plain "running", a healthy active server is always "promoted"' ;;
        0) echo 'OCF_SUCCESS: both databases report `running/backup`' ;;
        *) echo "unexpected" ;;
    esac
}

# ------------------------------------------------------------------ main

figure_start "$@"
[[ -r $INCUMBENT ]] || die "$INCUMBENT not found (package ovn-central)"
refuse_if_busy
at_exit stop_servers
start_servers
check_rcs
section_monitor
