#!/usr/bin/env bats
# The shared system store (issue 6): the group matrix. As root, this file
# makes three unprivileged users with subordinate ids -- one in group berth,
# one in berth and berth-admin, one in neither -- runs `berth system setup`,
# and then, as each user, fetches into the system store, runs from it,
# changes the system's trusted keys and meets a blob another member changed.
# Exactly the allowed operations succeed.
#
# Everything lives under one directory made here: BERTH_TEST_SYSROOT moves
# /var/lib/berth and /etc/berth beneath it, so a real installation is never
# touched. The groups berth and berth-admin are real; they are removed at the
# end if this file created them. contrib/test.sh runs this file as root after
# the rootless suite (meson suite "root").
# requires: root userns newuidmap newgidmap useradd usermod userdel groupdel runuser gpg python3 skopeo actool
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run
# shellcheck disable=SC2016 # the inner shells expand $1 and $2

load helpers

MEMBER=berthsys-member
ADMIN=berthsys-admin
# A second admin: what one admin trusts, the others must be able to change.
ADMIN2=berthsys-admin2
OUTSIDER=berthsys-none
USERS=("$MEMBER" "$ADMIN" "$ADMIN2" "$OUTSIDER")

setup_file() {
    # World-traversable, unlike bats' own temporary directories: the test
    # users read the image and the key from here and keep their homes here.
    WORK=$(mktemp -d /tmp/berth-system-store-XXXXXX)
    chmod 0755 "$WORK"
    export WORK
    export BERTH_TEST_SYSROOT=$WORK/sysroot
    SYSTEM_STORE=$BERTH_TEST_SYSROOT/var/lib/berth
    SYSTEM_CONFIG=$BERTH_TEST_SYSROOT/etc/berth
    export SYSTEM_STORE SYSTEM_CONFIG

    # Remembered so that teardown removes only what this file made.
    local g
    : >"$WORK/created-groups"
    for g in berth berth-admin; do
        getent group "$g" >/dev/null || echo "$g" >>"$WORK/created-groups"
    done
    for g in "${USERS[@]}"; do
        ! getent passwd "$g" >/dev/null || {
            echo "user $g exists already (left by an earlier run?); remove it with userdel" >&3
            return 1
        }
    done

    # The image, built here as root so that nothing in the (unprivileged)
    # build directory ends up owned by root.
    bash "$BERTH_SOURCE_ROOT/tests/fixtures/make-busybox-images.sh" "$WORK/fixtures" >&3 2>&1
    IMAGE_DIR=$WORK/fixtures/oci-gzip
    # The key an admin trusts, made here too.
    sh "$BERTH_SOURCE_ROOT/tests/fixtures/keys/keys.sh" make "$WORK/keys" >&3 2>&1
    chmod -R a+rX "$WORK/fixtures" "$WORK/keys"/*.asc "$WORK/keys"/*.fpr
    export IMAGE_DIR

    # shellcheck source=contrib/lib.sh
    source "$BERTH_SOURCE_ROOT/contrib/lib.sh"
    local u start
    for u in "${USERS[@]}"; do
        useradd --user-group --no-create-home --home-dir "$WORK/home/$u" --shell /bin/sh "$u"
        install -d -m 0700 -o "$u" -g "$u" "$WORK/home/$u"
        start=$(first_free_subid /etc/subuid)
        usermod --add-subuids "$start-$((start + BERTH_SUBID_COUNT - 1))" "$u"
        start=$(first_free_subid /etc/subgid)
        usermod --add-subgids "$start-$((start + BERTH_SUBID_COUNT - 1))" "$u"
    done
    # Root needs no group for setup; the users join the groups it made.
    "$BERTH" system setup >&3
    usermod -aG berth "$MEMBER"
    usermod -aG berth,berth-admin "$ADMIN"
    usermod -aG berth,berth-admin "$ADMIN2"
    runuser -u "$MEMBER" -- test -x "$BERTH" || {
        echo "the test users cannot execute $BERTH: make its build directory readable by all" >&3
        return 1
    }
}

teardown_file() {
    local u g
    for u in "${USERS[@]}"; do
        getent passwd "$u" >/dev/null || continue
        # Runtime state of the users' runs.
        rm -rf "/tmp/berth-$(id -u "$u")"
        userdel "$u" 2>/dev/null || true
        # userdel keeps the subordinate ranges on some versions.
        sed -i "/^$u:/d" /etc/subuid /etc/subgid
    done
    if [[ -f $WORK/created-groups ]]; then
        while read -r g; do
            groupdel "$g" 2>/dev/null || true
        done <"$WORK/created-groups"
    fi
    [[ -d $WORK/keys ]] && sh "$BERTH_SOURCE_ROOT/tests/fixtures/keys/keys.sh" stop "$WORK/keys"
    # Root removes the trees the users rendered with their subordinate ids.
    rm -rf "$WORK"
}

setup() { :; }
teardown() { :; }

# as USER [-N] ARGS...: run berth as USER with a login-like environment and
# no session (as under su), stdout in $output, stderr in $stderr. -N asserts
# the exit status.
as() {
    local user=$1 expect=
    shift
    if [[ ${1:-} =~ ^-[0-9]+$ ]]; then
        expect=$1
        shift
    fi
    run --separate-stderr runuser -u "$user" -- env -i HOME="$WORK/home/$user" USER="$user" \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin BERTH_TEST_SYSROOT="$BERTH_TEST_SYSROOT" \
        "$BERTH" "$@"
    echo "\$ ($user) berth $*"
    echo "  exit status: $status"
    [[ -n $output ]] && printf '  stdout: %s\n' "${lines[@]}"
    [[ -n $stderr ]] && printf '  stderr: %s\n' "${stderr_lines[@]}"
    if [[ -n $expect ]]; then
        assert_status "${expect#-}"
    fi
}

mode_of() { stat -c '%a %U:%G' "$1"; }

# last_error_line PATTERN: berth failed with its one line last on stderr
# (trust prints the key it reviewed before that).
last_error_line() {
    local last
    last=$(printf '%s\n' "$stderr" | sed '/^[[:space:]]*$/d' | tail -1)
    [[ $last == "berth: "* ]] || fail "the last line on stderr is not berth's error: $last"
    grep -Eq -- "$1" <<<"$last" || fail "stderr's last line does not match /$1/: $last"
}

# fetch_as USER: fetch the image into the system store, set IMAGE_ID.
fetch_as() {
    as "$1" -0 --store=system --insecure-options=image fetch "oci:$IMAGE_DIR"
    IMAGE_ID=$(printf '%s\n' "$output" | sed '/^[[:space:]]*$/d' | tail -1)
    assert_image_id "$IMAGE_ID"
}

# own_trees USER: drop USER's rendered trees, so that the next run renders
# from the shared blobs again.
own_trees() { echo "$WORK/home/$1/.local/share/berth/system/trees"; }

@test "setup made the groups, the directories and their modes" {
    getent group berth >/dev/null
    getent group berth-admin >/dev/null
    [[ $(mode_of "$SYSTEM_STORE") == "2750 root:berth" ]] || fail "$(mode_of "$SYSTEM_STORE")"
    local d
    for d in blobs/sha256 blobs/sha512 tmp index; do
        [[ $(mode_of "$SYSTEM_STORE/$d") == "3770 root:berth" ]] ||
            fail "$d: $(mode_of "$SYSTEM_STORE/$d")"
    done
    for d in index/index.db index/index.db-wal index/index.db-shm lock; do
        [[ $(mode_of "$SYSTEM_STORE/$d") == "660 root:berth" ]] ||
            fail "$d: $(mode_of "$SYSTEM_STORE/$d")"
    done
    for d in "" /trustedkeys /trustedkeys/root.d /trustedkeys/prefix.d; do
        [[ $(mode_of "$SYSTEM_CONFIG$d") == "2775 root:berth-admin" ]] ||
            fail "$d: $(mode_of "$SYSTEM_CONFIG$d")"
    done
}

@test "setup is idempotent, repairs modes and owners, and needs root" {
    run --separate-stderr "$BERTH" system setup
    assert_status 0
    assert_contains "$output" "nothing changed"

    chmod g-s,-t,o+rwx "$SYSTEM_STORE/tmp"
    chown "$OUTSIDER" "$SYSTEM_STORE/lock"
    run --separate-stderr "$BERTH" system setup
    echo "$output"
    assert_status 0
    assert_contains "$output" "mode of $SYSTEM_STORE/tmp: 0777 -> 3770"
    assert_contains "$output" "owner of $SYSTEM_STORE/lock: $OUTSIDER:berth -> root:berth"
    [[ $(mode_of "$SYSTEM_STORE/tmp") == "3770 root:berth" ]]
    [[ $(mode_of "$SYSTEM_STORE/lock") == "660 root:berth" ]]

    as "$MEMBER" -125 system setup
    assert_one_line_error "needs root"
}

@test "a member fetches into the system store and another member runs it" {
    fetch_as "$MEMBER"
    # The blob is the member's, read-only, in the store's group.
    local blob
    blob=$(find "$SYSTEM_STORE/blobs/sha256" -type f -size +100k | head -1)
    [[ -n $blob ]] || fail "no layer blob in $SYSTEM_STORE/blobs/sha256"
    [[ $(mode_of "$blob") == "444 $MEMBER:berth" ]] || fail "$blob: $(mode_of "$blob")"

    as "$ADMIN" -0 --store=system image list
    assert_contains "$output" "$(short_hex "$IMAGE_ID")"
    as "$ADMIN" -0 --store=system --insecure-options=image run "$IMAGE_ID" echo hello from the system store
    assert_contains "$output" "hello from the system store"
    as "$MEMBER" -0 --store=system --insecure-options=image run "$IMAGE_ID" echo member runs too
    assert_contains "$output" "member runs too"

    # Fetching what is there already succeeds for the other member as well.
    fetch_as "$ADMIN"

    # Trees and pods are each user's own, never in the shared store.
    [[ ! -e $SYSTEM_STORE/trees && ! -e $SYSTEM_STORE/pods ]] ||
        fail "the shared store holds trees or pods: $(ls "$SYSTEM_STORE")"
    local u
    for u in "$MEMBER" "$ADMIN"; do
        [[ -n $(ls -A "$(own_trees "$u")") ]] || fail "$u has no trees of their own"
    done
    # The configured default: BERTH_STORE=system without --store.
    run --separate-stderr runuser -u "$MEMBER" -- env -i HOME="$WORK/home/$MEMBER" \
        PATH=/usr/bin:/bin BERTH_TEST_SYSROOT="$BERTH_TEST_SYSROOT" BERTH_STORE=system \
        "$BERTH" image list
    assert_status 0
    assert_contains "$output" "$(short_hex "$IMAGE_ID")"
}

@test "an image another member stored unsigned runs only with the runner's own consent" {
    fetch_as "$MEMBER"
    # The member chose --insecure-options=image when fetching; the admin did
    # not, and the shared index is only the member's word for it.
    as "$ADMIN" -125 --store=system run "$IMAGE_ID" true
    assert_one_line_error "without a verified signature.*--insecure-options=image"
    as "$ADMIN" -0 --store=system --insecure-options=image run "$IMAGE_ID" echo consented
    assert_contains "$output" "consented"
}

@test "a user outside the groups gets one line naming the group to join" {
    as "$OUTSIDER" -125 --store=system --insecure-options=image fetch "oci:$IMAGE_DIR"
    assert_one_line_error "join group 'berth' \\(sudo usermod -aG berth $OUTSIDER\\)"
    as "$OUTSIDER" -125 --store=system --insecure-options=image run busybox true
    assert_one_line_error "join group 'berth'"
    as "$OUTSIDER" -125 --store=system image list
    assert_one_line_error "join group 'berth'"
    # The user's own store still works.
    as "$OUTSIDER" -0 --insecure-options=image fetch "oci:$IMAGE_DIR"
}

@test "only a member of berth-admin changes the system's trusted keys" {
    local fpr keys=$SYSTEM_CONFIG/trustedkeys/prefix.d
    fpr=$(cat "$WORK/keys/good.fpr")
    as "$ADMIN" -0 trust --system --prefix example.com/sys --skip-fingerprint-review \
        "$WORK/keys/good.asc"
    [[ -s $keys/example.com%2Fsys/$fpr ]] || fail "no key in $keys: $(find "$keys")"
    [[ $(stat -c %G "$keys/example.com%2Fsys/$fpr") == berth-admin ]]

    local u
    for u in "$MEMBER" "$OUTSIDER"; do
        as "$u" -125 trust --system --prefix example.com/other --skip-fingerprint-review \
            "$WORK/keys/other.asc"
        last_error_line "join group 'berth-admin' \\(sudo usermod -aG berth-admin $u\\)"
        [[ ! -e $keys/example.com%2Fother ]] || fail "$u wrote $keys/example.com%2Fother"
        as "$u" -125 trust rm --system "$fpr"
        assert_one_line_error "join group 'berth-admin'"
        [[ -s $keys/example.com%2Fsys/$fpr ]] || fail "$u removed the admin's key"
        # Everyone reads the system's keys.
        as "$u" -0 trust list
        assert_contains "$output" "$fpr"
    done
    as "$ADMIN" -0 trust rm --system "$fpr"
    [[ ! -e $keys/example.com%2Fsys/$fpr ]]
}

@test "admins share the keys of a prefix whoever trusted first; a member of berth only cannot" {
    local dir=$SYSTEM_CONFIG/trustedkeys/prefix.d/example.com%2Fshared good other
    good=$(cat "$WORK/keys/good.fpr")
    other=$(cat "$WORK/keys/other.fpr")
    # A private umask must not lock the other admins out of what this one
    # creates (the runs below inherit it through runuser).
    umask 077
    as "$ADMIN" -0 trust --system --prefix example.com/shared --skip-fingerprint-review \
        "$WORK/keys/good.asc"
    [[ $(mode_of "$dir") == "2775 $ADMIN:berth-admin" ]] || fail "$dir: $(mode_of "$dir")"
    [[ $(mode_of "$dir/$good") == "664 $ADMIN:berth-admin" ]] ||
        fail "$dir/$good: $(mode_of "$dir/$good")"

    as "$ADMIN2" -0 trust --system --prefix example.com/shared --skip-fingerprint-review \
        "$WORK/keys/other.asc"
    [[ -s $dir/$other ]] || fail "no key $other in $dir: $(ls -la "$dir")"

    as "$MEMBER" -125 trust rm --system "$good"
    assert_one_line_error "join group 'berth-admin' \\(sudo usermod -aG berth-admin $MEMBER\\)"
    as "$MEMBER" -125 trust --system --prefix example.com/shared --skip-fingerprint-review \
        "$WORK/keys/other.asc"
    last_error_line "join group 'berth-admin'"
    [[ -s $dir/$good && -s $dir/$other ]] || fail "the member changed $dir: $(ls -la "$dir")"
    [[ $(find "$dir" -mindepth 1 | wc -l) -eq 2 ]] || fail "the member left a file: $(ls -la "$dir")"

    as "$ADMIN2" -0 trust rm --system "$good"
    [[ ! -e $dir/$good ]] || fail "$ADMIN2 could not remove $ADMIN's key"
    as "$ADMIN" -0 trust rm --system "$other"
    [[ ! -e $dir/$other ]] || fail "$ADMIN could not remove $ADMIN2's key"
}

# own_tree_dirs USER: the trees USER has rendered (lock files aside).
own_tree_dirs() {
    find "$(own_trees "$1")" -mindepth 1 -maxdepth 1 -type d 2>/dev/null
}

@test "a changed config is refused, even where the trees are cached" {
    fetch_as "$MEMBER"
    as "$ADMIN" -0 --store=system --insecure-options=image run "$IMAGE_ID" true
    local config=
    for f in "$SYSTEM_STORE"/blobs/sha256/*; do
        if [[ $(stat -c %s "$f") -lt 65536 ]] && jq -e .rootfs "$f" >/dev/null 2>&1; then
            config=$f
            break
        fi
    done
    [[ -n $config ]] || fail "no image config among the blobs"
    printf ' ' >>"$config"
    as "$ADMIN" -125 --store=system --insecure-options=image run "$IMAGE_ID" true
    assert_one_line_error "blob sha256:$(basename "$config") in the system store .* was modified after it was stored"
    truncate -s -1 "$config"
    as "$ADMIN" -0 --store=system --insecure-options=image run "$IMAGE_ID" true
}

@test "a layer changed by the member who stored it is refused by everyone" {
    fetch_as "$MEMBER"
    local blob
    blob=$(find "$SYSTEM_STORE/blobs/sha256" -type f -size +100k | head -1)
    [[ -n $blob ]] || fail "no layer blob"
    # Another member can neither write the blob nor replace it (sticky).
    run runuser -u "$ADMIN" -- sh -c 'printf x >>"$1"' sh "$blob"
    assert_status '!'
    run runuser -u "$ADMIN" -- sh -c ': >"$2/empty" && mv -f "$2/empty" "$1"' sh "$blob" \
        "$WORK/home/$ADMIN"
    assert_status '!'
    # Its owner can: it is their file.
    run runuser -u "$MEMBER" -- sh -c 'chmod u+w "$1" && printf x >>"$1"' sh "$blob"
    assert_status 0

    local u
    for u in "$MEMBER" "$ADMIN"; do
        rm -rf "$(own_trees "$u")"
        as "$u" -125 --store=system --insecure-options=image run "$IMAGE_ID" true
        assert_one_line_error "blob sha256:$(basename "$blob") in the system store .* was modified after it was stored"
        [[ -z $(own_tree_dirs "$u") ]] || fail "$u kept a tree: $(own_tree_dirs "$u")"
    done
    as "$OUTSIDER" -125 --store=system --insecure-options=image run "$IMAGE_ID" true
    assert_one_line_error "join group 'berth'"
}
