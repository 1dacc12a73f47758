# Shared by contrib/try.sh and contrib/test.sh; sourced, not run.
# shellcheck shell=bash

# The unprivileged user that root hands the rootless work to.
BERTH_TEST_USER=${BERTH_TEST_USER:-berth-test}
# Each user gets this many subordinate ids: 65536 covers every uid an image
# commonly uses, nobody (65534) included.
BERTH_SUBID_COUNT=65536

step() { printf '==> %s\n' "$*" >&2; }
die() {
    printf '%s: %s\n' "$(basename "$0")" "$*" >&2
    exit 1
}

# first_free_subid FILE: the first id, at or above 200000 and aligned to the
# range size, that starts a range overlapping none of FILE's ranges. useradd
# allocates from 100000 up; staying above every existing range cannot collide.
first_free_subid() {
    local file=$1 start=200000
    if [[ -f $file ]]; then
        local end
        end=$(awk -F: 'NF >= 3 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { e = $2 + $3; if (e > m) m = e } END { print m + 0 }' "$file")
        ((end > start)) && start=$end
    fi
    # Round up to a whole range so the numbers read well in /etc/subuid.
    echo $(((start + BERTH_SUBID_COUNT - 1) / BERTH_SUBID_COUNT * BERTH_SUBID_COUNT))
}

# ensure_subids USER FILE: give USER a subordinate range in FILE unless it has one.
ensure_subids() {
    local user=$1 file=$2
    touch "$file"
    if grep -q "^${user}:" "$file"; then
        return
    fi
    local start
    start=$(first_free_subid "$file")
    echo "${user}:${start}:${BERTH_SUBID_COUNT}" >>"$file"
    step "gave $user the subordinate range $start-$((start + BERTH_SUBID_COUNT - 1)) in $file"
}

# ensure_test_user: create the unprivileged user root runs rootless work as,
# with a home directory and subordinate uid and gid ranges. Root only.
ensure_test_user() {
    local user=$BERTH_TEST_USER
    if ! getent passwd "$user" >/dev/null; then
        step "creating the unprivileged user $user"
        # useradd on Debian 12 may allocate subordinate ids itself; the
        # checks below keep whichever range it chose.
        useradd --create-home --user-group --shell /bin/bash "$user"
    fi
    ensure_subids "$user" /etc/subuid
    ensure_subids "$user" /etc/subgid
}

# as_test_user DIR COMMAND...: run COMMAND as the test user in DIR, a
# directory that user owns, with a clean login-like environment: its own
# HOME, no XDG_RUNTIME_DIR (berth must cope without a session, as under `su`
# or a system unit with User=), and no stdin. The caller's directory may be
# one the test user cannot enter (/root): runuser keeps it, and meson, for
# one, fails at start-up when it cannot chdir back to where it started.
as_test_user() {
    local dir=$1 user=$BERTH_TEST_USER home
    shift
    home=$(getent passwd "$user" | cut -d: -f6)
    (
        cd "$dir" || exit
        runuser -u "$user" -- env -i \
            HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" \
            ${BERTH_TEST_FILTER:+BERTH_TEST_FILTER="$BERTH_TEST_FILTER"} \
            ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
            ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
            ${CCACHE_DIR:+CCACHE_DIR="$CCACHE_DIR"} \
            ${CCACHE_BASEDIR+CCACHE_BASEDIR="$CCACHE_BASEDIR"} \
            ${CCACHE_NOHASHDIR:+CCACHE_NOHASHDIR="$CCACHE_NOHASHDIR"} \
            ${CCACHE_UMASK:+CCACHE_UMASK="$CCACHE_UMASK"} \
            "$@" </dev/null
    )
}

# BERTH_CCACHE_DIR: the compiler cache root shares with the test user, so
# that contrib/test.sh's build in its copy reuses what contrib/try.sh
# compiled in build/ (and a second run reuses the first).
BERTH_CCACHE_DIR=/var/cache/berth/ccache

# share_ccache: set ccache up so that two build directories of the same
# sources, in different places and as different users, share results. meson
# uses ccache by itself when it is installed, and names sources and include
# directories relative to the build directory, so two trees of one layout
# compile with the same command line. What must go is the working directory
# in the hash (hash_dir, for debug info, which may then name the other tree;
# tests never read it) and any base_dir: base_dir / would rewrite
# /usr/include relative to the build directory, which then differs with the
# tree's depth. As root, the cache is one directory the test user can
# write too (group-owned by that user's group, setgid, umask 002): a cache
# root set up for itself alone (such as a machine-wide cache_dir whose
# subdirectories are 0755) makes every compile of the test user's fail.
# An ordinary user keeps its own cache: both builds are its own.
share_ccache() {
    command -v ccache >/dev/null || return 0
    export CCACHE_BASEDIR='' CCACHE_NOHASHDIR=1
    [[ $(id -u) -eq 0 ]] || return 0
    getent group "$BERTH_TEST_USER" >/dev/null || die "share_ccache: no group $BERTH_TEST_USER"
    [[ -L $BERTH_CCACHE_DIR ]] && die "$BERTH_CCACHE_DIR is a symbolic link; remove it"
    mkdir -p "$BERTH_CCACHE_DIR"
    chown "root:$BERTH_TEST_USER" "$BERTH_CCACHE_DIR"
    chmod 2775 "$BERTH_CCACHE_DIR"
    # A cache copied from elsewhere, or from before the test user's group
    # had another id, would refuse the test user's writes: ccache then fails
    # the compile.
    if [[ -n $(find "$BERTH_CCACHE_DIR" ! -group "$BERTH_TEST_USER" -print -quit) ]]; then
        chgrp -R "$BERTH_TEST_USER" "$BERTH_CCACHE_DIR"
        chmod -R g+rwX "$BERTH_CCACHE_DIR"
        find "$BERTH_CCACHE_DIR" -type d -exec chmod g+s {} +
    fi
    export CCACHE_DIR=$BERTH_CCACHE_DIR CCACHE_UMASK=002
}

# user_workdir NAME: a directory under /var/tmp owned by the test user, named
# after the source tree so that two clones do not share it. /var/tmp is world
# traversable, unlike /root where CI may clone.
user_workdir() {
    local name=$1 src=$2 dir
    dir=/var/tmp/berth-$name-$(printf '%s' "$src" | sha256sum | cut -c1-8)
    # Refuse a planted link: root is about to chown what it points at.
    [[ -L $dir ]] && die "$dir is a symbolic link; remove it"
    mkdir -p "$dir"
    chown "$BERTH_TEST_USER:" "$dir"
    chmod 0755 "$dir"
    echo "$dir"
}
