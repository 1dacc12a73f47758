#!/usr/bin/env bats
# berth trust (issue 5): adding keys with review (terminal prompt through
# script(1), refusal without a terminal), keys from https URLs and appc
# ac-discovery-pubkeys on an HTTPS server on 127.0.0.1 with a CA made here,
# list in both formats, rm. Keys are made by tests/fixtures/keys/keys.sh.
# requires: gpg script python3 openssl curl jq
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run

load helpers
# shellcheck source=../fixtures/registry/servers.bash
source "$BERTH_SOURCE_ROOT/tests/fixtures/registry/servers.bash"

setup_file() {
    make_test_keys
    servers_init "$BATS_FILE_TMPDIR/servers"
    make_servers_ca
    local www=$SERVERS_DIR/www
    mkdir -p "$www/keys"
    cp "$KEYS/good.asc" "$www/pubkeys.gpg"
    cp "$KEYS/other.asc" "$www/keys/other.asc"
    # example.com/app has no page of its own: discovery walks up to the root.
    cat >"$www/.discovery.html" <<HTML
<!DOCTYPE html><html><head>
<meta name="ac-discovery-pubkeys" content="example.com https://example.com/pubkeys.gpg">
<meta name="ac-discovery-pubkeys" content="example.org https://example.com/keys/other.asc">
</head></html>
HTML
    start_https_server files "$www"
    FILES_PORT=$HTTPS_PORT
    export SERVERS_DIR FILES_PORT
}

teardown_file() {
    stop_servers
    stop_test_keys
}

setup() {
    use_test_store
    use_test_home
    unset_proxies
    USER_KEYS=$XDG_CONFIG_HOME/berth/trustedkeys
    trust_test_ca "127.0.0.1:$FILES_PORT"
    trust_test_ca example.com
}

# on_tty ANSWER ARGS...: run berth on a pseudo-terminal (script(1)), typing
# ANSWER at the prompt. Sets status and output (the terminal's transcript).
on_tty() {
    local answer=$1 cmd
    shift
    cmd=$(printf '%q ' "$BERTH" --root "$STORE" "$@")
    run bash -c 'printf "%s\n" "$1" | script -qefc "$2" /dev/null' _ "$answer" "$cmd"
    echo "\$ (tty, answering '$answer') berth $*"
    echo "  exit status: $status"
    printf '  %s\n' "${lines[@]}"
}

@test "without a terminal a key is refused unless the review is skipped" {
    run_berth -125 trust --prefix example.com/app "$KEYS/good.asc" </dev/null
    assert_contains "$stderr" "$(fpr good | cut -c1-4 | tr a-f A-F)"
    assert_contains "$stderr" "Good Signer <good@example.com>"
    assert_contains "$stderr" "--skip-fingerprint-review"
    [[ ! -e $USER_KEYS ]] || fail "something was written to $USER_KEYS"

    run_berth -0 trust --prefix example.com/app --skip-fingerprint-review "$KEYS/good.asc"
    [[ -f $USER_KEYS/prefix.d/example.com%2Fapp/$(fpr good) ]] ||
        fail "key file missing: $(find "$USER_KEYS")"
    grep -q "BEGIN PGP PUBLIC KEY BLOCK" "$USER_KEYS/prefix.d/example.com%2Fapp/$(fpr good)"
}

@test "on a terminal berth asks for each key; only yes trusts it" {
    on_tty y trust --prefix example.com/app "$KEYS/good.asc"
    [[ $status -eq 0 ]] || fail "yes did not trust the key"
    assert_contains "$output" "Trust this key for example.com/app? [y/N]"
    assert_contains "$output" "Good Signer <good@example.com>"
    [[ -f $USER_KEYS/prefix.d/example.com%2Fapp/$(fpr good) ]] || fail "key not stored"

    on_tty n trust --prefix example.com/other "$KEYS/other.asc"
    [[ $status -eq 125 ]] || fail "no did not refuse"
    [[ ! -e $USER_KEYS/prefix.d/example.com%2Fother ]] || fail "a declined key was stored"

    on_tty "" trust --root "$KEYS/other.asc"
    [[ $status -eq 125 ]] || fail "an empty answer trusted the key"
    [[ ! -e $USER_KEYS/root.d ]] || fail "a declined root key was stored"
}

@test "revoked and expired keys are refused" {
    run_berth -125 trust --prefix example.com --skip-fingerprint-review "$KEYS/revoked.asc"
    assert_one_line_error "revoked"
    run_berth -125 trust --prefix example.com --skip-fingerprint-review "$KEYS/expired.asc"
    assert_one_line_error "expired"
    [[ ! -e $USER_KEYS ]] || fail "a refused key was stored"
}

@test "prefixes that could escape or collide are refused" {
    local prefix
    for prefix in ../etc example.com/../x /example.com example.com// "https://example.com/app"; do
        run_berth -125 trust --prefix "$prefix" --skip-fingerprint-review "$KEYS/good.asc"
        assert_one_line_error "prefix"
    done
    run_berth -125 trust --skip-fingerprint-review "$KEYS/good.asc"
    assert_one_line_error "--prefix"
    run_berth -125 trust --prefix a.b --root --skip-fingerprint-review "$KEYS/good.asc"
    assert_one_line_error "--prefix"
    [[ ! -e $USER_KEYS ]] || fail "something was stored"
}

@test "list shows prefix, fingerprint, user id and where it is stored, also as JSON" {
    run_berth -0 trust --prefix 127.0.0.1:5000/team --skip-fingerprint-review "$KEYS/good.asc"
    run_berth -0 trust --root --skip-fingerprint-review "$KEYS/subkey.asc"
    run_berth -0 trust list
    assert_contains "$output" "127.0.0.1:5000/team"
    assert_contains "$output" "$(fpr good)"
    assert_contains "$output" "Good Signer <good@example.com>"
    assert_contains "$output" "(root)"
    assert_contains "$output" "$USER_KEYS/prefix.d/127.0.0.1%3A5000%2Fteam/$(fpr good)"

    run_berth -0 trust list --format json
    jq -e --arg f "$(fpr good)" \
        '.[] | select(.fingerprint == $f and .prefix == "127.0.0.1:5000/team" and .root == false
                      and .store == "user" and (.userIds | index("Good Signer <good@example.com>")))' \
        <<<"$output" >/dev/null || fail "good key not listed as expected"
    jq -e --arg f "$(fpr subkey)" '.[] | select(.fingerprint == $f and .root == true)' \
        <<<"$output" >/dev/null || fail "root key not listed"

    run_berth -0 --quiet trust list
    [[ ${#lines[@]} -eq 2 ]] || fail "quiet list is not one fingerprint per line"
}

@test "rm removes a key from one prefix or everywhere, and says where it is otherwise" {
    run_berth -0 trust --prefix example.com/a --skip-fingerprint-review "$KEYS/good.asc"
    run_berth -0 trust --prefix example.com/b --skip-fingerprint-review "$KEYS/good.asc"

    run_berth -125 trust rm "$(fpr good)" --prefix example.com/c
    assert_one_line_error "example.com/a"

    run_berth -0 trust rm "$(fpr good | tr a-f A-F)" --prefix example.com/a
    run_berth -0 --quiet trust list
    [[ ${#lines[@]} -eq 1 ]] || fail "expected one key left"

    run_berth -0 trust rm "$(fpr good)"
    run_berth -0 trust list --format json
    [[ $(jq length <<<"$output") -eq 0 ]] || fail "keys left: $output"

    run_berth -125 trust rm "$(fpr good)"
    assert_one_line_error "not trusted"
    run_berth -125 trust rm not-a-fingerprint
    assert_one_line_error "fingerprint"
}

@test "a key is fetched from an https URL" {
    run_berth -0 trust --prefix example.org --skip-fingerprint-review \
        "https://127.0.0.1:$FILES_PORT/keys/other.asc"
    [[ -f $USER_KEYS/prefix.d/example.org/$(fpr other) ]] || fail "key not stored"
    run_berth -125 trust --prefix example.org --skip-fingerprint-review \
        "http://127.0.0.1:$FILES_PORT/keys/other.asc"
    assert_one_line_error "insecure-options=http"
    run_berth -125 trust --prefix example.org --skip-fingerprint-review \
        "https://127.0.0.1:$FILES_PORT/keys/missing.asc"
    assert_one_line_error "404"
}

@test "without a key, ac-discovery-pubkeys names it; the prompt still guards it" {
    export BERTH_CONNECT_TO=example.com:443:127.0.0.1:$FILES_PORT
    on_tty n trust --prefix example.com/app
    [[ $status -eq 125 ]] || fail "a declined discovered key was trusted"
    assert_contains "$output" "https://example.com/pubkeys.gpg"
    [[ ! -e $USER_KEYS ]] || fail "a declined key was stored"

    on_tty y trust --prefix example.com/app
    [[ $status -eq 0 ]] || fail "yes did not trust the discovered key"
    [[ -f $USER_KEYS/prefix.d/example.com%2Fapp/$(fpr good) ]] || fail "key not stored"
    grep -q "GET /app?ac-discovery=1 404" "$SERVERS_DIR/files.log" || fail "no walk up"

    run_berth -125 trust --prefix example.com/app </dev/null
    assert_contains "$stderr" "--skip-fingerprint-review"

    # A name with no page that offers keys (here: no certificate for it, and
    # still only 127.0.0.1 is ever contacted) fails with one line.
    export BERTH_CONNECT_TO=$BERTH_CONNECT_TO,example.net:443:127.0.0.1:$FILES_PORT
    run_berth -125 trust --prefix example.net/app --skip-fingerprint-review
    assert_one_line_error "ac-discovery-pubkeys"
}
