#!/usr/bin/env bats
# berth run of a docker:// image the store does not have yet (issue 4 item
# 7): twenty simultaneous `berth run --pull=new --rm` against a real
# docker-registry on 127.0.0.1, which must all succeed with one download per
# blob, as the registry's access log tells.
# requires: unprivileged subids userns docker-registry skopeo python3 curl jq
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run

load helpers
# shellcheck source=/dev/null # tests/fixtures/registry/servers.bash
source "$BERTH_SOURCE_ROOT/tests/fixtures/registry/servers.bash"

setup_file() {
    make_fixtures
    servers_init "$BATS_FILE_TMPDIR/servers"
    start_registry plain
    PLAIN=$REGISTRY
    export SERVERS_DIR PLAIN
}

teardown_file() {
    stop_servers
}

setup() {
    use_fetch_env
}

# plain_blob_gets REPO DIGEST: how many times the plain registry served
# that blob whole.
plain_blob_gets() {
    blob_gets "$SERVERS_DIR/plain/log" "$@"
}

@test "twenty simultaneous berth run --pull=new --rm of an unstored image: all succeed, one download per blob" {
    local layout=$FIXTURES/oci-layered manifest blobs=() blob
    push "$layout:latest" "$PLAIN/test/run20:latest" --dest-tls-verify=false
    manifest=$(jq -r '.manifests[0].digest' "$layout/index.json")
    mapfile -t blobs < <(jq -r '.config.digest, .layers[].digest' "$layout/blobs/${manifest/://}")
    ((${#blobs[@]} >= 3)) || fail "the layered fixture has only ${#blobs[@]} blobs"
    for blob in "${blobs[@]}"; do
        [[ $(plain_blob_gets test/run20 "$blob") == 0 ]] || fail "$blob was served before the runs"
    done
    berth_concurrently 20 --quiet --insecure-options=image,http run --pull=new --rm \
        "docker://$PLAIN/test/run20" true
    ((FAILED == 0)) || fail "$FAILED of 20 runs failed"
    for blob in "${blobs[@]}"; do
        [[ $(plain_blob_gets test/run20 "$blob") == 1 ]] ||
            fail "$blob served $(plain_blob_gets test/run20 "$blob") times"
    done
    # The image is stored once, under its name; no pod is left behind.
    run_berth -0 image list
    [[ $(grep -c "test/run20" <<<"$output") == 1 ]] || fail "image list: $output"
    [[ -z $(find "$STORE/pods" -mindepth 2 -maxdepth 2 -type d 2>/dev/null) ]] ||
        fail "pods left: $(find "$STORE/pods" -mindepth 2 -maxdepth 2)"
    [[ -z $(find "$STORE/tmp" -mindepth 1 -not -name 'fetch-*.lock' -print 2>/dev/null) ]] ||
        fail "staging left: $(find "$STORE/tmp" -mindepth 1 -not -name 'fetch-*.lock')"
    assert_store_sane
}

@test "run --pull=never refuses an unstored registry image; --pull=new then runs it from the store" {
    push "$FIXTURES/oci-gzip:latest" "$PLAIN/test/runpull:latest" --dest-tls-verify=false
    run_berth -125 --insecure-options=image,http run --pull=never --rm "docker://$PLAIN/test/runpull" true
    assert_one_line_error "pull=never"
    run_berth -0 --quiet --insecure-options=image,http run --rm "docker://$PLAIN/test/runpull" true
    local asked
    asked=$(grep -c 'GET /v2/test/runpull/manifests/' "$SERVERS_DIR/plain/log")
    run_berth -0 --quiet --insecure-options=image,http run --pull=new --rm "docker://$PLAIN/test/runpull" true
    [[ $(grep -c 'GET /v2/test/runpull/manifests/' "$SERVERS_DIR/plain/log") == "$asked" ]] ||
        fail "--pull=new asked the registry for a stored image"
}
