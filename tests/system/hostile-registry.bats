#!/usr/bin/env bats
# The registry client against hostile registries: small fake Distribution API
# servers on loopback (tests/fixtures/registry/hostile_registry.py), each
# misbehaving in one way. Each test starts its own servers and stops them.
# requires: unprivileged python3 curl openssl script flock
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run

load helpers
# shellcheck source=/dev/null # tests/fixtures/registry/servers.bash
source "$BERTH_SOURCE_ROOT/tests/fixtures/registry/servers.bash"

setup_file() {
    servers_init "$BATS_FILE_TMPDIR/servers"
    make_servers_ca
    export SERVERS_DIR
}

teardown_file() {
    stop_servers
}

setup() {
    use_test_store
    use_runtime_dir
    use_test_home
    unset_proxies
    unset BERTH_FAULT BERTH_FAULT_WRITE BERTH_FAULT_READ BERTH_FAULT_CONNECT
    unset BERTH_MAX_INFLATE_RATIO BERTH_MAX_LAYER_BYTES
    : >"$SERVERS_DIR/pids"
}

teardown() {
    stop_servers
    if [[ -n ${HOLDER:-} ]]; then
        kill "$HOLDER" 2>/dev/null || true
        wait "$HOLDER" 2>/dev/null || true
    fi
    remove_test_files
}

# start_hostile NAME MODE [ARGS...]: hostile_registry.py in MODE; sets
# HOSTILE_PORT and HOSTILE (127.0.0.1:PORT). Its requests are logged to
# $SERVERS_DIR/NAME.log.
start_hostile() {
    local name=$1 mode=$2
    shift 2
    : >"$SERVERS_DIR/$name.log"
    start_port_file_server "$name" hostile_registry.py --mode "$mode" --lifetime 300 "$@"
    HOSTILE_PORT=$SERVER_PORT
    HOSTILE=127.0.0.1:$SERVER_PORT
}

# fetch_hostile [BERTH-OPTIONS...]: fetch test/img from $HOSTILE, unsigned,
# over plain HTTP, bounded by a timeout (status 124: it hung).
fetch_hostile() {
    run --separate-stderr timeout 120 "$BERTH" --root "$STORE" --quiet \
        --insecure-options=image,http fetch "$@" "docker://$HOSTILE/test/img:latest"
    show_run "berth fetch $* docker://$HOSTILE/test/img:latest"
}

# gets LOG PATH: how many times the server answered GET PATH with 200.
gets() {
    grep -c "^GET $2 200\$" "$1" || true
}

# assert_error PATTERN: berth's one line for a failure, matching PATTERN
# (grep -E -i); warnings about the machine (no subordinate ids) aside.
assert_error() {
    local lines
    lines=$(grep -v '^berth: warning: no subordinate' <<<"$stderr" | sed '/^[[:space:]]*$/d')
    [[ $(wc -l <<<"$lines") -eq 1 && -n $lines ]] || fail "expected one line on stderr, got: $lines"
    grep -Eqi -- "$1" <<<"$lines" || fail "stderr does not match /$1/: $lines"
}

# blobs_left: the files under the store's blobs/.
blobs_left() {
    find "$STORE/blobs" -type f 2>/dev/null
}

# --- 1: a layer listed twice --------------------------------------------------

@test "a manifest listing one layer twice downloads it once and does not hang" {
    start_hostile dup dup-layer
    fetch_hostile
    assert_status 0
    local layer
    layer=$(curl -s "http://$HOSTILE/v2/test/img/manifests/latest" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
    [[ $(gets "$SERVERS_DIR/dup.log" "/v2/test/img/blobs/$layer") -eq 1 ]] ||
        fail "the repeated layer was not downloaded exactly once: $(cat "$SERVERS_DIR/dup.log")"
    assert_not_contains "$stderr" "another berth is fetching it"
}

@test "an index listing one manifest twice, and a config that is also a layer, do not hang" {
    start_hostile index dup-index
    fetch_hostile
    assert_status 0
    stop_servers
    start_hostile same config-is-layer
    fetch_hostile
    # Not a layer berth can unpack: refused in one line, not a hang.
    assert_status 125
    assert_error 'diff_?id|tar'
}

# --- 2: text from the network on a terminal -----------------------------------

# fetch_on_pty MODE: fetch from a server in MODE with berth's stderr and
# stdout on a pseudo-terminal; what the terminal got is in $PTY_OUT.
fetch_on_pty() {
    start_hostile "$1" "$1"
    PTY_OUT=$BATS_TEST_TMPDIR/$1.pty
    export STORE HOSTILE
    # shellcheck disable=SC2016 # expanded by the inner shell
    run timeout 60 script -qec '"$BERTH" --root "$STORE" --insecure-options=image,http fetch \
        "docker://$HOSTILE/test/img:latest"' /dev/null
    # What the terminal got, byte for byte (script writes it to stdout).
    printf '%s' "$output" >"$PTY_OUT"
    echo "# terminal got: $output"
}

# assert_tame FILE: no escape, bell, backspace, and no carriage return but
# the terminal's own before a newline.
assert_tame() {
    python3 - "$1" <<'EOF' || fail "control characters reached the terminal: $(od -c "$1")"
import re, sys
# The pty turns each \n into \r\n; bats dropped the last one's \n.
data = open(sys.argv[1], "rb").read().rstrip(b"\r\n")
sys.exit(1 if re.search(rb"[\x1b\x07\x08]|\r(?!\n)", data) else 0)
EOF
}

@test "escape sequences in a registry's errors[] do not reach the terminal" {
    fetch_on_pty escape-error
    assert_tame "$PTY_OUT"
    grep -q 'pwned-title' "$PTY_OUT" || fail "the error does not show the registry's code"
}

@test "escape sequences in a Content-Type or a manifest mediaType do not reach the terminal" {
    fetch_on_pty escape-content-type
    assert_tame "$PTY_OUT"
    grep -qF '\e]0' "$PTY_OUT" || fail "the error does not show the Content-Type"
    stop_servers
    fetch_on_pty escape-media-type
    assert_tame "$PTY_OUT"
    grep -q 'pwned-title' "$PTY_OUT" || fail "the error does not show the media type"
}

@test "escape sequences in a layer mediaType or a token realm do not reach the terminal" {
    fetch_on_pty escape-layer-type
    assert_tame "$PTY_OUT"
    stop_servers
    fetch_on_pty escape-realm
    assert_tame "$PTY_OUT"
    grep -q 'pwned-title' "$PTY_OUT" || fail "the error does not show the realm"
}

# --- 3: a registry that trickles ----------------------------------------------

@test "a manifest trickled at 2 bytes a second fails at its deadline, naming the request" {
    start_hostile slow trickle
    fetch_hostile --timeout=2
    assert_status 125
    assert_error 'manifests/latest timed out'
}

# --- 4: inflation, disk use and leftovers --------------------------------------

@test "a layer that inflates a thousandfold is refused as a decompression bomb" {
    start_hostile bomb bomb --zeros-mib 256
    fetch_hostile
    assert_status 125
    assert_error 'decompression bomb'
    [[ -z $(blobs_left) ]] || fail "the refused image left blobs: $(blobs_left)"
}

@test "a layer declared at 1 TiB is refused before its download" {
    start_hostile huge huge-declared
    fetch_hostile
    assert_status 125
    assert_error 'declared at 1099511627776 bytes'
    [[ -z $(find "$STORE/tmp" -name 'partial-*' 2>/dev/null) ]] ||
        fail "a partial was written: $(ls -l "$STORE/tmp")"
    grep -q 'endless' "$SERVERS_DIR/huge.log" && fail "the layer was downloaded" || true
}

@test "runs of zeros in a layer are written as holes" {
    start_hostile zeros bomb --zeros-mib 96
    BERTH_MAX_INFLATE_RATIO=100000 fetch_hostile
    assert_status 0
    local file kib
    file=$(find "$STORE" -name zeros.bin -type f | head -1)
    [[ -n $file ]] || fail "no zeros.bin in the tree cache"
    [[ $(stat -c %s "$file") -eq $((96 << 20)) ]] || fail "zeros.bin has the wrong size"
    kib=$(du -k "$file" | cut -f1)
    [[ $kib -lt 1024 ]] || fail "zeros.bin takes $kib KiB on disk, not sparse"
}

@test "a fetch removes what a dead berth left, not what a live one holds" {
    start_hostile plain plain
    fetch_hostile
    assert_status 0
    local dead live trees
    dead=$(printf 'a%.0s' {1..64})
    live=$(printf 'b%.0s' {1..64})
    head -c 5000 /dev/zero >"$STORE/tmp/partial-sha256-$dead"
    touch "$STORE/tmp/fetch-sha256-$dead.lock"
    head -c 5000 /dev/zero >"$STORE/tmp/partial-sha256-$live"
    # A live fetch holds its blob's lock (bounded: killed in teardown).
    flock "$STORE/tmp/fetch-sha256-$live.lock" sleep 100 3>&- &
    HOLDER=$!
    trees=$STORE/trees
    [[ -d $trees ]] || fail "no trees directory in the store"
    mkdir -p "$trees/deadkey.tmp-123456/etc"
    fetch_hostile
    assert_status 0
    [[ ! -e $STORE/tmp/partial-sha256-$dead ]] || fail "the dead berth's partial is left"
    [[ ! -e $STORE/tmp/fetch-sha256-$dead.lock ]] || fail "the dead berth's lock file is left"
    [[ -e $STORE/tmp/partial-sha256-$live ]] || fail "the live berth's partial was removed"
    [[ ! -e $trees/deadkey.tmp-123456 ]] || fail "the half-built tree is left"
}

# --- 5: credentials and token realms -------------------------------------------

# save_credentials HOST:PORT: alice's password for it in the user's auth.json.
save_credentials() {
    mkdir -p "$XDG_CONFIG_HOME/containers"
    printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$1" "$(printf alice:s3cret | base64)" \
        >"$XDG_CONFIG_HOME/containers/auth.json"
}

@test "credentials do not go to a token realm on another host over plain HTTP" {
    start_hostile token token --bind 127.0.0.2
    local realm=http://127.0.0.2:$HOSTILE_PORT/token
    start_hostile reg plain --realm "$realm"
    save_credentials "$HOSTILE"
    fetch_hostile
    assert_status 0
    cat "$SERVERS_DIR/token.log"
    grep -qx 'token anonymous' "$SERVERS_DIR/token.log" || fail "no anonymous token asked"
    ! grep -q 'with-credentials' "$SERVERS_DIR/token.log" || fail "the password went to $realm"
}

@test "credentials do not go from a TLS registry to a plain HTTP realm" {
    start_hostile token token
    local realm=http://127.0.0.1:$HOSTILE_PORT/token
    start_hostile reg plain --realm "$realm" \
        --cert "$SERVERS_DIR/ca/server.crt" --key "$SERVERS_DIR/ca/server.key"
    trust_test_ca "$HOSTILE"
    save_credentials "$HOSTILE"
    fetch_hostile
    assert_status 0
    cat "$SERVERS_DIR/token.log"
    grep -q 'token' "$SERVERS_DIR/token.log" || fail "the token server was not asked"
    ! grep -q 'with-credentials' "$SERVERS_DIR/token.log" || fail "the password went to $realm"
}

@test "credentials go to a TLS realm on another host, and --debug says where" {
    start_hostile token token \
        --cert "$SERVERS_DIR/ca/server.crt" --key "$SERVERS_DIR/ca/server.key"
    local token=localhost:$HOSTILE_PORT
    trust_test_ca "$token"
    start_hostile reg plain --realm "https://$token/token" \
        --cert "$SERVERS_DIR/ca/server.crt" --key "$SERVERS_DIR/ca/server.key"
    trust_test_ca "$HOSTILE"
    save_credentials "$HOSTILE"
    run --separate-stderr timeout 120 "$BERTH" --root "$STORE" --debug \
        --insecure-options=image fetch "docker://$HOSTILE/test/img:latest"
    show_run "berth --debug fetch docker://$HOSTILE/test/img:latest"
    assert_status 0
    grep -qx 'token with-credentials' "$SERVERS_DIR/token.log" ||
        fail "the TLS realm did not get the credentials"
    [[ $(grep -c "sending the credentials for $HOSTILE .* to the token server $token" \
        <<<"$stderr") -eq 1 ]] || fail "--debug does not say once where the credentials went"
}

# --- 6: open files and lock files -----------------------------------------------

@test "an image of 200 layers fetches within 160 open files and leaves no lock files" {
    start_hostile many many-layers --layers 200
    run --separate-stderr timeout 300 bash -c 'ulimit -n 160 && exec "$@"' _ "$BERTH" \
        --root "$STORE" --insecure-options=image,http fetch "docker://$HOSTILE/test/img:latest"
    show_run "ulimit -n 160; berth fetch docker://$HOSTILE/test/img:latest"
    assert_status 0
    [[ -z $(find "$STORE/tmp" -name 'fetch-*.lock') ]] ||
        fail "lock files left: $(find "$STORE/tmp" -name 'fetch-*.lock' | head -3)"
}

# --- 7: a refused image --------------------------------------------------------

@test "an image refused for a wrong diff_id leaves no blobs" {
    start_hostile bad bad-diffid
    fetch_hostile
    assert_status 125
    assert_error 'diff_?id'
    [[ -z $(blobs_left) ]] || fail "the refused image left blobs: $(blobs_left)"
}

# --- 8: what the server did, not a wrong hint ------------------------------------

@test "a redirect to file:// is named as such, not as a plain HTTP problem" {
    start_hostile redirect redirect-file
    fetch_hostile
    assert_status 125
    assert_error "'file:' URL"
    assert_not_contains "$stderr" "plain HTTP needs"
}

@test "an answer with no HTTP status line is named as such, not as a plain HTTP problem" {
    start_hostile garbage http09
    fetch_hostile
    assert_status 125
    assert_error 'no HTTP status line'
    assert_not_contains "$stderr" "plain HTTP needs"
}
