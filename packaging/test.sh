#!/bin/bash
# The packaging test (`make package-test`, part of `make test`): the man pages render
# without warnings; the .deb passes lintian, installs with its dependencies, works from
# the installed files (crm_resource, pcs, man, --version) and purges without leftovers;
# the .rpm holds the binary, the agents and the man pages (it is not installed).
#   packaging/test.sh --deb FILE --rpm FILE --man-dir DIR
#
# Installing the .deb takes over the agent links of `make install` (same paths), so the
# test first removes that install (make uninstall) and always puts it back at its end
# (make install, in an EXIT trap). It refuses to run when an ovn-ocf package is installed
# already (it would purge someone else's), and while Pacemaker runs on this machine (a
# cluster would be running the agents it swaps). Ends with "packaging: N passed, M failed".
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
make_cmd=${MAKE:-make}
deb="" rpm="" man_dir=""
while [ $# -gt 0 ]; do
    case $1 in
        --deb) deb=$2; shift 2 ;;
        --rpm) rpm=$2; shift 2 ;;
        --man-dir) man_dir=$2; shift 2 ;;
        *) echo "usage: $0 --deb FILE --rpm FILE --man-dir DIR" >&2; exit 2 ;;
    esac
done
if [ -z "$deb" ] || [ -z "$rpm" ] || [ -z "$man_dir" ]; then
    echo "usage: $0 --deb FILE --rpm FILE --man-dir DIR" >&2
    exit 2
fi
deb=$(realpath "$deb") rpm=$(realpath "$rpm") man_dir=$(realpath "$man_dir")

version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
sbin=/usr/sbin/ovn-ocf
agent_dir=/usr/lib/ocf/resource.d/ovn-ocf
# Every file of either package lies under one of these (or is a directory above one).
allowed_prefixes=("$sbin" "$agent_dir/" /usr/share/man/man7/ocf_ovn-ocf_ /usr/share/man/man8/ovn-ocf.8
    /usr/share/doc/ovn-ocf/ /usr/share/doc/ovn-ocf- /usr/share/lintian/overrides/ovn-ocf
    /usr/share/licenses/ovn-ocf- /usr/lib/.build-id/)

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
skip() { skipped=$((skipped + 1)); echo "skip $*"; }
# expect WHAT OUTPUT_VAR_TEXT: pass if the last command succeeded, else fail with output.
result() {
    local rc=$1 what=$2 out=${3:-}
    if [ "$rc" -eq 0 ]; then
        pass "$what"
    else
        fail "$what"
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/     | /' | head -n 30
    fi
}
has_line() { grep -qxF -- "$2" <<<"$1"; }

summary() {
    local extra=""
    [ "$skipped" -gt 0 ] && extra=", $skipped skipped"
    echo "packaging: $passed passed, $failed failed$extra"
}

# Paths outside the allowed places (directories above them are fine).
outside_fhs() {
    local p a
    while IFS= read -r p; do
        p=${p#.}
        p=${p%/}
        [ -z "$p" ] && continue
        local ok=1
        for a in "${allowed_prefixes[@]}"; do
            case $a in
                "$p"/* | "$p") ok=0 ;; # a directory above an allowed path
            esac
            case $p in
                "$a"*) ok=0 ;;
            esac
        done
        [ "$ok" -eq 1 ] && echo "$p"
    done
    return 0
}

# ---------------------------------------------------------------- man pages (no install)
pages=$(find "$man_dir" -maxdepth 1 -type f -name '*.[78]' -printf '%f\n' | sort)
for want in ovn-ocf.8 ocf_ovn-ocf_ovsdb-server.7 ocf_ovn-ocf_ovn-northd.7; do
    has_line "$pages" "$want"
    result $? "man: $want generated"
done
for f in $pages; do
    out=$(groff -man -ww -z -Tutf8 "$man_dir/$f" 2>&1)
    [ -z "$out" ]
    result $? "man: groff -man -ww renders $f without warnings" "$out"
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man_dir/$f" 2>&1 >/dev/null)
    [ -z "$out" ]
    result $? "man: man --warnings -l $f is clean" "$out"
done

# ---------------------------------------------------------------- .deb (static checks)
deb_version=$(dpkg-deb -f "$deb" Version)
[ "${deb_version%-*}" = "$version" ]
result $? "deb: version $deb_version is Cargo.toml's $version"
depends=$(dpkg-deb -f "$deb" Depends)
missing=""
for d in ovn-central openvswitch-common pacemaker pacemaker-cli-utils resource-agents; do
    grep -qE "(^|, )$d( |,|$)" <<<"$depends" || missing="$missing $d"
done
[ -z "$missing" ]
result $? "deb: Depends has ovn-central, openvswitch-common, pacemaker, pacemaker-cli-utils, resource-agents" "Depends: $depends"
outside=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | outside_fhs)
[ -z "$outside" ]
result $? "deb: every file in /usr/sbin/ovn-ocf, $agent_dir, the man pages or the docs" "$outside"
if command -v lintian >/dev/null 2>&1; then
    out=$(lintian --fail-on error,warning "$deb" 2>&1 | grep -v '^running with root privileges')
    ! grep -q '^[EW]:' <<<"$out"
    result $? "deb: lintian reports no error or warning" "$out"
else
    skip "deb: lintian not installed (ocf-tests/deps.sh installs it)"
fi

# ---------------------------------------------------------------- .rpm (not installed)
rpm_version=$(rpm -qp --qf '%{VERSION}' "$rpm" 2>/dev/null)
[ "$rpm_version" = "$version" ]
result $? "rpm: version $rpm_version is Cargo.toml's $version"
rpm_files=$(rpm -qlp "$rpm" 2>/dev/null)
for want in "$sbin" "$agent_dir/ovsdb-server" "$agent_dir/ovn-northd"; do
    has_line "$rpm_files" "$want"
    result $? "rpm: lists $want" "$rpm_files"
done
for want in /usr/share/man/man8/ovn-ocf.8 /usr/share/man/man7/ocf_ovn-ocf_ovsdb-server.7 \
    /usr/share/man/man7/ocf_ovn-ocf_ovn-northd.7; do
    grep -qxE -- "$want(\.gz)?" <<<"$rpm_files"
    result $? "rpm: lists $want" "$rpm_files"
done
grep -qxE -- "/usr/share/licenses/ovn-ocf-$version/LICENSE" <<<"$rpm_files"
result $? "rpm: carries the Apache-2.0 LICENSE (%license)" "$rpm_files"
outside=$(outside_fhs <<<"$rpm_files")
[ -z "$outside" ]
result $? "rpm: every file in the expected places" "$outside"
rpm_requires=$(rpm -qpR "$rpm" 2>/dev/null)
missing=""
for r in /usr/sbin/ovsdb-server /usr/bin/ovsdb-tool /usr/bin/ovn-northd /usr/sbin/crm_node \
    /usr/sbin/crm_attribute /usr/sbin/attrd_updater /usr/sbin/stonith_admin resource-agents; do
    has_line "$rpm_requires" "$r" || missing="$missing $r"
done
[ -z "$missing" ]
result $? "rpm: Requires ovsdb-server, ovsdb-tool, ovn-northd, the Pacemaker tools, resource-agents" "missing:$missing"

# ---------------------------------------------------------------- install, use, purge
status=$(dpkg-query -W -f='${db:Status-Status}' ovn-ocf 2>/dev/null)
if [ -n "$status" ] && [ "$status" != "not-installed" ]; then
    fail "an ovn-ocf package is already installed here ($status, $(dpkg-query -W -f='${Version}' ovn-ocf)): this test installs and purges its own; remove that one first (dpkg --purge ovn-ocf) or run the test elsewhere"
    summary
    exit 1
fi
if pgrep -x pacemakerd >/dev/null || pgrep -x pacemaker-execd >/dev/null; then
    fail "Pacemaker runs on this machine (a namespace cluster? make demo-down / ocf-tests/cluster/cluster.sh down): the test would swap the agents under it"
    summary
    exit 1
fi

installed=0
log=$(mktemp)
cleanup() {
    local rc
    if [ "$installed" -eq 1 ]; then
        dpkg --purge ovn-ocf >>"$log" 2>&1
    fi
    # Back to what `make install` (run by `make test` first) left.
    "$make_cmd" -C "$root" install >>"$log" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && [ -L "$agent_dir/ovsdb-server" ] && [ -x "$(readlink -f "$agent_dir/ovsdb-server")" ]
    result $? "make install put the installed agents back" "$(tail -n 20 "$log")"
    rm -f "$log"
    summary
    [ "$failed" -eq 0 ]
}
trap 'cleanup; exit $?' EXIT
trap 'exit 130' INT TERM

"$make_cmd" -C "$root" uninstall >>"$log" 2>&1
result $? "make uninstall removed the make-install agents" "$(tail -n 20 "$log")"

installed=1
out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" 2>&1)
[ "$(dpkg-query -W -f='${db:Status-Status}' ovn-ocf 2>/dev/null)" = installed ]
result $? "apt-get install ./$(basename "$deb")" "$out"

out=$("$sbin" --version 2>&1)
[ "$out" = "ovn-ocf $version" ]
result $? "$sbin --version says ovn-ocf $version" "$out"
grep -qx 'License: Apache-2.0' /usr/share/doc/ovn-ocf/copyright
result $? "deb: /usr/share/doc/ovn-ocf/copyright says Apache-2.0" "$(cat /usr/share/doc/ovn-ocf/copyright 2>&1)"

agents=$("$sbin" agents | cut -f1)
[ -n "$agents" ]
result $? "$sbin agents lists the agents" "$agents"
for a in $agents; do
    [ -L "$agent_dir/$a" ] && [ "$(readlink -f "$agent_dir/$a")" = "$sbin" ]
    result $? "$agent_dir/$a is a link to $sbin" "$(ls -l "$agent_dir/$a" 2>&1)"
done

for a in ovsdb-server ovn-northd; do
    out=$(timeout 60 crm_resource --show-metadata "ocf:ovn-ocf:$a" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] && grep -qF "<resource-agent name=\"$a\" version=\"$version\"" <<<"$out"
    result $? "crm_resource --show-metadata ocf:ovn-ocf:$a" "$out"
done
for a in ovn-northd:nb_connection ovsdb-server:db_file; do
    out=$(timeout 60 pcs resource describe "ocf:ovn-ocf:${a%%:*}" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] && grep -qw "${a#*:}" <<<"$out"
    result $? "pcs resource describe ocf:ovn-ocf:${a%%:*} (mentions ${a#*:})" "$out"
done

for p in ocf_ovn-ocf_ovsdb-server:7:db_file ocf_ovn-ocf_ovn-northd:7:nb_connection ovn-ocf:8:repair; do
    page=${p%%:*} rest=${p#*:}
    section=${rest%%:*} word=${rest#*:}
    out=$(MANWIDTH=80 timeout 60 man -P cat "$section" "$page" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] && [ -n "$out" ] && grep -qw "$word" <<<"$out"
    result $? "man -P cat $section $page renders (mentions $word)" "$out"
    file=$(man -w "$section" "$page" 2>/dev/null)
    case $file in
        /usr/share/man/man"$section"/"$page"."$section"*)
            out=$(LC_ALL=C.UTF-8 man --warnings -l "$file" 2>&1 >/dev/null)
            [ -z "$out" ]
            result $? "man --warnings -l $file is clean" "$out"
            ;;
        *) fail "man -w $section $page finds the package's page (got: ${file:-nothing})" ;;
    esac
done

for d in README.md BENCHMARKS.md; do
    [ -f "/usr/share/doc/ovn-ocf/$d" ] || [ -f "/usr/share/doc/ovn-ocf/$d.gz" ]
    result $? "/usr/share/doc/ovn-ocf/$d(.gz) installed"
done

listed=$(dpkg -L ovn-ocf 2>/dev/null)
missing=""
while IFS= read -r p; do
    [ -e "$p" ] || [ -L "$p" ] || missing="$missing $p"
done <<<"$listed"
[ -n "$listed" ] && [ -z "$missing" ]
result $? "every path dpkg -L lists exists" "missing:$missing"

out=$(dpkg --purge ovn-ocf 2>&1)
rc=$?
installed=0
status=$(dpkg-query -W -f='${db:Status-Status}' ovn-ocf 2>/dev/null)
[ "$rc" -eq 0 ] && { [ -z "$status" ] || [ "$status" = not-installed ]; }
result $? "dpkg --purge ovn-ocf" "$out (status: ${status:-unknown to dpkg})"
left=""
while IFS= read -r p; do
    [ "$p" = "/." ] && continue
    if [ -e "$p" ] || [ -L "$p" ]; then
        # Shared directories stay when another package owns them too.
        if [ -d "$p" ] && [ ! -L "$p" ] && dpkg -S "$p" >/dev/null 2>&1; then
            continue
        fi
        left="$left $p"
    fi
done <<<"$listed"
[ -z "$left" ]
result $? "purge leaves nothing of the package behind" "left:$left"
