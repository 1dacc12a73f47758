#!/usr/bin/env bats
# The front and the engine (README, "Two programs"): who runs a warm pod for
# whom. A statically linked front asks only /etc/passwd about users, so a
# caller known only to another user database (LDAP, SSSD) must be handed to
# the engine, which asks them all. As root, this file runs berth as a uid
# that no /etc/passwd line names, which is how such a caller looks to the
# front, and as `nobody`, which /etc/passwd names.
# requires: root userns setpriv readelf
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run
# shellcheck disable=SC2016 # the container's shell expands $(id -u)

load helpers

setup_file() {
    # World-traversable: the callers below read the image from here.
    WORK=$(mktemp -d /tmp/berth-front-XXXXXX)
    chmod 0755 "$WORK"
    bash "$BERTH_SOURCE_ROOT/tests/fixtures/make-busybox-images.sh" "$WORK/fixtures" >&3 2>&1
    chmod -R a+rX "$WORK/fixtures"
    local uid=4200
    while getent passwd "$uid" >/dev/null && ((uid < 4300)); do uid=$((uid + 1)); done
    getent passwd "$uid" >/dev/null && {
        echo "no free uid in 4200-4299 for a caller without a passwd entry" >&3
        return 1
    }
    export WORK UNLISTED_UID=$uid
}

teardown_file() {
    [[ -n ${WORK:-} ]] && rm -rf "$WORK"
}

setup() {
    :
}

teardown() {
    :
}

# as_caller UID GID ARGS...: berth as that uid, in a home, store and runtime
# directory of its own under $WORK.
as_caller() {
    local uid=$1 gid=$2
    shift 2
    local home=$WORK/home-$uid
    install -d -m 0700 -o "$uid" -g "$gid" "$home" "$home/run"
    run --separate-stderr setpriv --reuid="$uid" --regid="$gid" --clear-groups \
        env -i PATH="$PATH" HOME="$home" XDG_RUNTIME_DIR="$home/run" \
        "$BERTH" --root "$home/store" "$@"
}

front_is_static() {
    ! readelf -d "$BERTH" | grep -q NEEDED
}

# warm_run_as UID GID: imports the image as that caller and runs it once
# (the first run renders, the engine's work anyway; its stderr is kept in
# FIRST_STDERR); then a warm run with --debug, whose status, output and
# stderr the test checks.
warm_run_as() {
    local uid=$1 gid=$2
    as_caller "$uid" "$gid" --insecure-options=image fetch "oci:$WORK/fixtures/oci-gzip"
    [[ $status -eq 0 ]] || fail "import as uid $uid failed: $stderr"
    as_caller "$uid" "$gid" run --rm --net=none localhost/oci-gzip true
    [[ $status -eq 0 ]] || fail "first run as uid $uid failed: $stderr"
    FIRST_STDERR=$stderr
    as_caller "$uid" "$gid" --debug run --rm --net=none localhost/oci-gzip sh -c 'echo hello from $(id -u)'
    [[ $status -eq 0 ]] || fail "warm run as uid $uid failed ($status): $stderr"
    [[ $output == "hello from 0" ]] || fail "unexpected output: $output"
}

@test "a caller that /etc/passwd does not name is run by the engine" {
    local uid=$UNLISTED_UID
    warm_run_as "$uid" "$uid"
    if front_is_static; then
        assert_contains "$stderr" "uid $uid is not in /etc/passwd"
        assert_contains "$stderr" "the engine runs this pod"
    fi
    # What the engine chose: the single-id map, with its warning.
    assert_contains "$stderr" "no subordinate uid range for user '$uid'"
    # The first run renders and then runs: one warning, not one from each.
    local warnings
    warnings=$(grep -c "no subordinate uid range" <<<"$FIRST_STDERR" || true)
    [[ $warnings -eq 1 ]] || fail "first run warned $warnings times: $FIRST_STDERR"
}

@test "a caller that /etc/passwd names is run by the front itself" {
    warm_run_as "$(id -u nobody)" "$(id -g nobody)"
    assert_not_contains "$stderr" "the engine"
}
