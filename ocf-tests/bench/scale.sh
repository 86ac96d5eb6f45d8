#!/bin/bash
# Takeover time against database size: failover.sh (kill -9 of the serving SB ovsdb-server,
# power-off of the serving node) on realistic databases of growing size made by gendb.sh,
# for ovn-ocf's shapes A, B, D and OVN's ovndb-servers.ocf (the incumbent), in the
# namespace cluster, and OVN's RAFT cluster the same way (raft.sh's scale mode: 3 nodes,
# the SB leader's server killed or its node powered off); plus the time until an NB change
# shows in the SB (ovn-northd's takeover: shape A starts a cold northd, B and D promote a
# paused hot one, the incumbent starts one, RAFT's standby northds wait for the SB lock).
# A figure of `make bench` (run.sh calls it unless SCALE_SIZES=none); runs on its own too,
# and then puts its section into BENCHMARKS.md itself:
#
#   ocf-tests/bench/scale.sh --benchmarks BENCHMARKS.md
#
# Per size (SCALE_SIZES): gendb.sh makes the NB and SB (cached in SCALE_DBS/SIZE: the
# bigger sizes take minutes and up to 15 GB of RAM, once); then per agent (SCALE_AGENTS)
# one failover.sh run (raft: raft.sh --failover-tsv) with those files seeded where the
# agent keeps its databases (FAILOVER_SEED_DIR, RAFT_SEED_DIR; from medium up a copy with
# README's northd probe of 60 s set in the NB, see probe_dir), SCALE_RUNS repetitions of
# each trigger, FAILOVER_NB2SB=1, no loss rounds. An agent whose databases would not fit
# in memory at a size is skipped and the section says so: SB_RSS_PER_MB (about 10 MB of
# RSS per MB of compacted SB file) times the SB-sized processes its nodes hold (copies,
# below: the serving SB and northd for shapes A and B; an SB on both nodes and northd for
# the incumbent; for shape D its SB, NB and northd on both nodes, counted as 6 as
# measured; RAFT's 3 nodes, as measured: see copies) must stay under MemAvailable.
# Output: the section (a table per figure, every run in the raw data), the plot
# docs/takeover-vs-size.svg (scaleplot.py), raw data target/bench/scale.tsv.
#
# Knobs (env): SCALE_SIZES ("tiny small medium large xlarge"; "none" for run.sh: skip),
# SCALE_AGENTS ("ovn-ocf ovn-ocf-b ovn-ocf-d incumbent raft"), SCALE_RUNS (2, per
# trigger, size and agent), SCALE_LIMIT (600: seconds any failover or setup may take,
# FAILOVER_LIMIT),
# SCALE_INC_TIMEOUT (300s: the incumbent's start, promote, demote and monitor timeouts),
# SCALE_DBS (/var/tmp/ovn-ocf-scale: gendb's outputs, one directory per size, kept),
# OVN_OCF_BIN (/usr/local/sbin/ovn-ocf), OVNOCF_ALLOCATOR (none; cluster.sh: every
# ovsdb-server resource of ovn-ocf's shapes gets allocator=PATH, the section says so).
# Options: --report FILE (append the section; default stdout), --raw DIR (target/bench),
# --benchmarks PATH (also put the section into PATH between <!-- BEGIN scale --> and
# <!-- END scale -->), --plot PATH (docs/takeover-vs-size.svg), --from-raw (measure
# nothing: the section and the plot from the raw data already in DIR/scale.tsv, e.g. of
# a run cut short, or of several runs put together; a size and agent without rows shows
# "-", scale-failed.tsv and scale-skipped.tsv there give the others' reasons).
# Markdown backticks inside single quotes are meant literally.
# shellcheck disable=SC2016
set -euo pipefail

SAY=scale
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZES=${SCALE_SIZES:-tiny small medium large xlarge}
AGENTS=${SCALE_AGENTS:-ovn-ocf ovn-ocf-b ovn-ocf-d incumbent raft}
RUNS=${SCALE_RUNS:-2}
LIMIT=${SCALE_LIMIT:-600}
DBS=${SCALE_DBS:-/var/tmp/ovn-ocf-scale}
export OVN_OCF_BIN=${OVN_OCF_BIN:-/usr/local/sbin/ovn-ocf}
REPORT=/dev/stdout
BENCH=""
PLOT=$REPO/docs/takeover-vs-size.svg
RAW=$REPO/target/bench
SB_RSS_PER_MB=10
# The incumbent's start, promote, demote and monitor timeouts (cluster/lib.sh
# INC_OP_TIMEOUT): at its defaults (30 s start, 20 s monitor) it could not come up at the
# bigger sizes, its standby still loading the database when they ran out.
INC_TIMEOUT=${SCALE_INC_TIMEOUT:-300s}
FROM_RAW=0

usage() { sed -n '2,/^# Markdown backticks/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while (($#)); do
    case $1 in
    --report) REPORT=$2; shift 2 ;;
    --raw) RAW=$2; shift 2 ;;
    --benchmarks) BENCH=$2; shift 2 ;;
    --plot) PLOT=$2; shift 2 ;;
    --from-raw) FROM_RAW=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

for s in $SIZES; do
    case $s in tiny | small | medium | large | xlarge) ;; *) die "SCALE_SIZES: tiny, small, medium, large, xlarge, not $s" ;; esac
done
for a in $AGENTS; do
    case $a in ovn-ocf | ovn-ocf-b | ovn-ocf-d | incumbent | raft) ;; *) die "SCALE_AGENTS: ovn-ocf, ovn-ocf-b, ovn-ocf-d, incumbent, raft, not $a" ;; esac
done
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || die "SCALE_RUNS=$RUNS: 1-99"
[[ $LIMIT =~ ^[1-9][0-9]{1,4}$ ]] || die "SCALE_LIMIT=$LIMIT: seconds, at least 10"
[[ $DBS == /* && $DBS != /tmp/* ]] || die "SCALE_DBS=$DBS: an absolute path not under /tmp (the nodes read it)"

label() {
    case $1 in
    ovn-ocf) echo "ovn-ocf, shape A" ;;
    ovn-ocf-b) echo "ovn-ocf, shape B" ;;
    ovn-ocf-d) echo "ovn-ocf, shape D" ;;
    incumbent) echo "ovndb-servers.ocf" ;;
    raft) echo "OVN RAFT, 3 nodes" ;;
    esac
}

# copies AGENT: how many SB-sized processes its two nodes hold while serving (the SB
# server on each node that runs one, and ovn-northd, whose RSS is of the same order:
# gendb.sh measured 5.8 GB for northd against 7.9 GB for the SB server at xlarge).
# Shape D counts 6: its six processes (an SB server, an NB server and a northd per node)
# peaked at 14.5 GB together at 253 MB (57 MB per MB of SB: SB servers 3.8 and 4.7 GB,
# NB 0.6 and 0.8, northds 2.3 and 2.4; scale bench of 2026-12-02), more than the 4 copies
# counted before, which let it start at 532 MB on this host's 23 GB.
# RAFT: 7. Its nine processes (an SB server, an NB server and a northd on each of 3 nodes:
# northd's standbys keep both databases in memory too) held 6.7 GB together at 101 MB of
# SB once settled (per node: SB 1.07 GB, NB 0.21, northd 0.95) and peaked at 7.1 GB after
# a kill -9 of the SB leader (70 MB per MB of SB; sampled every 2 s, 2026-12-02); 16.4 GB
# at its peak at 253 MB in the scale run of that day (65 MB per MB).
RAFT_COPIES=7
copies() {
    case $1 in
    ovn-ocf | ovn-ocf-b) echo 2 ;;   # the serving SB and northd (B's standbys hold nothing)
    ovn-ocf-d) echo 6 ;;             # SB, NB and northd on both nodes, as measured above
    incumbent) echo 3 ;;             # SB on both, northd on the promoted one
    raft) echo "$RAFT_COPIES" ;;     # SB, NB and northd on each of 3 nodes, as measured above
    esac
}

# probe_dir SIZE DIR: where SIZE's databases are seeded from. From medium (101 MB) up,
# README tells operators to set ovn-northd's probe of the databases to 60 s (`ovn-nbctl set
# NB_Global . options:northd_probe_interval=60000`: an SB server sending a connecting
# client the whole database is silent for longer than the default 5 s, and northd drops it
# and asks again, in a loop, where it connects over TCP: shapes B and D). So the figure
# does as README says, for every agent: a copy of DIR's files (cached in DIR-probe) with
# that option in the NB's NB_Global; tiny and small as gendb made them.
probe_dir() {
    local size=$1 dir=$2 out=$2-probe
    case $size in tiny | small) echo "$dir"; return ;; esac
    if [[ ! -s $out/ovnnb_db.db || $out/ovnnb_db.db -ot $dir/ovnnb_db.db ||
        ! -s $out/ovnsb_db.db || $out/ovnsb_db.db -ot $dir/ovnsb_db.db ]]; then
        rm -rf "$out"
        mkdir -p "$out"
        cp "$dir/ovnnb_db.db" "$dir/ovnsb_db.db" "$out/"
        ovsdb-tool transact "$out/ovnnb_db.db" '["OVN_Northbound",
            {"op":"mutate","table":"NB_Global","where":[],"mutations":[["options","insert",
            ["map",[["northd_probe_interval","60000"]]]]]}]' >/dev/null ||
            die "could not set northd_probe_interval in $out/ovnnb_db.db"
        rm -f "$out/.ovnnb_db.db.~lock~"
    fi
    grep -aq '"northd_probe_interval","60000"' "$out/ovnnb_db.db" ||
        die "$out/ovnnb_db.db: no northd_probe_interval=60000 in NB_Global"
    echo "$out"
}

tool() { if [[ $1 == raft ]]; then echo "raft.sh --failover-tsv"; else echo failover.sh; fi; }

# measure AGENT SEED_DIR RAW_DIR: AGENT's runs at one size, failover.sh's raw data in
# RAW_DIR/failover.tsv.
measure() {
    local a=$1 seed=$2 raw=$3
    if [[ $a == raft ]]; then
        RAFT_SEED_DIR=$seed RAFT_RUNS=$RUNS RAFT_TIMERS=1000 RAFT_LIMIT=$LIMIT RAFT_CLUSTER=scale \
            "$BENCH_DIR/raft.sh" --failover-tsv "$raw/failover.tsv" --raw "$raw"
    else
        FAILOVER_SEED_DIR=$seed FAILOVER_NB2SB=1 FAILOVER_LOSS_AGENTS="" FAILOVER_RUNS=$RUNS \
            FAILOVER_LIMIT=$LIMIT FAILOVER_CLUSTER=scale INC_OP_TIMEOUT=$INC_TIMEOUT \
            "$BENCH_DIR/failover.sh" --agents "$a" --raw "$raw" --report "$raw/failover.md"
    fi
}

declare -A SB_BYTES=() SKIPPED=() FAILED=()
TSV=""
FAILED_TSV=""
SKIPPED_TSV=""

run_size() {
    local size=$1 line sb a need avail dir why
    dir=$DBS/$size
    say "=== $size: the databases (gendb.sh, cached in $dir)"
    line=$(GENDB_SIZE=$size GENDB_OUT=$dir "$BENCH_DIR/gendb.sh") || die "gendb.sh $size failed"
    GENDB[$size]=$line
    sb=$(tr ' ' '\n' <<<"$line" | awk -F= '$1 == "sb_bytes" { print $2 }')
    [[ $sb =~ ^[0-9]+$ ]] || die "gendb.sh $size: no sb_bytes in: $line"
    SB_BYTES[$size]=$sb
    dir=$(probe_dir "$size" "$dir")
    for a in $AGENTS; do
        need=$((sb * SB_RSS_PER_MB * $(copies "$a") / 1048576 + 1024))
        avail=$(awk '/^MemAvailable:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
        if ((need > avail)); then
            SKIPPED[$size,$a]="needs about $((need / 1024)) GB of RAM, $((avail / 1024)) GB available"
            printf '%s\t%s\t%s\n' "$size" "$a" "${SKIPPED[$size,$a]}" >>"$SKIPPED_TSV"
            say "$size, $a: skipped: ${SKIPPED[$size,$a]}"
            continue
        fi
        say "=== $size, $a: $(tool "$a"), $RUNS runs per trigger"
        mkdir -p "$RAW/scale-$size-$a"
        if ! measure "$a" "$dir" "$RAW/scale-$size-$a" 2>&1 | tee "$RAW/scale-$size-$a/failover.log" >&2; then
            # Not the end of the figure: a size where an agent does not recover is a result.
            # Its error goes into the section; the runs it did finish stay in the data.
            why=$(grep -a " ERROR: " "$RAW/scale-$size-$a/failover.log" | tail -1 | sed 's/^.* ERROR: //') || why=""
            # A failed action the harness showed before that (a shape that did not start).
            why+=$(grep -a "^failed action " "$RAW/scale-$size-$a/failover.log" | head -1 | sed 's/^/; /') || true
            printf '%s\t%s\t%s\n' "$size" "$a" "${why:-failover.sh failed}" >>"$FAILED_TSV"
            say "$size, $a: failed: ${why:-?} (logs in $RAW/scale-$size-$a/*-logs-*)"
        fi
        [[ ! -f $RAW/scale-$size-$a/failover.tsv ]] ||
            awk -F'\t' -v size="$size" -v sb="$sb" 'NR > 1 {
                printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", size, sb, $1, $2, $3, $4, $9 }' \
                "$RAW/scale-$size-$a/failover.tsv" >>"$TSV"
    done
}

declare -A GENDB=()

# vals SIZE AGENT TRIGGER COLUMN: the values of that cell, space-separated.
vals() {
    awk -F'\t' -v s="$1" -v a="$2" -v t="$3" -v c="$4" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $1 == s && $3 == a && $4 == t && $col[c] != "" { printf "%s ", $col[c] }' "$TSV"
}

cell() { # SIZE AGENT TRIGGER COLUMN
    if [[ -n ${SKIPPED[$1,$2]:-} ]]; then echo "skipped¹"; return; fi
    if [[ -n ${FAILED[$1,$2]:-} ]]; then
        # The runs it finished before the error (a failover, or the rejoin after one).
        stats "$(vals "$@")" | awk '{ if ($2 == "-") print "**did not recover**²"; else printf "%s²", $2 }'
        return
    fi
    stats "$(vals "$@")" | awk '{ if ($2 == "-") print "-"; else if ($1 == $3) printf "%s", $2; else printf "**%s** (%s–%s)", $2, $1, $3 }'
}

table() { # TRIGGER COLUMN
    local s a hdr="| SB file | ports | logical flows |" sep="|---:|---:|---:|"
    for a in $AGENTS; do hdr+=" $(label "$a") |"; sep+="---:|"; done
    echo "$hdr"
    echo "$sep"
    for s in $SIZES; do
        local row
        row="| $(awk -v b="${SB_BYTES[$s]}" 'BEGIN { printf "%.0f MB", b / 1e6 }') ($s) | $(kvof "$s" ports) | $(kvof "$s" lflows) |"
        for a in $AGENTS; do row+=" $(cell "$s" "$a" "$1" "$2") |"; done
        echo "$row"
    done
}

# runs_per_cell: how many runs each measured trigger, size and agent has in the data ("2
# runs", or "1 to 2 runs" when runs were put together: --from-raw).
runs_per_cell() {
    awk -F'\t' 'NR > 1 { n[$1 "," $3 "," $4]++ }
        END { lo = 0; for (k in n) { if (!lo || n[k] < lo) lo = n[k]; if (n[k] > hi) hi = n[k] }
              if (lo == hi) printf "%d run%s", lo, (lo == 1 ? "" : "s"); else printf "%d to %d runs", lo, hi }' "$TSV"
}

kvof() { tr ' ' '\n' <<<"${GENDB[$1]}" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# median SIZE AGENT TRIGGER: AGENT's median seconds at SIZE ("-" without runs).
median() { stats "$(vals "$1" "$2" "$3" seconds)" | awk '{ print $2 }'; }

# last_size AGENT: the largest size at which AGENT has power-off runs (none: nothing).
last_size() {
    local s last=""
    for s in $SIZES; do [[ -z $(vals "$s" "$1" power seconds) ]] || last=$s; done
    echo "$last"
}

# at_last AGENT BASE: AGENT's power-off median at its largest measured size over BASE,
# with that size when it is not the largest of the figure.
at_last() {
    local s
    s=$(last_size "$1")
    if [[ -z $s ]]; then echo "-"; return; fi
    printf '%s' "$(ratio "$(median "$s" "$1" power)" "$2")"
    [[ $s == "${SIZES##* }" ]] || awk -v b="${SB_BYTES[$s]}" 'BEGIN { printf " (at %.0f MB, its largest)", b / 1e6 }'
}

# growth_line / goal_line: the sentences under the tables.
growth_line() {
    local a first=${SIZES%% *}
    for a in $AGENTS; do printf '%s %s; ' "$(label "$a")" "$(at_last "$a" "$(median "$first" "$a" power)")"; done | sed 's/; $//'
}
goal_line() {
    local a m0 goal vs first=${SIZES%% *}
    vs=$(vals "$first" ovn-ocf power seconds)
    [[ -n $vs ]] || return 0
    # Twice the unrounded median (3 decimals: the mean of two 2-decimal runs), as
    # scaleplot.py draws it.
    read -r m0 goal < <(tr ' ' '\n' <<<"$vs" | sort -g | awk 'NF { v[n++] = $1 }
        END { m = n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2; s = sprintf("%.3f", m)
              sub(/0$/, "", s); printf "%s %.2f\n", s, 2 * m }')
    printf 'Against the goal (a power-off at the largest size takes at most twice as long as shape\nA'"'"'s at the smallest, 2 × %s s = %s s: the dashed line in the plot), each agent'"'"'s\npower-off → SB answers at its largest size, over shape A'"'"'s at the smallest: ' "$m0" "$goal"
    for a in $AGENTS; do printf '%s %s; ' "$(label "$a")" "$(at_last "$a" "$m0")"; done | sed 's/; $/./'
}

when_measured() {
    if ((FROM_RAW)); then
        echo "From the raw data of a run that ended $(date -u -d "@$T_START" '+%Y-%m-%d %H:%M') UTC (\`scale.sh --from-raw\`)"
    else
        echo "Measured $(date -u -d "@${T_START%.*}" '+%Y-%m-%d %H:%M') UTC in $(since "$T_START") s, load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end,"
    fi
}

write_section() {
    local out=$1 s a skipped="" failed="" rel
    for s in $SIZES; do
        for a in $AGENTS; do
            [[ -z ${SKIPPED[$s,$a]:-} ]] || skipped+="$(label "$a") at $s: ${SKIPPED[$s,$a]}; "
            [[ -z ${FAILED[$s,$a]:-} ]] || failed+="$(label "$a") at $s: ${FAILED[$s,$a]}; "
        done
    done
    rel=$(realpath --relative-to="$(dirname "$(realpath "${BENCH:-$REPO/BENCHMARKS.md}")")" "$PLOT" 2>/dev/null || echo "$PLOT")
    cat >"$out" <<EOF
## Takeover time against database size

$(when_measured) on this host ($(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo) GB of RAM); ovn-ocf \`$OVN_OCF_BIN\`,
the tree at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?').$([[ -z ${OVNOCF_ALLOCATOR:-} ]] || printf '\n%s' "ovn-ocf's ovsdb-server resources with \`allocator=$OVNOCF_ALLOCATOR\` (\`OVNOCF_ALLOCATOR\`; the incumbent as it is).")

The databases are realistic ones made by the real tools (\`ocf-tests/bench/gendb.sh\`: a
Neutron-like NB written into a real ovsdb-server, the SB computed by the real
ovn-northd, both compacted), seeded where each agent keeps its files before its resources
were created: shapes A and B on the shared LUN (mounted \`sync\`), shape D and the
incumbent in every node's own \`/var/lib/ovn\`, RAFT in node1's, which ovn-ctl turned into
the cluster's first member (node2 and node3 joined and got it from the leader); from 101 MB
up with ovn-northd's probe set as README says for such sizes
(\`NB_Global options:northd_probe_interval=60000\`), for every agent; the incumbent with its
start, promote, demote and monitor timeouts raised to \`timeout=${INC_TIMEOUT}\` (\`INC_OP_TIMEOUT\`), as an
operator would: at its defaults (start 30 s, monitor 20 s) its standby, still loading the
database, failed its monitor at 253 MB and its start at 532 MB. Then \`failover.sh\` as
in the failover section (same cluster, client and triggers), $(runs_per_cell) per trigger,
size and agent: seconds from the trigger until an SB transaction through the VIP is
acknowledged (after a power-off, by the other node), and, right after that, how long until
a logical switch created through the VIP's NB has its \`Datapath_Binding\` in the SB
(\`writer.py ls-datapath\`: ovn-northd is up against both databases and computing),
seconds from the same trigger. RAFT (\`raft.sh --failover-tsv\`: 3 nodes set up by
\`ovn-ctl\` as OVN documents, northd on each, OVN's default election timer of 1000 ms): the
same figures, the trigger hitting the SB leader's server or node once the same leader had
held its term for 10 s, the client the same transaction through a fresh connection to
the leader among the three remotes each time (leader-only, as ovsdb-client; after a
power-off only another node's ack counts), \`nbclient.py sbvis\` for the NB change.
**median** (min–max) over the runs.

![Takeover time against SB size]($rel)

**kill -9 of the serving SB ovsdb-server → SB answers again:**

$(table kill seconds)

**Power-off of the serving node → SB answers again (by the other node):**

$(table power seconds)

**Power-off → an NB change shows in the SB:**

$(table power nb_in_sb_s)

**kill -9 of the SB → an NB change shows in the SB:**

$(table kill nb_in_sb_s)

Growth from the smallest to the largest size measured, power-off → SB answers (ratio of
medians): $(growth_line).

$(goal_line)

$([[ -z $failed ]] || echo "² An error ends that agent's runs at that size (a failover, a setup or a rejoin not done within SCALE_LIMIT, ${LIMIT} s in this run); the runs it finished before are in the table, marked ², **did not recover** where there are none: ${failed%; }.")

$([[ -z $skipped ]] || echo "¹ Not run: ${skipped%; }. (Every node of the namespace cluster shares this host's memory; scale.sh skips an agent where its copies of the SB and ovn-northd would not fit, at ${SB_RSS_PER_MB} MB of RSS per MB of SB file and copy.)")

Raw data: \`$(realpath --relative-to="$REPO" "$TSV" 2>/dev/null || echo "$TSV")\` (every run), each run's cluster data in
\`$(realpath --relative-to="$REPO" "$RAW" 2>/dev/null || echo "$RAW")/scale-SIZE-AGENT/\`. Reproduce:

    ocf-tests/bench/scale.sh --benchmarks BENCHMARKS.md    # this section alone
    SCALE_SIZES="small large" SCALE_AGENTS=ovn-ocf SCALE_RUNS=1 ocf-tests/bench/scale.sh
    make gendb GENDB_SIZE=large GENDB_OUT=/var/tmp/ovn-ocf-scale/large   # the databases alone

EOF
}

T_START="" LOAD_START=""
main() {
    [[ $(id -u) == 0 ]] || die "run as root (the namespace cluster needs it)"
    [[ -x $OVN_OCF_BIN ]] || die "OVN_OCF_BIN=$OVN_OCF_BIN is not an executable"
    mkdir -p "$RAW" "$DBS" "$(dirname "$PLOT")"
    TSV=$RAW/scale.tsv
    FAILED_TSV=$RAW/scale-failed.tsv
    SKIPPED_TSV=$RAW/scale-skipped.tsv
    T_START=$(now) LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
    local s tmp
    if ((FROM_RAW)); then
        [[ -s $TSV ]] || die "--from-raw: no $TSV"
        T_START=$(stat -c %Y "$TSV") LOAD_START="(not recorded: --from-raw)"
        for s in $SIZES; do
            GENDB[$s]=$(GENDB_SIZE=$s GENDB_OUT=$DBS/$s "$BENCH_DIR/gendb.sh") || die "gendb.sh $s failed"
            SB_BYTES[$s]=$(kvof "$s" sb_bytes)
        done
    else
        printf 'size\tsb_bytes\tagent\ttrigger\trun\tseconds\tnb_in_sb_s\n' >"$TSV"
        printf 'size\tagent\twhy\n' >"$FAILED_TSV"
        printf 'size\tagent\twhy\n' >"$SKIPPED_TSV"
        for s in $SIZES; do run_size "$s"; done
    fi
    local f_size f_agent f_why
    while IFS=$'\t' read -r f_size f_agent f_why; do
        FAILED[$f_size,$f_agent]=$f_why
    done < <(tail -n +2 "$FAILED_TSV" 2>/dev/null || true)
    while IFS=$'\t' read -r f_size f_agent f_why; do
        SKIPPED[$f_size,$f_agent]=$f_why
    done < <(tail -n +2 "$SKIPPED_TSV" 2>/dev/null || true)
    "$PY" "$BENCH_DIR/scaleplot.py" "$TSV" "$PLOT" "$FAILED_TSV" || die "scaleplot.py failed"
    tmp=$(mktemp /tmp/ovn-ocf-scale-section.XXXXXX)
    write_section "$tmp"
    cat "$tmp" >>"$REPORT"
    [[ -z $BENCH ]] || benchmarks_section scale "$tmp" "$BENCH"
    rm -f "$tmp"
    say "done in $(since "$T_START") s; plot $PLOT, raw data $TSV"
}

main
