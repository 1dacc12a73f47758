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

# as_test_user COMMAND...: run COMMAND as the test user with a clean login-like
# environment: its own HOME, no XDG_RUNTIME_DIR (berth must cope without a
# session, as under `su` or a system unit with User=), and no stdin.
as_test_user() {
    local user=$BERTH_TEST_USER home
    home=$(getent passwd "$user" | cut -d: -f6)
    runuser -u "$user" -- env -i \
        HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" \
        ${BERTH_TEST_FILTER:+BERTH_TEST_FILTER="$BERTH_TEST_FILTER"} \
        "$@" </dev/null
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
