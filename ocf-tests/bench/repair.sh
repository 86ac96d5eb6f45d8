#!/bin/bash
# Figure 3 of `make bench`: `ovn-ocf check` against `ovsdb-tool show-log` on a ~1 GiB
# database of real transactions, and `ovn-ocf repair` of a torn copy; then `check`
# against `openssl sha1` and `show-log` on a ~300 MiB database of small (~250-byte) records.
#
#   ocf-tests/bench/repair.sh [--report FILE]   (appends its section; default stdout)
#
# Generates each database once with Debian's ovsdb-server (unix socket in the temp
# directory only) and keeps it in target/bench/ for later runs; the generating server,
# the torn copies and the backups go on exit, whatever happens.
# Knobs: BIGDB_MIB, SMALLDB_MIB, CHECK_RUNS, SHOWLOG_RUNS, REPAIR_RUNS (see lib.sh).
# Markdown backticks inside single quotes are meant literally.
# shellcheck disable=SC2016
set -euo pipefail

SAY=repair
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NB_SCHEMA=/usr/share/ovn/ovn-nb.ovsschema
BIGDB=""           # the generated database being worked on, kept across runs
DB_KIND=big        # which one: big (large records) or small (~250-byte records)
GEN_PID=""         # the ovsdb-server writing it, while it runs
GEN_SETS=4         # Address_Set rows per transaction
GEN_ADDRS=4000     # addresses per row
GEN_PAD=8          # filler characters in each small record's description
REPAIR_DIR=""      # torn copy and backups, removed afterwards

# The generator: drives a real ovsdb-server over its unix socket until the database file
# reaches TARGET bytes. Each transaction deletes the previous one's Address_Set rows and
# inserts SETS new ones of ADDRS addresses (3 in 4 IPv4, 1 in 4 IPv6) and two external_ids,
# so the server's memory stays small while its file grows. Up to 3 transactions in flight.
# Prints the number of transactions committed.
GEN_PY=$(
    cat <<'PY'
import json, os, socket, sys
sock_path, db_file = sys.argv[1], sys.argv[2]
target, sets, addrs = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect(sock_path)
dec = json.JSONDecoder()
buf = ""
def message():
    global buf
    while True:
        b = buf.lstrip()
        if b:
            try:
                v, end = dec.raw_decode(b)
                buf = b[end:]
                return v
            except ValueError:
                pass
        chunk = s.recv(1 << 16)
        if not chunk:
            sys.exit("ovsdb-server closed the connection")
        buf += chunk.decode()
def reply():
    while True:
        m = message()
        if m.get("method") == "echo":
            s.sendall(json.dumps({"id": m["id"], "result": m["params"], "error": None}).encode())
            continue
        if m.get("error") is not None or any(r and "error" in r for r in m["result"]):
            sys.exit("transaction %s failed: %s" % (m.get("id"), json.dumps(m)[:300]))
        return
n = inflight = 0
while os.path.getsize(db_file) < target:
    ops = [{"op": "delete", "table": "Address_Set", "where": []}]
    for k in range(sets):
        b = n * sets + k
        a = ["fd%02x:%x::%x" % (b & 255, b, i) if i % 4 == 3 else
             "10.%d.%d.%d" % (((b + i) >> 16) & 255, (i >> 8) & 255, i & 255)
             for i in range(addrs)]
        ops.append({"op": "insert", "table": "Address_Set",
                    "row": {"name": "as_%d_%d" % (n, k), "addresses": ["set", a],
                            "external_ids": ["map", [["neutron:revision", str(n)],
                                                     ["owner", "bench-%d" % b]]]}})
    s.sendall(json.dumps({"id": n, "method": "transact",
                          "params": ["OVN_Northbound"] + ops}).encode())
    n += 1
    inflight += 1
    if inflight == 3:
        reply()
        inflight -= 1
while inflight:
    reply()
    inflight -= 1
print(n)
PY
)

# The small-records generator: one row, one small transaction after another. Each
# updates the row's external_ids (a revision number and a short description), so each
# record is one diff of about 250 bytes, header included. Up to 64 transactions in
# flight. Prints the number of transactions committed (the row's insert included).
GEN_SMALL_PY=$(
    cat <<'PY'
import json, os, socket, sys
sock_path, db_file = sys.argv[1], sys.argv[2]
target, pad = int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect(sock_path)
dec = json.JSONDecoder()
buf = ""
def message():
    global buf
    while True:
        b = buf.lstrip()
        if b:
            try:
                v, end = dec.raw_decode(b)
                buf = b[end:]
                return v
            except ValueError:
                pass
        chunk = s.recv(1 << 16)
        if not chunk:
            sys.exit("ovsdb-server closed the connection")
        buf += chunk.decode()
def reply():
    while True:
        m = message()
        if m.get("method") == "echo":
            s.sendall(json.dumps({"id": m["id"], "result": m["params"], "error": None}).encode())
            continue
        if m.get("error") is not None or any(r and "error" in r for r in m["result"]):
            sys.exit("transaction %s failed: %s" % (m.get("id"), json.dumps(m)[:300]))
        return
s.sendall(json.dumps({"id": "row", "method": "transact", "params": ["OVN_Northbound",
    {"op": "insert", "table": "Logical_Switch", "row": {"name": "bench"}}]}).encode())
reply()
n = inflight = 0
filler = "x" * pad
while n % 1000 or os.path.getsize(db_file) < target:
    s.sendall(json.dumps({"id": n, "method": "transact", "params": ["OVN_Northbound",
        {"op": "update", "table": "Logical_Switch", "where": [["name", "==", "bench"]],
         "row": {"external_ids": ["map", [["neutron:revision", str(n)],
                                          ["neutron:description", "%s %d" % (filler, n)]]]}}]}).encode())
    n += 1
    inflight += 1
    if inflight == 64:
        reply()
        inflight -= 1
while inflight:
    reply()
    inflight -= 1
print(n + 1)
PY
)

# What the cached database was made from: a different value means generate again.
db_signature() {
    if [[ $DB_KIND == small ]]; then
        printf 'generator=%s target=%s pad=%s' \
            "$(sha1sum <<<"$GEN_SMALL_PY" | cut -c1-12)" "$((SMALLDB_MIB << 20))" "$GEN_PAD"
    else
        printf 'generator=%s target=%s sets=%s addrs=%s' \
            "$(sha1sum <<<"$GEN_PY" | cut -c1-12)" "$((BIGDB_MIB << 20))" "$GEN_SETS" "$GEN_ADDRS"
    fi
    printf ' server=%s schema=%s\n' \
        "$(ovsdb-server --version | head -1 | awk '{ print $NF }')" \
        "$(sha1sum "$NB_SCHEMA" | cut -c1-12)"
}

# gen_value KEY: a value from the cached database's .gen file.
gen_value() { sed -n "s/^$1=//p" "$BIGDB.gen" 2>/dev/null; }

db_valid() {
    [[ -s $BIGDB && -s $BIGDB.gen ]] || return 1
    [[ $(gen_value signature) == "$(db_signature)" ]] || return 1
    [[ $(stat -c %s "$BIGDB") == "$(gen_value size)" ]] || return 1
    say "verifying the cached $BIGDB"
    "$BIN" check "$BIGDB" >/dev/null 2>&1
}

# EXIT hook: the generating ovsdb-server (by pid), a partial database, the repair copies.
repair_cleanup() {
    if [[ -n $GEN_PID ]]; then
        stop_ours "$GEN_PID" "$BIGDB.partial"
        wait "$GEN_PID" 2>/dev/null || true
        GEN_PID=""
    fi
    [[ -n $BIGDB ]] && rm -f "$BIGDB.partial" "$(dirname "$BIGDB")/.$(basename "$BIGDB").partial.~lock~"
    [[ -n $REPAIR_DIR ]] && rm -rf "$REPAIR_DIR"
    return 0
}

# Writes BIGDB with Debian's ovsdb-server: ovsdb-tool create, then transactions over a
# unix socket in the temp directory (no other remote), until the file is BIGDB_MIB MiB
# (SMALLDB_MIB with DB_KIND=small).
generate_db() {
    local partial=$BIGDB.partial dir=$TMP/gen t0 t1 txns records size mib gen args
    if [[ $DB_KIND == small ]]; then
        mib=$SMALLDB_MIB gen=$GEN_SMALL_PY args=("$GEN_PAD")
    else
        mib=$BIGDB_MIB gen=$GEN_PY args=("$GEN_SETS" "$GEN_ADDRS")
    fi
    rm -rf "$dir"
    rm -f "$BIGDB" "$BIGDB.gen" "$partial" "$(dirname "$BIGDB")/.$(basename "$BIGDB").partial.~lock~"
    mkdir -p "$dir"
    ovsdb-tool create "$partial" "$NB_SCHEMA"
    say "generating a ${mib} MiB NB database ($DB_KIND records): ovsdb-server on $partial, punix only"
    /usr/sbin/ovsdb-server "$partial" --remote="punix:$dir/nb.sock" --unixctl="$dir/nb.ctl" \
        --no-chdir -vconsole:off -vfile:info --log-file="$dir/ovsdb-server.log" \
        </dev/null >/dev/null 2>&1 &
    GEN_PID=$!
    t0=$(date +%s.%N)
    while [[ ! -S $dir/nb.sock ]]; do
        alive "$GEN_PID" || die "ovsdb-server exited at startup: $(tail -3 "$dir/ovsdb-server.log" 2>/dev/null)"
        (($(date +%s) - ${t0%.*} < 10)) || die "ovsdb-server did not open $dir/nb.sock within 10 s"
        sleep 0.05
    done
    t0=$(date +%s.%N)
    txns=$(timeout --foreground 900 "$PY" -c "$gen" "$dir/nb.sock" "$partial" "$((mib << 20))" \
        "${args[@]}") || die "the generator failed (see above; server log $dir/ovsdb-server.log)"
    t1=$(date +%s.%N)
    stop_ours "$GEN_PID" "$partial"
    wait "$GEN_PID" 2>/dev/null || true
    GEN_PID=""
    rm -f "$(dirname "$BIGDB")/.$(basename "$BIGDB").partial.~lock~"
    records=$("$BIN" check --json "$partial" | jq -r 'if .verdict.kind == "clean" then .verdict.records else "damaged" end') || true
    # One record per transaction after the schema: proof the server never compacted it.
    [[ $records == "$((txns + 1))" ]] ||
        die "$partial: $records records after $txns transactions (compacted or damaged?); see $dir/ovsdb-server.log"
    size=$(stat -c %s "$partial")
    mv "$partial" "$BIGDB"
    {
        printf 'signature=%s\n' "$(db_signature)"
        printf 'size=%s\nrecords=%s\ntransactions=%s\n' "$size" "$records" "$txns"
        printf 'generated=%s\nseconds=%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
            "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')"
    } >"$BIGDB.gen"
    say "generated $BIGDB: $size bytes, $records records in $(gen_value seconds) s"
}

fmt_s() { awk -v s="$1" -v d="${2:-}" 'BEGIN { printf "%.2f", s; if (d != "") printf " ± %.2f", d }'; }
gbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.2f", b / s / 1e9 }'; }

# Figure 3: `ovn-ocf check` against `ovsdb-tool show-log` on a ~1 GiB database of real
# transactions, and `ovn-ocf repair` of a torn copy.
section_repair() {
    local avail need cached=0 reused size records txns
    BIGDB=$RAW/nb-${BIGDB_MIB}m.db
    REPAIR_DIR=$RAW/repair-work
    at_exit repair_cleanup
    rm -rf "$REPAIR_DIR"
    if db_valid; then cached=1; fi
    # Room: a torn copy, its backup and the repaired temp file (3×), plus the database
    # itself if it must be generated, plus 512 MiB.
    avail=$(df -B1 --output=avail "$RAW" | tail -1 | tr -dc '0-9')
    need=$(((BIGDB_MIB << 20) * (cached ? 3 : 4) + (512 << 20)))
    if ((avail < need)); then
        say "SKIPPING check/repair: $((avail >> 20)) MiB free on $(df --output=target "$RAW" | tail -1), need $((need >> 20)) MiB"
        cat >>"$REPORT" <<EOF
## Verifying and repairing a ${BIGDB_MIB} MiB standalone database

**Skipped in this run**: $((avail >> 20)) MiB free on the file system of \`target/bench/\`,
$((need >> 20)) MiB needed (the database$( ((cached)) && printf ' is cached;' || printf ',') a torn copy, its backup and the repaired temp file).

EOF
        return 0
    fi
    if ((cached)); then
        reused="reused from an earlier run (generated $(gen_value generated) in $(gen_value seconds) s)"
        say "reusing $BIGDB"
    else
        generate_db
        reused="generated in this run, in $(gen_value seconds) s"
    fi
    size=$(gen_value size) records=$(gen_value records) txns=$(gen_value transactions)

    # --- check vs show-log, page cache warm for both.
    say "warming the page cache: reading $BIGDB"
    cat "$BIGDB" >/dev/null
    local j=$RAW/repair.json
    say "timing ovn-ocf check: ${CHECK_RUNS} runs; ovsdb-tool show-log: ${SHOWLOG_RUNS} runs"
    timeout 600 hyperfine -N --style basic --export-json "$j.check" --warmup 1 --runs "$CHECK_RUNS" \
        -n "ovn-ocf check" "$BIN check $BIGDB" >&2
    timeout 900 hyperfine -N --style basic --export-json "$j.showlog" --warmup 0 --runs "$SHOWLOG_RUNS" \
        -n "ovsdb-tool show-log" "ovsdb-tool show-log $BIGDB" >&2
    # Reference floors: SHA-1 alone (OpenSSL, same hardware instructions) and reading.
    timeout 600 hyperfine -N --style basic --export-json "$j.sha1" --warmup 1 --runs "$CHECK_RUNS" \
        -n "openssl sha1" "openssl sha1 $BIGDB" >&2
    timeout 600 hyperfine -N --style basic --export-json "$j.read" --warmup 1 --runs "$CHECK_RUNS" \
        -n "dd" "dd if=$BIGDB of=/dev/null bs=4M" >&2
    local c_mean c_sd s_mean s_sd c_gb s_gb r g_speed g_ratio sha_mean read_mean
    c_mean=$(hstat "$j.check" mean) c_sd=$(hstat "$j.check" stddev)
    s_mean=$(hstat "$j.showlog" mean) s_sd=$(hstat "$j.showlog" stddev)
    sha_mean=$(hstat "$j.sha1" mean) read_mean=$(hstat "$j.read" mean)
    c_gb=$(gbps "$size" "$c_mean") s_gb=$(gbps "$size" "$s_mean")
    r=$(ratio "$s_mean" "$c_mean")
    g_speed=$(awk -v g="$c_gb" 'BEGIN { print (g >= 1 ? "met" : "NOT met") }')
    g_ratio=$(awk -v s="$s_mean" -v c="$c_mean" 'BEGIN { print (s >= 10 * c ? "met" : "NOT met") }')

    # --- repair of a torn copy: the last record cut in half.
    local work=$REPAIR_DIR/ovnnb_db.db bdir=$REPAIR_DIR/backups prep=$TMP/repair-prepare
    local tail_len=$((16 << 20)) off last torn kind
    ((tail_len < size)) || tail_len=$size
    off=$(tail -c "$tail_len" "$BIGDB" | grep -abo '^OVSDB JSON ' | tail -1 | cut -d: -f1)
    [[ $off =~ ^[0-9]+$ ]] || die "cannot find the last record header of $BIGDB"
    last=$((size - tail_len + off))
    torn=$((last + (size - last) / 2))
    mkdir -p "$REPAIR_DIR"
    cat >"$prep" <<EOF
#!/bin/bash
# Written by ocf-tests/bench/run.sh: a fresh torn copy before each timed repair.
set -euo pipefail
rm -rf '$bdir' '$work'
cp '$BIGDB' '$work'
truncate -s $torn '$work'
sync '$work'
EOF
    chmod +x "$prep"
    "$prep"
    kind=$("$BIN" check --json "$work" | jq -r .verdict.kind) || true
    [[ $kind == torn-tail ]] || die "$work: expected a torn tail after truncating to $torn bytes, found $kind"
    say "timing ovn-ocf repair of a torn ${BIGDB_MIB} MiB copy: ${REPAIR_RUNS} runs"
    timeout 900 hyperfine -N --style basic --export-json "$j.repair" --runs "$REPAIR_RUNS" \
        --prepare "$prep" -n "ovn-ocf repair" \
        "$BIN repair $work --backup-dir $bdir --schema $NB_SCHEMA" >&2
    # What the last run did: cut the torn record, kept the rest, verified.
    local rep outcome kept dropped after
    rep=$(find "$bdir" -name '*.report.json' | head -1)
    outcome=$(jq -r '.outcome' "$rep")
    kept=$(jq -r '.steps[0].records' "$rep")
    dropped=$(jq -r '.steps[0].dropped' "$rep")
    after=$("$BIN" check --json "$work" | jq -r 'if .verdict.kind == "clean" then .verdict.records else "damaged" end') || true
    [[ $outcome == cut && $kept == "$((records - 1))" && $after == "$((records - 1))" ]] ||
        die "repair did not do what was expected: outcome $outcome, kept $kept, file now $after records (want cut, $((records - 1)))"
    # One more run under strace -T, for where the time goes (not one of the timed runs).
    "$prep"
    local tlog=$RAW/repair.strace t0 t1
    t0=$(date +%s.%N)
    timeout -k 5 900 "$STRACE" -f -T -qq -o "$tlog" \
        -e trace=read,copy_file_range,fsync,fdatasync,rename,renameat,renameat2 \
        "$BIN" repair "$work" --backup-dir "$bdir" --schema "$NB_SCHEMA" >/dev/null
    t1=$(date +%s.%N)
    local -A T=()
    local k v read_bytes
    while read -r k v; do T[$k]=$v; done < <(awk '
        $2 ~ /^[a-z_0-9]+\(/ && $NF ~ /^<[0-9.]+>$/ {
            n = $2; sub(/\(.*/, "", n); sub(/^rename.*/, "rename", n)
            t = $NF; gsub(/[<>]/, "", t); s[n] += t
        }
        END { for (n in s) print n, s[n] }' "$tlog")
    read_bytes=$(awk '$2 ~ /^read\(/ && $(NF - 1) ~ /^[0-9]+$/ { b += $(NF - 1) } END { printf "%.0f", b }' "$tlog")
    local t_total t_rest
    t_total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    t_rest=$(awk -v t="$t_total" -v r="${T[read]:-0}" -v c="${T[copy_file_range]:-0}" \
        -v f="${T[fsync]:-0}" -v d="${T[fdatasync]:-0}" -v n="${T[rename]:-0}" \
        'BEGIN { print t - r - c - f - d - n }')
    rm -rf "$REPAIR_DIR"

    local rp_mean rp_sd rp_min rp_max
    rp_mean=$(hstat "$j.repair" mean) rp_sd=$(hstat "$j.repair" stddev)
    rp_min=$(hstat "$j.repair" min) rp_max=$(hstat "$j.repair" max)
    cat >>"$REPORT" <<EOF
## Verifying and repairing a ${BIGDB_MIB} MiB standalone database

$(measured_at)

The database: $(awk -v b="$size" 'BEGIN { printf "%.2f GB (%.0f MiB)", b / 1e9, b / 1048576 }'), $records records ($txns transactions after the schema,
$(awk -v b="$size" -v n="$records" 'BEGIN { printf "%.0f", b / n / 1000 }') kB each on average), written by Debian's ovsdb-server itself: \`ovsdb-tool create\`
with the installed NB schema, then the server with a single \`punix:\` remote in the temp
directory, fed by a small python3 client. Each transaction deletes the previous one's
${GEN_SETS} \`Address_Set\` rows and inserts ${GEN_SETS} new ones of ${GEN_ADDRS} addresses each (3 in 4 IPv4, 1 in 4
IPv6) with two \`external_ids\`; up to 3 transactions in flight. One record per
transaction shows the server never compacted it. Kept in
\`target/bench/$(basename "$BIGDB")\` for later runs: $reused.

| command (page cache warm) | wall time, mean ± σ | throughput |
|---|---:|---:|
| \`ovn-ocf check FILE\` | $(fmt_s "$c_mean" "$c_sd") s | **$c_gb GB/s** |
| \`ovsdb-tool show-log FILE\` (output to /dev/null) | $(fmt_s "$s_mean" "$s_sd") s | $s_gb GB/s |
| ratio (show-log / check) | | **$r** |
| reference: \`openssl sha1 FILE\` (SHA-1 alone) | $(fmt_s "$sha_mean") s | $(gbps "$size" "$sha_mean") GB/s |
| reference: \`dd if=FILE of=/dev/null bs=4M\` (reading alone) | $(fmt_s "$read_mean") s | $(gbps "$size" "$read_mean") GB/s |

Targets: \`ovn-ocf check\` at least 1 GB/s **$g_speed**; at least 10× \`ovsdb-tool show-log\`
**$g_ratio**. GB is 10⁹ bytes; throughput is the file size over the mean wall time, process
start included. \`check\` verifies every record's length and SHA-1 in one streaming pass
(read 256 KiB at a time and scanned into one buffer while the records in the other are
hashed on every CPU); \`show-log\` parses every record's JSON, which is why it is slower. The two
reference rows bound what a verifier can do here: \`check\` took
$(awk -v c="$c_mean" -v s="$sha_mean" 'BEGIN { printf "%.2f", c / s }')× the time OpenSSL's SHA-1 needs for the same bytes, and reading them
from the page cache is a small share of either, so hashing is where its time goes.
Records here are large (tens of kB); a database of small records would add per-record
work (one header parse, one SHA-1 finalisation each) that this file does not exercise.
\`hyperfine -N\`: check ${CHECK_RUNS} runs after 1 warm-up, show-log ${SHOWLOG_RUNS} runs (the file was read
once with \`cat\` before, and by every check run), the references ${CHECK_RUNS} runs each;
every run exited 0.

**Repair** of the same file with a torn tail (its last record cut in half, as a crash
mid-write would leave it; $((size - torn)) bytes missing): \`ovn-ocf repair FILE --backup-dir D
--schema ovn-nb.ovsschema\` took **$(fmt_s "$rp_mean" "$rp_sd") s** (min $(fmt_s "$rp_min"), max $(fmt_s "$rp_max"); ${REPAIR_RUNS} runs). Each run:
reads and verifies the whole file (finds the torn record), copies it byte for byte into
the backup directory, fsyncs and renames the copy, compares it with the original byte for
byte (hashing the backup in the same pass), copies the intact prefix ($kept records, $dropped bytes dropped) to a temp file,
fsyncs it, verifies it again, renames it over the database and fsyncs the directory,
then writes its JSON report. The last run's report said \`$outcome\` and the file checked
clean afterwards. Before each run (not timed) a fresh torn copy was made from the
database and fsynced, and the previous backup removed; the torn copy and backups were
deleted at the end.

Where the time goes, from one more run under \`strace -f -T\` ($(fmt_s "$t_total") s including
strace's own overhead; syscall times summed):

| | seconds |
|---|---:|
| \`read\` ($(awk -v b="$read_bytes" -v s="$size" 'BEGIN { printf "%.1f", b / s }')× the file size read from the page cache) | $(fmt_s "${T[read]:-0}") |
| \`copy_file_range\` (the backup and the kept prefix, copied in the kernel) | $(fmt_s "${T[copy_file_range]:-0}") |
| \`fsync\`/\`fdatasync\` (backup, repaired file, directories) | $(fmt_s "$(awk -v a="${T[fsync]:-0}" -v b="${T[fdatasync]:-0}" 'BEGIN { print a + b }')") |
| \`rename\` (over the torn file: freeing its blocks) | $(fmt_s "${T[rename]:-0}") |
| the rest: user time (mostly SHA-1 of what was read) and strace's overhead | $(fmt_s "$t_rest") |

The copies and fsyncs depend on this machine's disk and its page-cache writeback, hence
the spread between runs.

EOF
}

# measured_at: when and with what a section was measured (it may be spliced into a
# BENCHMARKS.md whose header is older).
measured_at() {
    echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC with \`$BIN\` ($("$BIN" --version 2>/dev/null | head -1)), the tree at $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)."
}

# hmed JSON: a hyperfine run's median, seconds.
hmed() { hstat "$1" median; }

# `ovn-ocf check` on a database of small records, against the cost of SHA-1 alone
# (`openssl sha1` over the same bytes) and `ovsdb-tool show-log`: per-record work (one
# header parse, one SHA-1 finalisation each) that the big file does not exercise.
section_small() {
    local avail need cached=0 reused size records txns
    DB_KIND=small
    BIGDB=$RAW/nb-small-${SMALLDB_MIB}m.db
    if db_valid; then cached=1; fi
    avail=$(df -B1 --output=avail "$RAW" | tail -1 | tr -dc '0-9')
    need=$(((SMALLDB_MIB << 20) * (cached ? 0 : 2) + (512 << 20)))
    if ((avail < need)); then
        say "SKIPPING the small-records check: $((avail >> 20)) MiB free, need $((need >> 20)) MiB"
        cat >>"$REPORT" <<EOF
## Verifying a ${SMALLDB_MIB} MiB database of small records

**Skipped in this run**: $((avail >> 20)) MiB free on the file system of \`target/bench/\`,
$((need >> 20)) MiB needed.

EOF
        return 0
    fi
    if ((cached)); then
        reused="reused from an earlier run (generated $(gen_value generated) in $(gen_value seconds) s)"
        say "reusing $BIGDB"
    else
        generate_db
        reused="generated in this run, in $(gen_value seconds) s"
    fi
    size=$(gen_value size) records=$(gen_value records) txns=$(gen_value transactions)
    say "warming the page cache: reading $BIGDB"
    cat "$BIGDB" >/dev/null
    local j=$RAW/small.json
    say "timing on $BIGDB: check, openssl sha1, dd (${CHECK_RUNS} runs each), show-log (${SHOWLOG_RUNS} runs)"
    timeout 600 hyperfine -N --style basic --export-json "$j.check" --warmup 1 --runs "$CHECK_RUNS" \
        -n "ovn-ocf check" "$BIN check $BIGDB" >&2
    timeout 600 hyperfine -N --style basic --export-json "$j.sha1" --warmup 1 --runs "$CHECK_RUNS" \
        -n "openssl sha1" "openssl sha1 $BIGDB" >&2
    timeout 600 hyperfine -N --style basic --export-json "$j.read" --warmup 1 --runs "$CHECK_RUNS" \
        -n "dd" "dd if=$BIGDB of=/dev/null bs=4M" >&2
    timeout 900 hyperfine -N --style basic --export-json "$j.showlog" --warmup 0 --runs "$SHOWLOG_RUNS" \
        -n "ovsdb-tool show-log" "ovsdb-tool show-log $BIGDB" >&2
    [[ $(exit_codes "$j.check") == 0 ]] || die "ovn-ocf check $BIGDB did not exit 0 in every run"
    local k row rows="" c_med sha_med g_speed g_sha
    for k in check sha1 showlog read; do
        case $k in
        check) row='`ovn-ocf check FILE`' ;;
        sha1) row='reference: `openssl sha1 FILE` (SHA-1 alone)' ;;
        showlog) row='`ovsdb-tool show-log FILE` (output to /dev/null)' ;;
        read) row='reference: `dd if=FILE of=/dev/null bs=4M` (reading alone)' ;;
        esac
        rows+="| $row | $(fmt_s "$(hmed "$j.$k")") s | $(fmt_s "$(hstat "$j.$k" mean)" "$(hstat "$j.$k" stddev)") s | $(fmt_s "$(hstat "$j.$k" min)")–$(fmt_s "$(hstat "$j.$k" max)") s | $(gbps "$size" "$(hmed "$j.$k")") GB/s |"$'\n'
    done
    c_med=$(hmed "$j.check") sha_med=$(hmed "$j.sha1")
    g_speed=$(awk -v b="$size" -v c="$c_med" 'BEGIN { print (b / c >= 1e9 ? "met" : "NOT met") }')
    g_sha=$(awk -v s="$sha_med" -v c="$c_med" 'BEGIN { print (c <= s ? "met" : "NOT met") }')
    cat >>"$REPORT" <<EOF
## Verifying a ${SMALLDB_MIB} MiB database of small records

$(measured_at)

The database: $(awk -v b="$size" 'BEGIN { printf "%.0f MB (%.0f MiB)", b / 1e6, b / 1048576 }'), $records records of $(awk -v b="$size" -v n="$records" 'BEGIN { printf "%.0f", b / n }') bytes on average, header included
($txns transactions after the schema), written by Debian's ovsdb-server itself as above:
one \`Logical_Switch\` row, then one small transaction after another, each updating its
\`external_ids\` (a revision number and a short description), so each record is one diff;
up to 64 transactions in flight. Kept in \`target/bench/$(basename "$BIGDB")\`: $reused.
Here the per-record work (a header parse, a SHA-1 finalisation, about one 64-byte block
of padding per record) weighs as much as the bytes; \`openssl sha1\` hashes the file as
one message, the least SHA-1 work these bytes can cost on one thread.

| command (page cache warm) | median | mean ± σ | min–max | throughput (median) |
|---|---:|---:|---:|---:|
${rows}| ratio (\`openssl sha1\` / check) | $(ratio "$sha_med" "$c_med") | | | |
| ratio (show-log / check) | $(ratio "$(hmed "$j.showlog")" "$c_med") | | | |

Targets: \`ovn-ocf check\` at least 1 GB/s **$g_speed**; at least \`openssl sha1\`'s throughput on the
same file **$g_sha**. \`check\` reads 256 KiB at a time and scans the record headers on
one thread, into one of two buffers, while the records in the other are hashed in batches
of 1 MiB on $(nproc) threads (one per CPU, at most 4; the scanning thread joins in when its
batch is ready), the earliest damaged record winning. \`hyperfine -N\`: check, openssl and dd ${CHECK_RUNS} runs each after 1
warm-up, show-log ${SHOWLOG_RUNS} runs; every check run exited 0.

EOF
}


figure_start "$@"
section_repair
section_small
