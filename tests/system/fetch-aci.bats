#!/usr/bin/env bats
# berth fetch https://…/NAME.aci and appc discovery (issue 4), against an
# HTTPS file server on 127.0.0.1 with a CA made here. Discovery of
# example.com names reaches that server through BERTH_CONNECT_TO (curl's
# --connect-to), so no DNS and no other address is ever used, while the
# certificate is still checked for the name example.com.
# requires: unprivileged python3 openssl curl gpg jq
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run
# shellcheck disable=SC2034,SC2030,SC2031 # STORE is read by helpers; each test exports its own env

load helpers
# shellcheck source=/dev/null # tests/fixtures/registry/servers.bash
source "$BERTH_SOURCE_ROOT/tests/fixtures/registry/servers.bash"

setup_file() {
    make_fixtures
    use_fixtures
    servers_init "$BATS_FILE_TMPDIR/servers"
    make_servers_ca
    local www=$SERVERS_DIR/www
    mkdir -p "$www/images/example.com" "$www/cached"
    cp "$FIXTURES/busybox-gz.aci" "$www/busybox.aci"
    # Not a real signature (trust comes later): fetched and kept beside it.
    echo "signature placeholder" >"$www/busybox.aci.asc"
    cp "$FIXTURES/busybox-gz.aci" "$www/cached/busybox.aci"
    # A copy signed by a test key, and one with no signature at all.
    make_test_keys
    mkdir -p "$www/signed" "$www/unsigned"
    cp "$FIXTURES/busybox-gz.aci" "$www/signed/busybox.aci"
    sh "$KEYS_SH" sign "$KEYS" good detach \
        "$www/signed/busybox.aci" "$www/signed/busybox.aci.asc"
    cp "$FIXTURES/busybox-gz.aci" "$www/unsigned/busybox.aci"
    local v=$BUSYBOX_VERSION a=$ACI_ARCH
    cp "$FIXTURES/busybox-gz.aci" "$www/images/example.com/busybox-$v-linux-$a.aci"
    # Served under another name's URL: discovery must refuse it.
    cp "$FIXTURES/busybox-gz.aci" "$www/images/example.com/impostor-$v-linux-$a.aci"
    # Only the top of the name has a page: discovery walks up to it.
    cat >"$www/.discovery.html" <<HTML
<!DOCTYPE html><html><head>
<meta name="ac-discovery" content="example.com https://example.com/images/{name}-{version}-{os}-{arch}.{ext}">
<meta name="ac-discovery-pubkeys" content="example.com https://example.com/pubkeys.gpg">
</head></html>
HTML
    start_https_server files "$www" --redirect /old/busybox.aci=/busybox.aci
    FILES_PORT=$HTTPS_PORT
    start_https_server cached "$www/cached" --max-age 300
    CACHED_PORT=$HTTPS_PORT
    export SERVERS_DIR FILES_PORT CACHED_PORT
}

teardown_file() {
    stop_servers
    stop_test_keys
}

setup() {
    use_fetch_env
    local host
    for host in "127.0.0.1:$FILES_PORT" "127.0.0.1:$CACHED_PORT" example.com; do
        trust_test_ca "$host"
    done
}

requests() {
    grep -c -- "$2" "$SERVERS_DIR/$1.log" || true
}

@test "an ACI over HTTPS is fetched with its signature and gets the appc image ID" {
    run_berth -0 "$INSECURE" fetch "https://127.0.0.1:$FILES_PORT/busybox.aci"
    [[ $output == "$ACI_ID" ]] || fail "ID $output"
    [[ $(requests files "GET /busybox.aci.asc 200") -ge 1 ]] || fail "signature not fetched"
    assert_listed "$ACI_ID"
    assert_store_sane
}

@test "a redirect is followed" {
    run_berth -0 "$INSECURE" fetch "https://127.0.0.1:$FILES_PORT/old/busybox.aci"
    [[ $output == "$ACI_ID" ]] || fail "ID $output"
}

@test "a fresh max-age skips the network; --pull=never and new use the store" {
    local url=https://127.0.0.1:$CACHED_PORT/busybox.aci
    run_berth -125 "$INSECURE" fetch --pull=never "$url"
    assert_one_line_error "pull=never"
    run_berth -0 "$INSECURE" fetch "$url"
    local before
    before=$(requests cached "GET /busybox.aci ")
    run_berth -0 "$INSECURE" fetch "$url"
    [[ $output == "$ACI_ID" ]] || fail "ID $output"
    run_berth -0 "$INSECURE" fetch --pull=never "$url"
    run_berth -0 "$INSECURE" fetch --pull=new "$url"
    [[ $(requests cached "GET /busybox.aci ") == "$before" ]] || fail "the server was asked again"
}

@test "without max-age an update revalidates with the ETag and a 304 reuses the image" {
    local url=https://127.0.0.1:$FILES_PORT/busybox.aci
    run_berth -0 "$INSECURE" fetch "$url"
    run_berth -0 "$INSECURE" fetch "$url"
    [[ $output == "$ACI_ID" ]] || fail "ID $output"
    [[ $(requests files "GET /busybox.aci 304") -ge 1 ]] || fail "no 304 in the server log"
}

@test "an unknown URL and a wrong CA each give one line" {
    # --quiet: only the error line, no progress before it.
    run_berth -125 --quiet "$INSECURE" fetch "https://127.0.0.1:$FILES_PORT/nothing.aci"
    assert_one_line_error "nothing.aci: HTTP 404"
    rm -rf "$XDG_CONFIG_HOME/containers/certs.d"
    run_berth -125 "$INSECURE" fetch "https://127.0.0.1:$FILES_PORT/busybox.aci"
    assert_one_line_error "certs.d/127.0.0.1:$FILES_PORT"
    run_berth -125 "$INSECURE" fetch "http://127.0.0.1:$FILES_PORT/busybox.aci"
    assert_one_line_error "insecure-options=http"
}

@test "appc discovery walks up the name, renders the template and checks the manifest" {
    export BERTH_CONNECT_TO=example.com:443:127.0.0.1:$FILES_PORT
    run_berth -0 "$INSECURE" fetch "example.com/busybox:$BUSYBOX_VERSION"
    [[ $output == "$ACI_ID" ]] || fail "ID $output"
    [[ $(requests files "GET /busybox?ac-discovery=1 404") -ge 1 ]] || fail "no walk up"
    [[ $(requests files "GET /?ac-discovery=1 200") -ge 1 ]] || fail "parent page not read"

    # In the store now: --pull=new does not go to the network.
    local before
    before=$(wc -l <"$SERVERS_DIR/files.log")
    run_berth -0 "$INSECURE" fetch --pull=new "example.com/busybox"
    [[ $output == "$ACI_ID" ]] || fail "ID $output"
    [[ $(wc -l <"$SERVERS_DIR/files.log") == "$before" ]] || fail "network used"
}

@test "discovery refuses an image whose manifest names another app, and a missing version" {
    export BERTH_CONNECT_TO=example.com:443:127.0.0.1:$FILES_PORT
    run_berth -125 --quiet "$INSECURE" fetch "example.com/impostor:$BUSYBOX_VERSION"
    assert_one_line_error "named 'example.com/busybox'"
    run_berth -125 --quiet "$INSECURE" fetch "example.com/busybox:0.0.0"
    assert_one_line_error "example.com/busybox,version=0.0.0.*HTTP 404"
    assert_not_listed "$ACI_ID"
}

@test "an ACI over HTTPS imports without insecure options only when a trusted key signed it" {
    # No trusted key yet: refused after the download, nothing stored.
    run_berth -125 --quiet fetch "https://127.0.0.1:$FILES_PORT/signed/busybox.aci"
    assert_one_line_error "not trusted"
    run_berth -125 --quiet fetch "https://127.0.0.1:$FILES_PORT/unsigned/busybox.aci"
    assert_one_line_error "--insecure-options=image"
    run_berth -0 image list --format json
    [[ $(jq length <<<"$output") -eq 0 ]] || fail "a refused image was stored"

    run_berth -0 trust --skip-fingerprint-review --prefix example.com/busybox "$KEYS/good.asc"
    run_berth -0 fetch "https://127.0.0.1:$FILES_PORT/signed/busybox.aci"
    [[ $output == sha512-* ]] || fail "expected an appc image ID, got '$output'"
    # The placeholder signature beside busybox.aci does not verify.
    run_berth -125 --quiet fetch "https://127.0.0.1:$FILES_PORT/busybox.aci"
    assert_one_line_error "busybox"
}
