#!/bin/bash
# PID 1 of one namespace node of the test cluster (see cluster.sh).
#
# Started by the power switch as
#   nsenter --net=/run/netns/ID-NODE -- unshare --mount --uts --ipc --pid --fork
#       --mount-proc --propagation private node-init.sh NODE RUN
# so it owns a fresh PID, mount, UTS and IPC namespace inside the node's netns. It gives the
# node its private view of the machine (a node's "disks" are per-node directories under
# RUN/NODE, bind-mounted; its RAM is tmpfs on /run, /tmp, /dev/shm; its /dev holds only
# its own loop device as its LUN), starts corosync and pacemakerd, then reaps orphans
# forever. Power off = SIGKILL of this process: the kernel kills every process of the
# node, and its mounts (the shared LUN included) go with its mount namespace.
#
# It never touches anything outside its own namespaces: every mount below happens in the
# node's private mount namespace.
set -eu

NODE=$1
RUN=$2
D=$RUN/$NODE
LUN=$(cat "$D/lun")          # the host's loop device that is this node's view of the LUN

SAY="$NODE init"
# shellcheck source-path=SCRIPTDIR source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"   # say (to the node's console.log)
say "booting (lun $LUN)"

hostname "$NODE"

# The named netns of every node are bind mounts under /run/netns in the mount namespace we
# copied: drop our copies, or they keep other nodes' network namespaces alive.
awk '$5 ~ "^/run/netns(/|$)" { print $5 }' /proc/self/mountinfo | sort -ru |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done

# RAM: private /run (corosync.pid, /run/crm, ovn sockets), /tmp.
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /run/lock /run/ovn /run/crm /run/resource-agents
chown hacluster:haclient /run/crm
chmod 0750 /run/crm
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp

# A private /dev: the usual character devices, a fresh /dev/shm (libqb ring buffers are
# named after PIDs, which repeat across PID namespaces), and this node's loop device under
# stable names, udev-free: /dev/ovn-lun and /dev/disk/by-id/LUN (README's device path).
newdev=/run/.dev
mkdir "$newdev"
mount -t tmpfs -o mode=0755,nosuid tmpfs "$newdev"
# Device nodes are made with mknod, not bind-mounted: ocf:heartbeat:Filesystem's stop
# unmounts every mount whose /proc/mounts line merely contains the device name (its
# list_bindmounts), so a bind mount on /dev/loopN would be unmounted with the LUN.
for n in null zero full random urandom tty "${LUN#/dev/}"; do
    read -r type major minor mode < <(stat -c '%F %t %T %a' "/dev/$n" |
        sed 's/^character special file/c/; s/^block special file/b/')
    mknod -m "$mode" "$newdev/$n" "$type" $((16#$major)) $((16#$minor))
done
mkdir -p "$newdev/pts" "$newdev/shm" "$newdev/disk/by-id"
mount --bind /dev/pts "$newdev/pts"
ln -s pts/ptmx "$newdev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$newdev/shm"
ln -s /proc/self/fd "$newdev/fd"
ln -s /proc/self/fd/0 "$newdev/stdin"
ln -s /proc/self/fd/1 "$newdev/stdout"
ln -s /proc/self/fd/2 "$newdev/stderr"
ln -s "$LUN" "$newdev/ovn-lun"
ln -s "../../${LUN#/dev/}" "$newdev/disk/by-id/LUN"
mount --move "$newdev" /dev
rmdir "$newdev"

# Disks: per-node directories that survive a power cycle.
bind() { mount --bind "$D/$1" "$2"; }
bind etc-corosync /etc/corosync
bind var-lib-corosync /var/lib/corosync
bind var-lib-pacemaker /var/lib/pacemaker
bind var-log-pacemaker /var/log/pacemaker
bind var-log-corosync /var/log/corosync
bind var-lib-ovn /var/lib/ovn
bind var-log-ovn /var/log/ovn
bind etc-ovn /etc/ovn
bind srv /srv
mount --bind "$RUN/hosts" /etc/hosts

# Software: the fence agent (fence agents must be /usr/sbin/fence_*: the path is compiled
# into Pacemaker) and the ovn-ocf binary and agents under test, over the host's copies.
mount -t overlay overlay -o "lowerdir=$RUN/sbin:/usr/sbin" /usr/sbin
mount -t overlay overlay -o "lowerdir=$RUN/local-sbin:/usr/local/sbin" /usr/local/sbin
mount -t overlay overlay -o "lowerdir=$RUN/resource.d:/usr/lib/ocf/resource.d" /usr/lib/ocf/resource.d

cd /
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8

say "starting corosync"
corosync -f &
for _ in $(seq 100); do
    corosync-cfgtool -s >/dev/null 2>&1 && break
    sleep 0.1
done
corosync-cfgtool -s >/dev/null 2>&1 || say "corosync did not answer within 10 s"

say "starting pacemakerd"
PCMK_logfacility=none pacemakerd -f &

# PID 1: reap every orphan until the power goes off.
trap '' TERM INT HUP
while :; do
    sleep 3600 &
    wait $! 2>/dev/null || true
done
