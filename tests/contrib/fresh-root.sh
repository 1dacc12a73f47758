#!/bin/bash
# The README's two commands as a new user runs them: in a fresh Debian root
# filesystem (debootstrap, minbase variant) with the project copied to
# /root/project, as root, from /root/project. Prints TAP; takes about an hour,
# so it runs only when asked: bash contrib/test.sh --suite fresh.
#
#   fresh-root.sh        (env: BERTH_SOURCE_ROOT, BERTH_FRESH_TEST=1)
#
# The root filesystem is entered with a new mount and pid namespace and
# pivot_root, not chroot: a chrooted process may not create user namespaces,
# which is all berth does. bwrap is no way in either: it sets no_new_privs,
# under which the setuid newuidmap cannot map the subordinate ids.
#
# debootstrap's result is cached in /var/cache/berth-fresh/ (fetched from the
# mirror apt is configured with); every run starts from a copy of it, and
# leaves the two commands' output in /var/cache/berth-fresh/last/.
# BERTH_FRESH_CCACHE: see below.
set -euo pipefail

skip() {
    echo "SKIP: fresh-root: $*"
    exit 77
}

# enter ROOT COMMAND...: run COMMAND as root in ROOT, which becomes "/".
# Called through unshare: this process is pid 1 of a new pid namespace, in
# a mount namespace of its own whose mounts all vanish with it.
enter() {
    local root=$1
    shift
    # pivot_root needs the new root to be a mount point.
    mount --bind "$root" "$root"
    # proc of the new pid namespace: the root sees only its own processes.
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    # The host's devices: /dev/fuse, /dev/net/tun, /dev/pts for the tests.
    mount --rbind /dev "$root/dev"
    # An empty /run, as at boot: no systemd is running there, so package
    # scripts do not try to start services.
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    mkdir -p "$root/.host"
    cd "$root"
    pivot_root . .host
    cd /
    umount -l /.host
    rmdir /.host
    exec env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM=dumb "$@" </dev/null
}

if [[ ${1:-} == --enter ]]; then
    shift
    enter "$@"
fi

[[ ${BERTH_FRESH_TEST:-} == 1 ]] || skip "runs only when asked: bash contrib/test.sh --suite fresh"
[[ $(id -u) -eq 0 ]] || skip "needs root (debootstrap, mount namespaces, pivot_root)"
for tool in debootstrap unshare pivot_root rsync apt-get; do
    command -v "$tool" >/dev/null || skip "needs $tool (bash contrib/install-deps.sh fresh)"
done
src=${BERTH_SOURCE_ROOT:?BERTH_SOURCE_ROOT is not set (run through meson test)}

cache=/var/cache/berth-fresh
# shellcheck source=/dev/null
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[[ -n $codename ]] || skip "cannot tell the Debian release from /etc/os-release"
# The mirror apt already uses for this release's main component. (The
# $(...) are apt's field names, not the shell's.)
# shellcheck disable=SC2016
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(IDENTIFIER)' |
    awk -v r="$codename" '$2 == r && $3 == "main" && $4 == "Packages" { print $1; exit }')
[[ -n $mirror ]] || skip "apt has no source for $codename main to debootstrap from"

[[ -L $cache ]] && { echo "Bail out! $cache is a symbolic link"; exit 1; }
mkdir -p "$cache"
chmod 0700 "$cache"
exec 9>"$cache/.lock"
flock 9
base=$cache/$codename-minbase
if [[ ! -d $base ]]; then
    echo "# debootstrap --variant=minbase $codename from $mirror into $base"
    rm -rf "$base.tmp"
    if ! debootstrap --variant=minbase "$codename" "$base.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
        sed 's/^/# /' "$cache/debootstrap.log" | tail -n 20
        echo "Bail out! debootstrap failed (log: $cache/debootstrap.log)"
        exit 1
    fi
    mv "$base.tmp" "$base"
fi

run=$(mktemp -d /var/tmp/berth-fresh.XXXXXX)
trap 'rm -rf "$run"' EXIT
root=$run/root
cp -a "$base" "$root"
# What a machine has that debootstrap does not set up: a resolver (the host's
# network is shared) and localhost.
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# The project as a new user has it: no build directories.
mkdir -p "$root/root/project"
rsync -a --chown=root:root --exclude='/build*/' --exclude=/.git/ --exclude=/results/ \
    "$src/" "$root/root/project/"
# BERTH_FRESH_CCACHE=DIR: start the root's compiler cache (where
# contrib/try.sh and contrib/test.sh put it) as a copy of DIR, to measure
# everything but the compiler; unset, the root compiles all as a new
# machine does.
if [[ -n ${BERTH_FRESH_CCACHE:-} ]]; then
    echo "# the root's compiler cache starts as a copy of $BERTH_FRESH_CCACHE"
    mkdir -p "$root/var/cache/berth"
    cp -a "$BERTH_FRESH_CCACHE" "$root/var/cache/berth/ccache"
fi
last=$cache/last
rm -rf "$last"
mkdir -p "$last"

echo "1..2"

# in_root LOG COMMAND: run the shell COMMAND as root in the fresh root from
# /root/project; its output goes to LOG. Prints the seconds it took.
in_root() {
    local log=$1 cmd=$2 start rc=0
    start=$(date +%s)
    unshare --mount --pid --fork --propagation private \
        bash "$0" --enter "$root" bash -c "cd /root/project && $cmd" >"$log" 2>&1 || rc=$?
    echo "# '$cmd' took $(($(date +%s) - start)) s and exited with status $rc"
    return "$rc"
}

# show_tail LOG: the end of a log, as TAP comments.
show_tail() {
    echo "# last lines of $1:"
    tail -n 30 "$1" | sed 's/^/#   /'
}

failed=0
rc=0
in_root "$last/try.log" "bash contrib/try.sh" || rc=$?
if ((rc == 0)) && grep -qx 'hello from berth' "$last/try.log"; then
    echo "ok 1 - bash contrib/try.sh as root from /root/project runs the demo container"
else
    show_tail "$last/try.log"
    failed=1
    echo "not ok 1 - bash contrib/try.sh as root from /root/project runs the demo container"
fi

rc=0
in_root "$last/test.log" "bash contrib/test.sh" || rc=$?
summary=$(tail -n 1 "$last/test.log")
echo "# its last line: $summary"
grep -E '^The run took ' "$last/test.log" | sed 's/^/# /' || true
# The summary counts the rootless suite's cases: one of its rows shows them.
if ((rc == 0)) && [[ $summary =~ ^[0-9]+\ passed,\ 0\ failed,\ [0-9]+\ skipped$ ]] &&
    grep -Eq '^  OK +berth:system / run +[1-9][0-9]* passed +0 failed' "$last/test.log"; then
    echo "ok 2 - bash contrib/test.sh as root from /root/project passes, rootless suite included"
else
    show_tail "$last/test.log"
    echo "not ok 2 - bash contrib/test.sh as root from /root/project passes, rootless suite included"
    failed=1
fi
exit "$failed"
