#!/bin/bash
# `make bench`: measures ovn-ocf on this host and writes BENCHMARKS.md (the whole file,
# every run): one script per figure, each appending its markdown section to the file given
# by --report, run in this order:
#   monitor.sh   its depth-0 monitor against OVN's own shell agent ovndb-servers.ocf (the
#                incumbent), both watching the same live ovsdb-servers;
#   northd.sh    ovn-northd's promote against a cold start, and its monitor;
#   repair.sh    `ovn-ocf check`/`repair` on a 1 GiB database against `ovsdb-tool show-log`;
#   failover.sh  failover time after kill -9 and power-off, ovn-ocf against the incumbent,
#                in the namespace cluster;
#   rebuild.sh   NB lost at a power-off, found by the node taking over and rebuilt by the
#                real neutron-ovn-db-sync-util before the doors open, against the same loss
#                with that rebuild off, in the namespace cluster with a small real cloud
#                around it, at two cloud sizes (REBUILD_SIZES);
#   raft.sh      OVN's native RAFT cluster (3 nodes, clustered NB and SB, a northd on
#                each; election timer 1 s and 5 s) side by side with ovn-ocf (shapes A, B) and
#                the incumbent, as NB clients see a kill -9 and a power-off (a fresh
#                connection every 50 ms and an ovn-nbctl daemon), plus write throughput,
#                in the namespace cluster (RAFT_SYSTEMS);
#   scale.sh     takeover time against the databases' size (gendb.sh's realistic NB and SB,
#                up to a 532 MB SB), ovn-ocf's shapes A, B, D, the incumbent and OVN's
#                RAFT cluster (raft.sh's scale mode), with a plot
#                (docs/takeover-vs-size.svg), in the namespace cluster (SCALE_SIZES).
# Each runs on its own too (`make build` first); see its header for what it starts and stops.
#
# Needs root (the monitor figure starts ovsdb-server with OVN's default run_dir
# /var/run/ovn, the only one the incumbent knows). Installs with apt-get, if missing and
# only then:
#   ovn-central pacemaker-cli-utils resource-agents hyperfine strace jq iproute2 python3 openssl
#   pacemaker corosync pcs fence-agents kmod (the namespace cluster of the failover figure)
#   gawk, and the cloud's packages (ocf-tests/cloud-deps.sh: Neutron, MariaDB, Open vSwitch,
#   ovn-controller) for the rebuild figure, unless REBUILD_SIZES=none
#
# This script: checks the knobs, installs what is missing, builds with `make build` (the
# binary `make install` installs), runs the figures, then writes the report: a header,
# every figure's section, and the soak and load sections (`make soak`, `make load`),
# carried over from the current BENCHMARKS.md unchanged (so are the rebuild figure's
# with REBUILD_SIZES=none and the RAFT figure's with RAFT_SYSTEMS=none, between their
# markers). The report replaces
# BENCHMARKS.md only when every figure succeeded; the first that fails stops the run. Raw
# data (hyperfine JSON, strace logs) stays in target/bench/.
#
# Knobs (env): OURS_RUNS (300), OURS_WARMUP (20), INC_RUNS (100), INC_WARMUP (5),
#              TRACE_CALLS (5, traced calls per agent for the children count),
#              NORTHD_RUNS (30), NORTHD_WARMUP (3) for promote and cold start,
#              BIGDB_MIB (1024, size of the generated database), SMALLDB_MIB (300, the
#              one of small records), CHECK_RUNS (10),
#              SHOWLOG_RUNS (3), REPAIR_RUNS (3), FAILOVER_RUNS (3, per trigger and agent),
#              FAILOVER_LIMIT (120 s a failover may take), FAILOVER_CLUSTER (bench, the
#              namespace cluster's name; see failover.sh), REBUILD_SIZES ("medium large":
#              cloud.sh's sizes, ≈ 200 and ≈ 1000 ports; "none" skips the figure),
#              REBUILD_RUNS (3, per size and mode; more in rebuild.sh),
#              RAFT_SYSTEMS ("raft ovn-ocf ovn-ocf-b incumbent"; "none" skips the figure; add idl
#              for the IDL reconnect schedule, see raft.sh),
#              RAFT_RUNS (3, per trigger, timer and system; more in raft.sh),
#              SCALE_SIZES ("tiny small medium large xlarge"; "none" skips the figure),
#              SCALE_RUNS (2, per trigger, size and agent; more in scale.sh).
# Markdown backticks inside single quotes are meant literally.
# shellcheck disable=SC2016
set -euo pipefail

SAY=bench
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT="$REPO/BENCHMARKS.md"
PKGS=(ovn-central pacemaker-cli-utils resource-agents hyperfine strace jq iproute2 python3 openssl
    pacemaker corosync pcs fence-agents kmod gawk)

# ------------------------------------------------------------------ setup

install_deps() {
    local p missing=()
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    if ((${#missing[@]})); then
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    if [[ $REBUILD_SIZES != none ]]; then "$REPO/ocf-tests/cloud-deps.sh" >&2; fi
}

build() {
    say "make build"
    make -C "$REPO" --no-print-directory build >&2
    [[ -x $BIN ]] || die "$BIN was not built"
}

# ------------------------------------------------------------------ the report

# section_header FILE: the report's title and what was measured where.
section_header() {
    local cpu ovsdb_ver ovn_ver pcmk_ver rev
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    [[ -n $cpu ]] || cpu=$(awk -F': *' '/^(Hardware|CPU part|cpu model)/ { print $2; exit }' /proc/cpuinfo)
    ovsdb_ver=$(ovsdb-server --version | head -1)
    ovn_ver=$(dpkg-query -W -f='${Package} ${Version}' ovn-central)
    pcmk_ver=$(dpkg-query -W -f='${Package} ${Version}' pacemaker-cli-utils)
    rev=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
    cat >"$1" <<EOF
# Benchmarks

Generated by \`ocf-tests/bench/run.sh\` — do not edit by hand. Reproduce with:

    make bench

Everything below was measured on this host in one run:

1. the depth-0 monitor, ovn-ocf against OVN's own Pacemaker agent \`ovndb-servers.ocf\`
   (the incumbent, run from \`$INCUMBENT\`), both watching the same live
   ovsdb-servers;
2. ovn-northd: promote of a paused hot standby against a cold start, and its monitor;
3. \`ovn-ocf check\` against \`ovsdb-tool show-log\` on a ${BIGDB_MIB} MiB database, and \`ovn-ocf repair\`;
   \`check\` against \`openssl sha1\` on a ${SMALLDB_MIB} MiB database of small records;
4. failover time after kill -9 and after power-off, ovn-ocf (shapes A and D) against
   \`ovndb-servers.ocf\`, and the acknowledged writes a power-off loses, in a namespace
   Pacemaker cluster on this host (\`ocf-tests/cluster/\`);
5. the Northbound database lost at a power-off and rebuilt by Neutron's sync util before
   the doors open, against the same loss without that rebuild, in the namespace cluster
   with a small real cloud around it$([[ $REBUILD_SIZES != none ]] || echo " (not measured in this run: REBUILD_SIZES=none; its section is from an earlier one)");
6. OVN's native RAFT cluster side by side with ovn-ocf and \`ovndb-servers.ocf\`, as
   Northbound clients see a kill -9 and a power-off, and write throughput$([[ $RAFT_SYSTEMS != none ]] || echo " (not measured in this run: RAFT_SYSTEMS=none; its section is from an earlier one)");
7. takeover time against the databases' size, up to a 532 MB SB$([[ $SCALE_SIZES != none ]] || echo " (not measured in this run: SCALE_SIZES=none; its section is from an earlier one)").

| | |
|---|---|
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| machine | $(nproc) CPUs, ${cpu:-unknown CPU}; kernel $(uname -r) |
| ovn-ocf | $rev, \`make build\` (static-pie, \`-C target-feature=+crt-static\`) |
| ovsdb-server | $ovsdb_ver |
| ovn-northd | $(ovn-northd --version | head -1) |
| incumbent | $ovn_ver (ships \`ovndb-servers.ocf\`) |
| pacemaker | $pcmk_ver (no cluster running for 1–3; 4 runs its own namespace clusters) |
| tools | $(hyperfine --version), $(strace -V | head -1 | sed 's/ -- version//') |

EOF
}

# figure NAME [ARGS...]: runs NAME.sh, its section into $DIR/NAME.md; dies if it fails.
figure() {
    local name=$1
    shift
    "$BENCH_DIR/$name.sh" --report "$DIR/$name.md" "$@" >&2 || die "$name figure failed"
    SECTIONS+=("$DIR/$name.md")
}

main() {
    check_knobs
    [[ $(id -u) == 0 ]] || die "run as root: the servers use $RUN_DIR, the incumbent's only run directory"
    install_deps
    [[ -r $INCUMBENT ]] || die "$INCUMBENT not found (package ovn-central)"
    build

    DIR=$(mktemp -d /tmp/ovn-ocf-bench-report.XXXXXX)
    TMP=$DIR
    at_exit remove_tmp
    mkdir -p "$RAW"
    rm -f "$RAW"/*.strace "$RAW"/*.json.*
    local report=$DIR/BENCHMARKS.md
    section_header "$DIR/header.md"
    SECTIONS=()
    figure monitor
    figure northd
    figure repair
    say "failover: namespace cluster, ovn-ocf shapes A and D then ovndb-servers.ocf, ${FAILOVER_RUNS:-3} runs per trigger, and the writes a power-off loses"
    OVN_OCF_BIN=$BIN "$BENCH_DIR/failover.sh" --report "$DIR/failover.md" --raw "$RAW" >&2 ||
        die "failover figure failed (cluster logs in $RAW/failover-logs-*)"
    SECTIONS+=("$DIR/failover.md")
    # Between markers: REBUILD_SIZES=none carries it over, rebuild.sh --benchmarks
    # replaces it alone.
    if [[ $REBUILD_SIZES != none ]]; then
        say "rebuild: namespace cluster and cloud, sizes $REBUILD_SIZES, ${REBUILD_RUNS:-3} runs per size and mode"
        OVN_OCF_BIN=$BIN "$BENCH_DIR/rebuild.sh" --report "$DIR/rebuild.body.md" --raw "$RAW" >&2 ||
            die "rebuild figure failed (logs in $RAW/rebuild-logs-*)"
        { echo "<!-- BEGIN rebuild -->"; cat "$DIR/rebuild.body.md"; echo "<!-- END rebuild -->"; } >"$DIR/rebuild.md"
        SECTIONS+=("$DIR/rebuild.md")
    fi
    if [[ $RAFT_SYSTEMS != none ]]; then
        say "raft: namespace clusters, $RAFT_SYSTEMS, ${RAFT_RUNS:-3} runs per trigger, timer and system"
        OVN_OCF_BIN=$BIN RAFT_SYSTEMS=$RAFT_SYSTEMS "$BENCH_DIR/raft.sh" --report "$DIR/raft.body.md" --raw "$RAW" >&2 ||
            die "raft figure failed (logs in $RAW/raft-logs-*)"
        { echo "<!-- BEGIN raft -->"; cat "$DIR/raft.body.md"; echo "<!-- END raft -->"; } >"$DIR/raft.md"
        SECTIONS+=("$DIR/raft.md")
    fi
    if [[ $SCALE_SIZES != none ]]; then
        say "scale: namespace clusters, sizes $SCALE_SIZES, ${SCALE_RUNS:-2} runs per trigger, size and agent"
        OVN_OCF_BIN=$BIN SCALE_SIZES=$SCALE_SIZES "$BENCH_DIR/scale.sh" --report "$DIR/scale.body.md" --raw "$RAW" >&2 ||
            die "scale figure failed (logs in $RAW/scale-*)"
        { echo "<!-- BEGIN scale -->"; cat "$DIR/scale.body.md"; echo "<!-- END scale -->"; } >"$DIR/scale.md"
        SECTIONS+=("$DIR/scale.md")
    fi

    cat "$DIR/header.md" "${SECTIONS[@]}" >"$report"
    # `make soak`'s and `make load`'s sections (ocf-tests/cluster/soak.sh and load.sh
    # --benchmarks; soak.sh's SOAK_KINDS runs in soak-* sections of their own) and the
    # allocator's (ocf-tests/bench/allocator.py, on gendb's big databases) are not
    # measured here: carry them over from the current BENCHMARKS.md as they are, markers
    # included; the rebuild figure's too when it was not measured.
    local kept soaks=''
    [[ ! -f $OUT ]] || soaks=$(sed -n 's/^<!-- BEGIN \(soak-[a-z-]*\) -->$/\1/p' "$OUT")
    for kept in $([[ $REBUILD_SIZES != none ]] || echo rebuild) $([[ $RAFT_SYSTEMS != none ]] || echo raft) $([[ $SCALE_SIZES != none ]] || echo scale) soak $soaks load allocator; do
        if [[ -f $OUT ]] && grep -qxF "<!-- BEGIN $kept -->" "$OUT" && grep -qxF "<!-- END $kept -->" "$OUT"; then
            sed -n "/^<!-- BEGIN $kept -->\$/,/^<!-- END $kept -->\$/p" "$OUT" >>"$report"
        fi
    done

    mv "$report" "$OUT.tmp.$$"
    mv "$OUT.tmp.$$" "$OUT"
    say "wrote $OUT"
}

main "$@"
