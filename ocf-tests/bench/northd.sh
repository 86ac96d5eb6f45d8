#!/bin/bash
# Figure 2 of `make bench`: ovn-northd, promote of a paused hot standby against a cold
# start, and its depth-0 monitor.
#
#   ocf-tests/bench/northd.sh [--report FILE]   (appends its section; default stdout)
#
# Uses an NB and SB of its own (run_dir in the temp directory, unix sockets, 127.0.0.1 on
# ports the kernel picks), never /var/run/ovn; everything it starts is stopped on exit.
# Knobs: NORTHD_RUNS, NORTHD_WARMUP, OURS_RUNS, OURS_WARMUP, TRACE_CALLS (see lib.sh).
# Markdown backticks inside single quotes are meant literally.
# shellcheck disable=SC2016
set -euo pipefail

SAY=northd
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NT=""              # this section's directory (under $TMP)
NRUN=""            # run_dir of its NB and SB servers
N_NB_PORT=""
N_SB_PORT=""
NORTHD=""          # a symlink named ovn-northd → the built binary
STUB_DIR=""        # crm_attribute and attrd_updater that exit 0 (mode "stub")
COLD_HELPER=""
N_SERVERS=()       # databases this section started
N_NORTHDS=()       # "NAME MODE" of the ovn-northd resources it started

# free_ports: two free TCP ports on 127.0.0.1, picked by the kernel (bind to port 0).
free_ports() {
    "$PY" -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))'
}

# nserver_env DB: ovn-ocf's ovsdb-server parameters for this section's NB or SB.
nserver_env() {
    local db=$1 port
    port=$([[ $db == nb ]] && echo "$N_NB_PORT" || echo "$N_SB_PORT")
    printf '%s\n' \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C \
        OCF_ROOT=/usr/lib/ocf \
        OCF_RA_VERSION_MAJOR=1 \
        OCF_RA_VERSION_MINOR=1 \
        "OCF_RESKEY_CRM_meta_on_node=$NODE" \
        OCF_RESKEY_CRM_meta_timeout=60000 \
        "OCF_RESOURCE_INSTANCE=bench-$db" \
        "OCF_RESKEY_db=$db" \
        "OCF_RESKEY_db_file=$NT/ovn${db}_db.db" \
        "OCF_RESKEY_log_file=$NT/ovsdb-server-$db.log" \
        "OCF_RESKEY_run_dir=$NRUN" \
        "OCF_RESKEY_listen_address=$ADDR" \
        "OCF_RESKEY_port=$port" \
        "OCF_RESKEY_gate_nb_connection=unix:$NRUN/ovnnb_db.sock"
}

nserver() { # nserver DB ACTION
    local ENV
    mapfile -t ENV < <(nserver_env "$1")
    env -i "${ENV[@]}" "$OURS" "$2"
}

# northd_env NAME MODE [monitor]: the environment of one ovn-northd resource. NAME hot
# is a promotable clone instance, cold a primitive; MODE real runs Pacemaker's own
# crm_attribute/attrd_updater (no cluster: they fail fast), stub puts STUB_DIR first in
# PATH. "monitor": a recurring depth-0 monitor (interval 10 s) rather than an action.
northd_env() {
    local name=$1 mode=$2 kind=${3:-action} path=/usr/sbin:/usr/bin:/sbin:/bin
    [[ $mode == stub ]] && path=$STUB_DIR:$path
    printf '%s\n' \
        "PATH=$path" \
        LC_ALL=C \
        OCF_ROOT=/usr/lib/ocf \
        OCF_RA_VERSION_MAJOR=1 \
        OCF_RA_VERSION_MINOR=1 \
        "OCF_RESKEY_CRM_meta_on_node=$NODE" \
        OCF_RESKEY_CRM_meta_timeout=30000 \
        "OCF_RESOURCE_INSTANCE=bench-northd-$name-$mode" \
        "OCF_RESKEY_nb_connection=unix:$NRUN/ovnnb_db.sock" \
        "OCF_RESKEY_sb_connection=unix:$NRUN/ovnsb_db.sock" \
        "OCF_RESKEY_run_dir=$NT/$name-$mode" \
        "OCF_RESKEY_log_file=$NT/ovn-northd-$name-$mode.log"
    if [[ $name == hot ]]; then
        printf '%s\n' OCF_RESKEY_CRM_meta_promoted_max=1 OCF_RESKEY_CRM_meta_master_max=1
    fi
    if [[ $kind == monitor ]]; then
        printf '%s\n' OCF_RESKEY_CRM_meta_interval=10000 OCF_CHECK_LEVEL=0
    else
        printf '%s\n' OCF_RESKEY_CRM_meta_interval=0
    fi
}

nd() { # nd NAME MODE ACTION [monitor]: one agent call
    local ENV
    mapfile -t ENV < <(northd_env "$1" "$2" "${4:-}")
    env -i "${ENV[@]}" "$NORTHD" "$3"
}

# nd_expect NAME MODE ACTION RC [monitor]: one agent call that must return RC.
nd_expect() {
    local rc=0
    nd "$1" "$2" "$3" "${5:-}" 2>"$NT/last.err" || rc=$?
    if ((rc != $4)); then
        cat "$NT/last.err" >&2
        die "ovn-northd $1 ($2): $3 returned $rc, expected $4"
    fi
}

# EXIT hook: stops this section's ovn-northd resources and databases through the agent,
# then TERMs whatever a pidfile under $NT still names, if its command line shows it is
# ours (the SB gate's own ovn-northd included).
northd_cleanup() {
    local i f
    [[ -n $NT && -d $NT ]] || return 0
    for i in "${N_NORTHDS[@]}"; do
        # shellcheck disable=SC2086 # "NAME MODE"
        nd $i stop >/dev/null 2>&1 || say "ovn-northd $i: stop returned $?"
    done
    N_NORTHDS=()
    for ((i = ${#N_SERVERS[@]} - 1; i >= 0; i--)); do
        nserver "${N_SERVERS[i]}" stop >/dev/null 2>&1 || say "ovn-ocf stop of ${N_SERVERS[i]} (northd section) returned $?"
    done
    N_SERVERS=()
    while IFS= read -r -d '' f; do
        stop_ours "$(tr -dc '0-9' <"$f")" "$TMP/"
    done < <(find "$NT" -name '*.pid' -print0 2>/dev/null)
}

# trace_spawned LOG CMD...: one call under strace, following children only until they
# exec (-b execve), so a daemon the call spawns is let go; environment in ENV.
trace_spawned() {
    local log=$1
    shift
    env -i "${ENV[@]}" timeout -k 5 60 "$STRACE" -f -b execve -qq -e trace=process -o "$log" "$@" \
        >/dev/null 2>&1 || true
}

# spawned LOG: "prog ×n, ..." for every execve after the agent's own, or "none".
spawned() {
    awk '
        $2 ~ /^execve\(/ {
            if (!seen++) next
            p = $2; sub(/^execve\("/, "", p); sub(/".*/, "", p); sub(/.*\//, "", p); cnt[p]++
        }
        END {
            for (p in cnt) { printf "%s%s ×%d", (n++ ? ", " : ""), p, cnt[p] }
            if (!n) printf "none"
        }' "$1"
}

declare -A NM_MEAN=() NM_SD=() NM_MED=() NM_CH=() NM_PROG=()

# northd_monitor NAME MODE LABEL RC: times the depth-0 monitor of one resource, checks
# every run returned RC, counts its children (TRACE_CALLS traced calls).
northd_monitor() {
    local name=$1 mode=$2 label=$3 want=$4 j=$RAW/northd.json.mon-$3 ENV codes
    nd_expect "$name" "$mode" monitor "$want" monitor
    mapfile -t ENV < <(northd_env "$name" "$mode" monitor)
    say "timing ovn-northd monitor ($label): ${OURS_RUNS} runs"
    env -i "${ENV[@]}" timeout 300 hyperfine -N -i --style basic \
        --export-json "$j" --warmup "$OURS_WARMUP" --runs "$OURS_RUNS" \
        -n "ovn-northd monitor ($label)" "$NORTHD monitor" >&2
    codes=$(exit_codes "$j")
    [[ $codes == "$want" ]] || die "ovn-northd monitor ($label) exited with {$codes} during timing, expected $want"
    NM_MEAN[$label]=$(hstat "$j" mean) NM_SD[$label]=$(hstat "$j" stddev) NM_MED[$label]=$(hstat "$j" median)
    traced_children "northd-$label" "$NORTHD" monitor
    NM_CH[$label]=$CH
    NM_PROG[$label]=$(programs "$CH_LOG" | awk '{ n = $2; sub(/.*\//, "", n); printf "%s%s ×%d", (NR > 1 ? ", " : ""), n, $1 }')
}

declare -A NH_MEAN=() NH_SD=() NH_MED=() NC_MEAN=() NC_SD=() NC_MED=() NH_KIDS=() NC_KIDS=() NC_POLLS=()

# northd_hot MODE: a promotable instance, started (paused) once; times promote with a
# demote before every run. Then its monitors, promoted and unpromoted.
northd_hot() {
    local mode=$1 j=$RAW/northd.json.hot-$1 ENV
    N_NORTHDS+=("hot $mode")
    say "ovn-northd hot standby ($mode): start, promote, demote"
    nd_expect hot "$mode" start 0
    nd_expect hot "$mode" monitor 0 monitor
    nd_expect hot "$mode" promote 0
    nd_expect hot "$mode" monitor 8 monitor
    nd_expect hot "$mode" demote 0
    mapfile -t ENV < <(northd_env hot "$mode")
    say "timing promote ($mode): ${NORTHD_RUNS} runs, demote before each"
    env -i "${ENV[@]}" timeout 600 hyperfine -N --style basic --export-json "$j" \
        --warmup "$NORTHD_WARMUP" --runs "$NORTHD_RUNS" --prepare "$NORTHD demote" \
        -n "promote ($mode)" "$NORTHD promote" >&2
    NH_MEAN[$mode]=$(hstat "$j" mean) NH_SD[$mode]=$(hstat "$j" stddev) NH_MED[$mode]=$(hstat "$j" median)
    nd_expect hot "$mode" demote 0
    trace_spawned "$RAW/northd-promote-$mode.strace" "$NORTHD" promote
    NH_KIDS[$mode]="$(children "$RAW/northd-promote-$mode.strace") ($(spawned "$RAW/northd-promote-$mode.strace"))"
    if [[ $mode == stub ]]; then
        northd_monitor hot stub promoted 8
        nd_expect hot stub demote 0
        northd_monitor hot stub unpromoted 0
    else
        northd_monitor hot real promoted-nocluster 8
    fi
    nd_expect hot "$mode" stop 0
}

# northd_cold MODE: a primitive; times COLD_HELPER (agent start, then ovn-appctl status
# until active) with the agent's stop before every run. Then its monitor.
northd_cold() {
    local mode=$1 j=$RAW/northd.json.cold-$1 ENV rc=0 polls=$NT/polls-$1
    N_NORTHDS+=("cold $mode")
    mapfile -t ENV < <(northd_env cold "$mode")
    say "ovn-northd cold start ($mode): one checked run"
    env -i "${ENV[@]}" "POLL_LOG=$polls" /bin/bash "$COLD_HELPER" "$NORTHD" 2>"$NT/last.err" || rc=$?
    if ((rc != 0)); then
        cat "$NT/last.err" >&2
        die "ovn-northd cold start ($mode) failed ($rc)"
    fi
    nd_expect cold "$mode" stop 0
    : >"$polls"
    say "timing cold start ($mode): ${NORTHD_RUNS} runs, stop before each"
    env -i "${ENV[@]}" "POLL_LOG=$polls" timeout 600 hyperfine -N --style basic --export-json "$j" \
        --warmup "$NORTHD_WARMUP" --runs "$NORTHD_RUNS" --prepare "$NORTHD stop" \
        -n "cold start ($mode)" "/bin/bash $COLD_HELPER $NORTHD" >&2
    NC_MEAN[$mode]=$(hstat "$j" mean) NC_SD[$mode]=$(hstat "$j" stddev) NC_MED[$mode]=$(hstat "$j" median)
    # Status polls per timed run (the warm-up runs come first in the file).
    NC_POLLS[$mode]=$(tail -n "$NORTHD_RUNS" "$polls" | sort -n | uniq -c |
        awk '{ printf "%s%d poll%s in %d", (NR > 1 ? ", " : ""), $2, ($2 == 1 ? "" : "s"), $1 }')
    if [[ $mode == real ]]; then
        # The helper's own share: bash plus one ovn-appctl, against a northd already active.
        say "timing the cold-start helper's polling alone"
        env -i "${ENV[@]}" timeout 300 hyperfine -N --style basic --export-json "$RAW/northd.json.poll" \
            --warmup 3 --runs "$NORTHD_RUNS" -n "helper poll" "/bin/bash $COLD_HELPER $NORTHD poll" >&2
    else
        northd_monitor cold stub primitive 0
    fi
    nd_expect cold "$mode" stop 0
    trace_spawned "$RAW/northd-start-$mode.strace" "$NORTHD" start
    NC_KIDS[$mode]="$(children "$RAW/northd-start-$mode.strace") ($(spawned "$RAW/northd-start-$mode.strace"))"
    nd_expect cold "$mode" monitor 0 monitor
    nd_expect cold "$mode" stop 0
}

write_cold_helper() {
    cat >"$COLD_HELPER" <<'EOF'
#!/bin/bash
# northd-cold-start AGENT [poll] (written by ocf-tests/bench/run.sh): the cold-start
# figure. AGENT start (a primitive: spawns ovn-northd, returns once it is connected to
# both databases), then `ovn-appctl status` until "Status: active", for at most 30 s.
# With "poll": the polling alone, against an ovn-northd that already runs.
# Environment: the agent's (OCF_RESKEY_run_dir); POLL_LOG gets the number of polls.
set -euo pipefail
agent=$1
run=$OCF_RESKEY_run_dir
if [[ ${2:-} != poll ]]; then "$agent" start 2>/dev/null; fi
pid=$(<"$run/ovn-northd.pid")
n=0
while ((SECONDS < 30)); do
    n=$((n + 1))
    if [[ $(ovn-appctl -t "$run/ovn-northd.$pid.ctl" status 2>/dev/null || true) == "Status: active" ]]; then
        if [[ -n ${POLL_LOG:-} ]]; then echo "$n" >>"$POLL_LOG"; fi
        exit 0
    fi
done
echo "ovn-northd pid $pid not active after 30 s ($n polls)" >&2
exit 1
EOF
}

# Figure 2: ovn-northd, promote of a paused hot standby against a cold start; its monitor.
section_northd() {
    local db pid mode ENV
    NT=$TMP/northd NRUN=$TMP/northd/run STUB_DIR=$TMP/northd/stub-bin
    NORTHD=$TMP/ovn-northd COLD_HELPER=$TMP/northd/northd-cold-start
    at_exit northd_cleanup
    mkdir -p "$NRUN" "$STUB_DIR"
    ln -s "$BIN" "$NORTHD"
    ln -s /bin/true "$STUB_DIR/crm_attribute"
    ln -s /bin/true "$STUB_DIR/attrd_updater"
    write_cold_helper
    read -r N_NB_PORT N_SB_PORT < <(free_ports)
    [[ $N_NB_PORT =~ ^[0-9]+$ && $N_SB_PORT =~ ^[0-9]+$ ]] || die "could not pick two free ports"

    for db in nb sb; do
        say "northd section: starting $db through ovn-ocf start (run_dir $NRUN)"
        N_SERVERS+=("$db")
        if ! nserver "$db" start 2>"$NT/start-$db.err"; then
            cat "$NT/start-$db.err" >&2
            die "ovn-ocf start of $db (northd section) failed"
        fi
        pid=$(tr -dc '0-9' <"$NRUN/ovn${db}_db.pid")
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$NT/ovn${db}_db.db" ||
            die "$NRUN/ovn${db}_db.pid ($pid) is not the server just started"
    done

    for mode in real stub; do
        northd_hot "$mode"
        northd_cold "$mode"
    done

    # What the two Pacemaker tools cost here, where they fail fast.
    local tool_crm tool_attrd codes_crm codes_attrd
    mapfile -t ENV < <(northd_env hot real)
    say "timing crm_attribute and attrd_updater alone"
    env -i "${ENV[@]}" timeout 120 hyperfine -N -i --style basic --export-json "$RAW/northd.json.crm_attribute" \
        --warmup 3 --runs "$NORTHD_RUNS" -n crm_attribute "crm_attribute --promotion -v 10" >&2
    env -i "${ENV[@]}" timeout 120 hyperfine -N -i --style basic --export-json "$RAW/northd.json.attrd_updater" \
        --warmup 3 --runs "$NORTHD_RUNS" -n attrd_updater "attrd_updater -n ovn-ocf-northd-role -U serving" >&2
    tool_crm=$(hstat "$RAW/northd.json.crm_attribute" mean)
    tool_attrd=$(hstat "$RAW/northd.json.attrd_updater" mean)
    codes_crm=$(exit_codes "$RAW/northd.json.crm_attribute")
    codes_attrd=$(exit_codes "$RAW/northd.json.attrd_updater")
    northd_cleanup

    local poll_mean poll_sd r_real r_stub cold_net r_net hot_min hot_max
    poll_mean=$(hstat "$RAW/northd.json.poll" mean)
    poll_sd=$(hstat "$RAW/northd.json.poll" stddev)
    cold_net=$(awk -v c="${NC_MEAN[stub]}" -v p="$poll_mean" 'BEGIN { print c - p }')
    r_net=$(ratio "$cold_net" "${NH_MEAN[stub]}")
    hot_min=$(hstat "$RAW/northd.json.hot-stub" min)
    hot_max=$(hstat "$RAW/northd.json.hot-stub" max)
    local one_poll=""
    if [[ ${NC_POLLS[real]} == "1 poll in $NORTHD_RUNS" && ${NC_POLLS[stub]} == "1 poll in $NORTHD_RUNS" ]]; then
        one_poll=$'\n  (always one: ovn-northd was already active when the agent\'s `start` returned)'
    fi
    r_real=$(ratio "${NC_MEAN[real]}" "${NH_MEAN[real]}")
    r_stub=$(ratio "${NC_MEAN[stub]}" "${NH_MEAN[stub]}")
    local northd_ver
    northd_ver=$(ovn-northd --version | head -1)

    cat >>"$REPORT" <<EOF
## ovn-northd: promote of a paused hot standby against a cold start

Time until ovn-northd reports \`Status: active\` (it holds the Southbound lock, so it is
the northd that writes), measured in the same run against the same NB and SB. Hot: a
promotable \`ocf:ovn-ocf:ovn-northd\` instance started once (ovn-northd running paused,
\`--dry-run\`, connected to both databases); each timed \`promote\` resumes it and returns
when it reports active, with a \`demote\` (pause) before every run. Cold: nothing
running; each timed run is ovn-ocf's primitive \`start\` (spawns $northd_ver and returns once
it is connected to both databases), then \`ovn-appctl status\` until active; the
agent's \`stop\` before every run.

| | hot: \`promote\`, mean ± σ (median) | cold: \`start\` + poll, mean ± σ (median) | ratio (cold / hot) |
|---|---:|---:|---:|
| as on this host: Pacemaker tools present, no cluster | $(ms "${NH_MEAN[real]}" "${NH_SD[real]}") ms ($(ms "${NH_MED[real]}")) | $(ms "${NC_MEAN[real]}" "${NC_SD[real]}") ms ($(ms "${NC_MED[real]}")) | **$r_real** |
| Pacemaker tools stubbed (\`/bin/true\`) | $(ms "${NH_MEAN[stub]}" "${NH_SD[stub]}") ms ($(ms "${NH_MED[stub]}")) | $(ms "${NC_MEAN[stub]}" "${NC_SD[stub]}") ms ($(ms "${NC_MED[stub]}")) | **$r_stub** |
| child processes of the agent's action | ${NH_KIDS[real]} | ${NC_KIDS[real]} | |

What each includes:

- Both: one exec of the agent (static binary) and its reading of pidfile and /proc; the
  agent's Pacemaker calls, which on this host (no cluster) fail fast: \`crm_attribute
  --promotion\` $(ms "$tool_crm") ms and \`attrd_updater\` $(ms "$tool_attrd") ms alone (exit $codes_crm and
  $codes_attrd, measured in this run). In a cluster they are CIB/attrd writes and cost more. The
  stubbed row puts a directory with \`crm_attribute\` and \`attrd_updater\` → \`/bin/true\`
  first in PATH: what is left is the agent and ovn-northd themselves (plus two execs of
  /bin/true).
- Hot \`promote\`: unixctl \`resume\`, then \`status\` at once and every 1 ms until active
  (the agent's own poll), the promotion score (\`crm_attribute\`) and the role attribute
  (\`attrd_updater\`). Stubbed, promote took $(ms "$hot_min")–$(ms "$hot_max") ms (the agent polls
  \`status\` every 1 ms).
- Cold: Debian's ovn-northd exec and start-up, its connections to NB and SB (the
  agent checks \`nb-connection-status\`/\`sb-connection-status\` every 10 ms until both say
  connected), the role attribute (\`attrd_updater\`), then this script's helper: bash and
  \`ovn-appctl -t ovn-northd.PID.ctl status\` in a loop until active. The helper's own share,
  bash plus one \`ovn-appctl\` against an ovn-northd that is already active, is
  $(ms "$poll_mean" "$poll_sd") ms; polls needed per timed run: ${NC_POLLS[real]} runs (real), ${NC_POLLS[stub]} runs (stub)$one_poll.
  Without the helper's share, the stubbed cold start is about $(ms "$cold_net") ms, $r_net the
  stubbed promote (a difference of means, not a measurement of its own).
- Neither includes Pacemaker's own scheduling of the action, nor ovn-northd's first
  recompute after it becomes active: \`Status: active\` only means it holds the lock.
  NB and SB here are empty; a cold ovn-northd must also download both databases
  and recompute everything, which grows with their size, while a paused one has them
  already (this run does not measure that).
- \`hyperfine -N\`, ${NORTHD_WARMUP} warm-up + ${NORTHD_RUNS} runs each; \`--prepare\` (demote or stop) is not
  timed. Databases: ovn-ocf's own \`start\` in a \`mktemp -d\` directory (\`run_dir\` there,
  northd connects over their unix sockets; TCP listeners on $ADDR:$N_NB_PORT and
  $ADDR:$N_SB_PORT, ports the kernel picked), not /var/run/ovn. Children: one call under
  \`strace -f -b execve -e trace=process\` (children are let go at their exec, so the
  daemon is not followed).

## ovn-northd: depth-0 monitor, time and child processes per call

There is no incumbent to compare with: OVN's \`ovndb-servers.ocf\` can run northd
(\`manage_northd=yes\`) only through \`ovn-ctl\` alongside the databases, and has no agent of
its own for it. These are ovn-ocf's own figures, same method as the first section
(\`hyperfine -N\`, ${OURS_WARMUP} warm-up + ${OURS_RUNS} runs; children from ${TRACE_CALLS} calls under \`strace -f\`;
\`OCF_RESKEY_CRM_meta_interval=10000\`, \`OCF_CHECK_LEVEL=0\`).

| resource, role | exit | wall time per call, mean ± σ | median | child processes per call |
|---|---:|---:|---:|---:|
| primitive, running (active) | 0 | $(ms "${NM_MEAN[primitive]}" "${NM_SD[primitive]}") ms | $(ms "${NM_MED[primitive]}") ms | ${NM_CH[primitive]} |
| promotable clone, unpromoted (paused) | 0 | $(ms "${NM_MEAN[unpromoted]}" "${NM_SD[unpromoted]}") ms | $(ms "${NM_MED[unpromoted]}") ms | ${NM_CH[unpromoted]} |
| promotable clone, promoted (active) | 8 | $(ms "${NM_MEAN[promoted]}" "${NM_SD[promoted]}") ms | $(ms "${NM_MED[promoted]}") ms | ${NM_CH[promoted]} |
| promoted, no cluster: score write fails, retried every call | 8 | $(ms "${NM_MEAN[promoted-nocluster]}" "${NM_SD[promoted-nocluster]}") ms | $(ms "${NM_MED[promoted-nocluster]}") ms | ${NM_CH[promoted-nocluster]}${NM_PROG[promoted-nocluster]:+ (${NM_PROG[promoted-nocluster]})} |

Each call reads the state file, finds ovn-northd from its pidfile and /proc and asks it
\`status\` over its control socket (one unixctl round trip). A promotable monitor
writes the promotion score only when it differs from the one last written: the first
three rows ran with the stubbed Pacemaker tools, so the score written at promote/demote
was recorded and the monitor writes nothing, as in a cluster once the write succeeded.
The last row is the same promoted resource with the real tools and no cluster: every
write fails, so every monitor tries again (one \`crm_attribute\` per call).

EOF
}


figure_start "$@"
section_northd
