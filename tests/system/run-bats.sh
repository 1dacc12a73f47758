#!/bin/bash
# Run one bats file as a meson test: exit 77 (SKIP) with one "SKIP: why" line
# when the machine lacks what the file's "# requires:" line names, else bats'
# own status (0 all passed, 1 something failed).
#
#   run-bats.sh FILE.bats        (env: BERTH, FIXTURES, BERTH_SOURCE_ROOT)
#
# Requirement words:
#   unprivileged  not root (rootless is what is tested; contrib/test.sh runs
#                 the suite as an unprivileged user when started as root)
#   root          root (a file that makes users and groups and then drives
#                 berth as them; meson suite "root", which contrib/test.sh
#                 runs as root after the rootless suite)
#   subids        the user has /etc/subuid and /etc/subgid ranges, and setuid
#                 newuidmap/newgidmap to use them
#   userns        unprivileged user namespaces are allowed
#   fuse          /dev/fuse can be opened by this user (FUSE mounts in a
#                 user namespace need it)
#   TOOL          any other word is a program that must be on PATH
set -euo pipefail

file=$1
skip() {
    echo "SKIP: $(basename "$file"): $*"
    exit 77
}

if [[ -z ${BERTH:-} || ! -x $BERTH ]]; then
    echo "run-bats.sh: BERTH is not set to the built binary (run through meson test)" >&2
    exit 1
fi
command -v bats >/dev/null || skip "bats is not installed (apt-get install bats)"

# has_subids FILE: the current user (by name or number) has a range in FILE.
has_subids() {
    [[ -r $1 ]] && awk -F: -v u="$(id -un)" -v n="$(id -u)" \
        '($1 == u || $1 == n) && $3 > 0 { found = 1 } END { exit !found }' "$1"
}

requires=$(sed -n 's/^# requires:[[:space:]]*//p' "$file" | head -1)
for need in $requires; do
    case $need in
        unprivileged)
            [[ $(id -u) -ne 0 ]] ||
                skip "runs as an unprivileged user; as root use contrib/test.sh, which makes one"
            ;;
        root)
            [[ $(id -u) -eq 0 ]] ||
                skip "makes users and groups, so it runs as root (contrib/test.sh does that)"
            ;;
        subids)
            has_subids /etc/subuid || skip "$(id -un) has no range in /etc/subuid"
            has_subids /etc/subgid || skip "$(id -un) has no range in /etc/subgid"
            for helper in newuidmap newgidmap; do
                path=$(command -v "$helper") || skip "$helper is missing (apt-get install uidmap)"
                [[ -u $path ]] || getcap "$path" 2>/dev/null | grep -q cap_set ||
                    skip "$path is neither setuid nor has file capabilities"
            done
            ;;
        userns)
            if [[ $(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1) == 0 ]]; then
                skip "user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)"
            fi
            unshare --user --map-root-user true 2>/dev/null ||
                skip "this user cannot create a user namespace (sysctl or AppArmor restriction)"
            ;;
        fuse)
            [[ -c /dev/fuse ]] || skip "/dev/fuse does not exist (modprobe fuse)"
            (exec 3<>/dev/fuse) 2>/dev/null ||
                skip "/dev/fuse is not readable and writable by $(id -un) ($(stat -c '%A %U:%G' /dev/fuse); Debian's default is crw-rw-rw-)"
            ;;
        *)
            command -v "$need" >/dev/null || skip "$need is not installed"
            ;;
    esac
done

exec bats --tap "$file"
