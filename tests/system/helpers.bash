# Shared by every system test: `load helpers` at the top of a .bats file.
# shellcheck shell=bash
# bats' `run` sets status, output, lines, stderr and stderr_lines:
# shellcheck disable=SC2154
#
# Each test gets a fresh store (--root) in its own BATS_TEST_TMPDIR; images come
# from tests/fixtures, built once per build directory into $FIXTURES.
#
# Tests of features that land in a later issue call `require_command run` (or
# similar) and skip, naming the command, until berth offers it. Tests of
# issue 2's commands do not: they fail until those commands work.

bats_require_minimum_version 1.5.0

: "${BERTH:?BERTH must point at the built berth binary}"
: "${FIXTURES:?FIXTURES must name the fixture cache directory}"
BERTH_SOURCE_ROOT=${BERTH_SOURCE_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}

setup_file() {
    # Cached: after the first test file built them this returns at once.
    make_fixtures || return 1
}

setup() {
    use_test_store
    use_fixtures
}

teardown() {
    remove_test_files
}

# --- pieces of set-up --------------------------------------------------------
# A file that needs more than the defaults above writes its own setup_file,
# setup or teardown from these.

# make_fixtures: build the busybox images into $FIXTURES (once per build
# directory: the script caches them).
make_fixtures() {
    bash "$BERTH_SOURCE_ROOT/tests/fixtures/make-busybox-images.sh" "$FIXTURES" >&3 2>&1
}

# use_test_store: a fresh store ($STORE) in the test's own directory, with
# the XDG data and config directories beside it, so that anything that
# ignores --root stays away from the real home directory.
use_test_store() {
    STORE=$BATS_TEST_TMPDIR/store
    export XDG_DATA_HOME=$BATS_TEST_TMPDIR/xdg-data
    export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/xdg-config
}

# use_fixtures: the fixture images' IDs and names (fixtures.env), and
# $INSECURE, the option that imports them unsigned.
use_fixtures() {
    # shellcheck source=/dev/null
    source "$FIXTURES/fixtures.env"
    INSECURE=--insecure-options=image
}

# use_runtime_dir: an XDG_RUNTIME_DIR of the test's own (run state,
# credentials), private as systemd makes one.
use_runtime_dir() {
    export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
    mkdir -p "$XDG_RUNTIME_DIR"
    chmod 0700 "$XDG_RUNTIME_DIR"
}

# use_test_home: a HOME of the test's own (containers config, .bashrc).
use_test_home() {
    export HOME=$BATS_TEST_TMPDIR/home
    mkdir -p "$HOME"
}

# unset_proxies: the test servers are on 127.0.0.1; a proxy from the
# caller's environment must not stand between them and berth.
unset_proxies() {
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
}

# use_run_env: a fresh store, runtime directory and the fixtures: what a
# test that runs containers needs.
use_run_env() {
    use_test_store
    use_runtime_dir
    use_fixtures
}

# use_fetch_env: use_run_env, with a HOME of its own and no proxies: what a
# test that talks to the test servers needs.
use_fetch_env() {
    use_run_env
    use_test_home
    unset_proxies
}

# import_busybox: import the busybox OCI fixture unsigned and set IMAGE to
# its ID, so that the runs of a test print nothing of their own.
import_busybox() {
    fetch "oci:$FIXTURES/oci-gzip"
    # shellcheck disable=SC2034 # read by the tests
    IMAGE=$IMAGE_ID
}

# remove_test_files: what teardown does; for a file's own teardown.
remove_test_files() {
    # Rendered trees hold files owned by subordinate ids, which bats' own
    # clean-up (plain rm as this user) cannot always remove.
    local entry
    for entry in "$BATS_TEST_TMPDIR"/* "$BATS_TEST_TMPDIR"/.[!.]*; do
        [[ -e $entry || -L $entry ]] && remove_tree "$entry"
    done
    return 0
}

# --- test keys (tests/fixtures/keys/keys.sh) ---------------------------------

KEYS_SH=$BERTH_SOURCE_ROOT/tests/fixtures/keys/keys.sh

# make_test_keys: this file's OpenPGP keys in $BATS_FILE_TMPDIR/keys, exported
# as KEYS; for setup_file, with stop_test_keys in teardown_file.
make_test_keys() {
    KEYS=$BATS_FILE_TMPDIR/keys
    sh "$KEYS_SH" make "$KEYS" >&3 2>&1
    export KEYS
}

# stop_test_keys: stop the gpg-agent that signing with the keys started.
stop_test_keys() {
    sh "$KEYS_SH" stop "$KEYS"
}

# fpr NAME: the fingerprint of test key NAME.
fpr() { cat "$KEYS/$1.fpr"; }

# --- running berth ---------------------------------------------------------

# run_berth [-N|!] ARGS...: run berth on the test's store with bats' `run`,
# stdout in $output/$lines and stderr in $stderr/$stderr_lines. An optional
# first argument -N (e.g. -0, -125) asserts the exit status. Prints what ran
# so that a failing test shows it.
run_berth() {
    local expect=
    if [[ ${1:-} =~ ^-[0-9]+$ || ${1:-} == '!' ]]; then
        expect=$1
        shift
    fi
    run --separate-stderr "$BERTH" --root "$STORE" "$@"
    show_run "berth --root \$STORE $*"
    if [[ -n $expect ]]; then
        assert_status "${expect#-}"
    fi
}

# show_run COMMAND: after bats' `run --separate-stderr`, print the command
# as given, its exit status and what it printed, so that a failing test
# shows them.
show_run() {
    echo "\$ $1"
    echo "  exit status: $status"
    [[ -n $output ]] && printf '  stdout: %s\n' "${lines[@]}"
    [[ -n $stderr ]] && printf '  stderr: %s\n' "${stderr_lines[@]}"
    return 0
}

# berth_run [-N] ARGS...: `berth run ARGS` with the images imported unsigned
# ($INSECURE); -N asserts the exit status.
berth_run() {
    local expect=()
    if [[ ${1:-} =~ ^-[0-9]+$ ]]; then
        expect=("$1")
        shift
    fi
    run_berth "${expect[@]}" "$INSECURE" run "$@"
}

# fetch IMAGE...: import with the signature check off (signatures come in a
# later issue), assert success, and set IMAGE_ID to the printed ID.
fetch() {
    run_berth -0 "$INSECURE" fetch "$@"
    IMAGE_ID=$(printf '%s\n' "$output" | sed '/^[[:space:]]*$/d' | tail -1)
    assert_image_id "$IMAGE_ID"
}

# berth_concurrently N ARGS...: start N `berth ARGS` on the test's store at
# once and wait for them all. Berth I's stdout and stderr are
# $BATS_TEST_TMPDIR/out.I and err.I. Sets FAILED to how many failed, and
# prints what each of those said.
berth_concurrently() {
    local n=$1 i pids=()
    shift
    for ((i = 0; i < n; i++)); do
        "$BERTH" --root "$STORE" "$@" >"$BATS_TEST_TMPDIR/out.$i" 2>"$BATS_TEST_TMPDIR/err.$i" &
        pids+=($!)
    done
    FAILED=0
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then
            FAILED=$((FAILED + 1))
            echo "berth $i failed: $(cat "$BATS_TEST_TMPDIR/err.$i")"
        fi
    done
}

# has_command WORDS...: berth offers the command WORDS (e.g. `image render`),
# going by the Subcommands section of each parent's --help. (`berth NAME
# --help` is no test: the parser prints the top-level help for an unknown NAME.)
has_command() {
    local parent=() word help
    for word in "$@"; do
        help=$("$BERTH" "${parent[@]}" --help 2>&1) || return 1
        awk '/^Subcommands:/ { on = 1; next } /^[^ ]/ { on = 0 } on { sub(/,$/, "", $1); print $1 }' <<<"$help" |
            grep -qxF -- "$word" || return 1
        parent+=("$word")
    done
}

# require_command WORDS...: skip unless berth offers the command, for tests of
# a command that a later issue adds.
require_command() {
    has_command "$@" || skip "needs 'berth $*' (not implemented yet)"
}

# --- assertions ------------------------------------------------------------

fail() {
    printf 'FAIL: %s\n' "$*"
    return 1
}

assert_status() {
    if [[ $1 == '!' ]]; then
        [[ $status -ne 0 ]] || fail "expected a non-zero exit status, got 0"
    else
        [[ $status -eq $1 ]] || fail "expected exit status $1, got $status"
    fi
}

# assert_one_line_error [PATTERN]: stderr is exactly one non-empty line
# (berth's contract for its own failures), matching PATTERN (grep -E -i) if
# given.
assert_one_line_error() {
    local nonempty
    nonempty=$(printf '%s\n' "$stderr" | sed '/^[[:space:]]*$/d')
    [[ -n $nonempty ]] || fail "expected one line on stderr, got none"
    [[ $(printf '%s\n' "$nonempty" | wc -l) -eq 1 ]] ||
        fail "expected one line on stderr, got: $stderr"
    if [[ -n ${1:-} ]]; then
        printf '%s\n' "$nonempty" | grep -Eqi -- "$1" ||
            fail "stderr does not match /$1/: $nonempty"
    fi
}

# assert_contains TEXT NEEDLE: fixed-string search.
assert_contains() {
    [[ $1 == *"$2"* ]] || fail "expected to find '$2' in: $1"
}

assert_not_contains() {
    [[ $1 != *"$2"* ]] || fail "did not expect '$2' in: $1"
}

# assert_image_id ID: sha256:HEX64 (OCI) or sha512-HEX128 (appc).
assert_image_id() {
    [[ $1 =~ ^(sha256:[0-9a-f]{64}|sha512-[0-9a-f]{128})$ ]] ||
        fail "not an image ID: '$1'"
}

# short_hex ID: the first 12 hex digits, which every short ID form shows.
short_hex() {
    local hex=${1#sha256:}
    hex=${hex#sha512-}
    echo "${hex:0:12}"
}

# assert_listed ID / assert_not_listed ID: by `image list` in both forms.
assert_listed() {
    run_berth -0 image list
    assert_contains "$output" "$(short_hex "$1")"
    run_berth -0 image list --format json
    jq -e . >/dev/null <<<"$output" || fail "image list --format json is not JSON"
    json_has_string "$output" "$1" || fail "image list --format json lacks $1"
}

assert_not_listed() {
    run_berth -0 image list
    assert_not_contains "$output" "$(short_hex "$1")"
}

# json_has_string JSON STRING: STRING is one of the string values, anywhere.
# Keeps the tests independent of field names the CLI may still rename.
json_has_string() {
    jq -e --arg s "$2" '[.. | strings | select(. == $s)] | length > 0' >/dev/null <<<"$1"
}

# assert_store_sane: every blob's name is its digest, and no temporary or
# half-written blob is visible under a final name.
assert_store_sane() {
    local blob alg hex sum
    [[ -d $STORE/blobs ]] || return 0
    while IFS= read -r -d '' blob; do
        alg=$(basename "$(dirname "$blob")")
        hex=$(basename "$blob")
        case $alg in
            sha256) sum=$(sha256sum "$blob" | cut -d' ' -f1) ;;
            sha512) sum=$(sha512sum "$blob" | cut -d' ' -f1) ;;
            *) continue ;;
        esac
        [[ $sum == "$hex" ]] || fail "blob $blob does not match its name"
    done < <(find "$STORE/blobs" -type f -print0)
}

# --- the host side of the id map -------------------------------------------

# subid_start FILE: the first subordinate id of the current user in FILE.
subid_start() {
    awk -F: -v u="$(id -un)" -v n="$(id -u)" '$1 == u || $1 == n { print $2; exit }' "$1"
}

subid_count() {
    awk -F: -v u="$(id -un)" -v n="$(id -u)" '$1 == u || $1 == n { print $3; exit }' "$1"
}

# host_uid CONTAINER-UID: where berth's map (0 -> the user, 1..N -> the
# subordinate range) puts a container uid on the host.
host_uid() {
    if [[ $1 -eq 0 ]]; then id -u; else echo $(($(subid_start /etc/subuid) + $1 - 1)); fi
}

host_gid() {
    if [[ $1 -eq 0 ]]; then id -g; else echo $(($(subid_start /etc/subgid) + $1 - 1)); fi
}

# remove_tree PATH: delete a tree that may hold files owned by subordinate ids,
# from inside a user namespace with the same map berth uses. Podman users need
# `podman unshare rm`; the tests do it by hand so that a berth bug cannot make
# clean-up pass or fail.
remove_tree() {
    chmod -R u+rwX "$1" 2>/dev/null || true
    rm -rf "$1" 2>/dev/null && return 0
    local us gs uc gc
    us=$(subid_start /etc/subuid)
    gs=$(subid_start /etc/subgid)
    uc=$(subid_count /etc/subuid)
    gc=$(subid_count /etc/subgid)
    if [[ -n $us && -n $gs ]]; then
        # shellcheck disable=SC2016 # $1 expands in the inner shell
        unshare --map-root-user --map-users="$us,1,$uc" --map-groups="$gs,1,$gc" \
            sh -c 'chmod -R u+rwX "$1" 2>/dev/null; rm -rf "$1"' sh "$1" || true
    fi
    [[ ! -e $1 ]] || echo "# could not remove $1" >&3
}

# tree_listing DIR: paths relative to DIR, sorted, for comparing two trees.
tree_listing() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort)
}
