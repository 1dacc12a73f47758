#!/usr/bin/env bats
# berth fetch docker://… against real registries on 127.0.0.1 (issue 4):
# Debian's docker-registry with TLS (a CA made here) and htpasswd auth, a
# second one speaking plain HTTP, and a proxy that cuts a transfer. Images
# are pushed with skopeo from the busybox fixtures.
# requires: unprivileged docker-registry skopeo htpasswd openssl python3 curl jq
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run

load helpers
# shellcheck source=/dev/null # tests/fixtures/registry/servers.bash
source "$BERTH_SOURCE_ROOT/tests/fixtures/registry/servers.bash"

setup_file() {
    make_fixtures
    use_fixtures
    servers_init "$BATS_FILE_TMPDIR/servers"
    make_servers_ca
    start_registry secure tls auth alice s3cret
    SECURE=$REGISTRY
    start_registry plain
    PLAIN=$REGISTRY
    local to_secure=(--dest-cert-dir "$SERVERS_DIR/push-certs" --dest-creds alice:s3cret)
    local to_plain=(--dest-tls-verify=false)
    push "$FIXTURES/oci-gzip:latest" "$SECURE/test/busybox:latest" "${to_secure[@]}"
    push "$FIXTURES/oci-gzip:latest" "$PLAIN/test/busybox:latest" "${to_plain[@]}"
    push "$FIXTURES/oci-zstd:latest" "$PLAIN/test/busybox:zstd" "${to_plain[@]}"
    push "$FIXTURES/oci-layered:latest" "$PLAIN/test/layered:latest" "${to_plain[@]}"
    push "$FIXTURES/oci-gzip:latest" "$PLAIN/test/conc:latest" "${to_plain[@]}"
    push "$FIXTURES/oci-index:latest" "$PLAIN/test/multi:latest" "${to_plain[@]}" --all
    # 24 MiB of random bytes in one layer: large enough to kill a fetch of
    # it in the middle.
    BIG=$BATS_FILE_TMPDIR/big
    make_big_image "$BIG" 24
    export SERVERS_DIR SECURE PLAIN BIG
}

teardown_file() {
    stop_servers
}

setup() {
    use_fetch_env
}

# config_digest LAYOUT: the image ID an import of the layout's "latest" gives.
layout_id() {
    local manifest
    manifest=$(jq -r '.manifests[0].digest' "$1/index.json")
    jq -r '.config.digest' "$1/blobs/${manifest/://}"
}

# layer_digest LAYOUT: the first layer's digest.
layer_digest() {
    local manifest
    manifest=$(jq -r '.manifests[0].digest' "$1/index.json")
    jq -r '.layers[0].digest' "$1/blobs/${manifest/://}"
}

# assert_no_staging_left: nothing half-fetched remains in the store.
assert_no_staging_left() {
    [[ -d $STORE/tmp ]] || return 0
    local left
    left=$(find "$STORE/tmp" -mindepth 1 -not -name 'fetch-*.lock' -print)
    [[ -z $left ]] || fail "left in the store's tmp/: $left"
}

# whole_gets LOG REPO DIGEST SIZE: how many times the registry sent all
# SIZE bytes of that blob in one 200 answer.
whole_gets() {
    grep -c "\"GET /v2/$2/blobs/$3 HTTP/1.1\" 200 $4 " "$1" || true
}

# partial_of DIGEST: the staging file of a blob being downloaded.
partial_of() {
    echo "$STORE/tmp/partial-${1%%:*}-${1#*:}"
}

# kill_mid_blob REPO: push the big image as REPO to the plain registry,
# fetch it through a proxy that goes silent after 8 MiB of the layer, wait
# (bounded) until those bytes are in the partial file, and kill -9 berth
# there. Sets LAYER (the layer's digest) and PROXY_PORT.
kill_mid_blob() {
    local repo=$1 partial pid i size=0 stall=$((8 << 20))
    push "$BIG:latest" "$PLAIN/$repo:latest" --dest-tls-verify=false
    LAYER=$(layer_digest "$BIG")
    partial=$(partial_of "$LAYER")
    start_stall_proxy "stall-${repo//\//-}" "${PLAIN#*:}" "$stall"
    "$BERTH" --root "$STORE" --insecure-options=image,http fetch \
        "docker://127.0.0.1:$PROXY_PORT/$repo" >"$BATS_TEST_TMPDIR/killed.out" 2>&1 &
    pid=$!
    # The proxy's count includes the response headers: a few hundred bytes.
    for ((i = 0; i < 600; i++)); do
        [[ -f $partial ]] && size=$(stat -c %s "$partial")
        ((size >= stall - 4096)) && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "killed berth with $size bytes of $LAYER on disk: $(cat "$BATS_TEST_TMPDIR/killed.out")"
    grep -q stalled "$SERVERS_DIR/stall-${repo//\//-}.log" || fail "the proxy never stalled"
    ((size >= stall - 4096)) || fail "only $size bytes arrived before the kill"
}

@test "without credentials a registry that wants them gives one line naming berth login" {
    trust_test_ca "$SECURE"
    run_berth -125 "$INSECURE" fetch "docker://$SECURE/test/busybox"
    assert_one_line_error "$SECURE.*401.*berth login $SECURE"
    assert_no_staging_left
    [[ ! -d $STORE/blobs/sha256 ]] || [[ -z $(ls "$STORE/blobs/sha256") ]] ||
        fail "blobs stored after a refused fetch"
}

@test "berth login checks and stores credentials; fetch uses them; logout removes them" {
    trust_test_ca "$SECURE"
    run_berth -125 login -u alice -p wrong "$SECURE"
    assert_one_line_error "401"
    [[ ! -e $XDG_RUNTIME_DIR/containers/auth.json ]] || fail "refused credentials were stored"

    run_berth -0 login -u alice --password-stdin "$SECURE" <<<"s3cret"
    run jq -r --arg r "$SECURE" '.auths[$r].auth' "$XDG_RUNTIME_DIR/containers/auth.json"
    [[ $(base64 -d <<<"$output") == alice:s3cret ]] || fail "auth.json holds '$output'"
    [[ $(stat -c %a "$XDG_RUNTIME_DIR/containers/auth.json") == 600 ]] || fail "auth.json not 0600"

    fetch "docker://$SECURE/test/busybox:latest"
    [[ $IMAGE_ID == "$(layout_id "$FIXTURES/oci-gzip")" ]] || fail "ID $IMAGE_ID"
    assert_listed "$IMAGE_ID"
    assert_store_sane

    run_berth -0 logout "$SECURE"
    run jq -r --arg r "$SECURE" '.auths[$r] // "gone"' "$XDG_RUNTIME_DIR/containers/auth.json"
    [[ $output == gone ]] || fail "logout left $output"
    run_berth -125 logout "$SECURE"
}

@test "credentials in ~/.docker/config.json (docker login's format) are used" {
    trust_test_ca "$SECURE"
    mkdir -p "$HOME/.docker"
    jq -n --arg r "https://$SECURE/v1/" --arg a "$(printf alice:s3cret | base64)" \
        '{auths: {($r): {auth: $a}}}' >"$HOME/.docker/config.json"
    fetch "docker://$SECURE/test/busybox"
}

@test "a certificate from an unknown CA is refused naming the certs.d directory" {
    trust_test_ca "$SECURE" "$SERVERS_DIR/ca/wrong-ca.crt"
    run_berth -125 "$INSECURE" fetch "docker://$SECURE/test/busybox"
    assert_one_line_error "certs.d/$SECURE/ca.crt"
    assert_no_staging_left
}

@test "--insecure-options=tls accepts a certificate that does not verify" {
    mkdir -p "$XDG_RUNTIME_DIR/containers"
    printf '{"auths":{"%s":{"auth":"%s"}}}' "$SECURE" "$(printf alice:s3cret | base64)" \
        >"$XDG_RUNTIME_DIR/containers/auth.json"
    run_berth -0 --insecure-options=image,tls fetch "docker://$SECURE/test/busybox"
    assert_image_id "$output"
}

@test "plain HTTP is refused unless --insecure-options=http" {
    run_berth -125 "$INSECURE" fetch "docker://$PLAIN/test/busybox"
    assert_one_line_error "insecure-options=http"
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox"
    [[ $output == "$(layout_id "$FIXTURES/oci-gzip")" ]] || fail "ID $output"
}

@test "zstd layers and several layers with whiteouts are fetched and recorded" {
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox:zstd"
    [[ $output == "$(layout_id "$FIXTURES/oci-zstd")" ]] || fail "ID $output"
    run_berth -0 image inspect "$output"
    # The diff_id is computed from the zstd stream, and matches the config.
    assert_contains "$output" "$ROOTFS_DIFF_ID"
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/layered"
    [[ $output == "$(layout_id "$FIXTURES/oci-layered")" ]] || fail "ID $output"
    assert_store_sane
}

@test "a multi-platform index resolves to this host's image, as a local import does" {
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/multi"
    local pulled=$output
    run_berth -0 "$INSECURE" fetch "oci:$FIXTURES/oci-index"
    [[ $pulled == "$output" ]] || fail "pulled $pulled, imported $output"
}

@test "a pull by digest checks the digest; an unknown tag or digest is one line" {
    local digest
    digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$PLAIN/test/busybox:latest")
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox@$digest"
    assert_image_id "$output"
    run_berth -125 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox:nope"
    assert_one_line_error "$PLAIN.*test/busybox:nope.*404.*MANIFEST_UNKNOWN"
    run_berth -125 --insecure-options=image,http fetch \
        "docker://$PLAIN/test/busybox@sha256:$(printf '%064d' 0)"
    assert_one_line_error "404"
    run_berth -125 --insecure-options=image,http fetch "docker://$PLAIN/test/nothing"
    assert_one_line_error "404"
}

# misstate_diff_id SRC DST: a copy of OCI layout SRC whose config states a
# wrong diff_id for its first layer (digests of config, manifest and index
# redone, so only the unpacking can tell).
misstate_diff_id() {
    local src=$1 dst=$2 manifest config digest size
    cp -r "$src" "$dst"
    manifest=$(jq -r '.manifests[0].digest' "$dst/index.json")
    config=$(jq -r '.config.digest' "$dst/blobs/${manifest/://}")
    jq -c --arg d "sha256:$(printf '%064d' 1)" '.rootfs.diff_ids[0] = $d' \
        "$dst/blobs/${config/://}" >"$dst/next"
    digest=sha256:$(sha256sum <"$dst/next" | cut -d' ' -f1)
    size=$(stat -c %s "$dst/next")
    mv "$dst/next" "$dst/blobs/${digest/://}"
    jq -c --arg d "$digest" --argjson s "$size" '.config.digest = $d | .config.size = $s' \
        "$dst/blobs/${manifest/://}" >"$dst/next"
    digest=sha256:$(sha256sum <"$dst/next" | cut -d' ' -f1)
    size=$(stat -c %s "$dst/next")
    mv "$dst/next" "$dst/blobs/${digest/://}"
    jq -c --arg d "$digest" --argjson s "$size" \
        '.manifests[0].digest = $d | .manifests[0].size = $s' "$dst/index.json" >"$dst/next"
    mv "$dst/next" "$dst/index.json"
}

@test "a fetched image is unpacked: its layer trees are cached before it is recorded" {
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox"
    local id=$output
    [[ -d $STORE/trees/${ROOTFS_DIFF_ID/:/-} ]] || fail "no tree for $ROOTFS_DIFF_ID after the fetch"
    # The first run is warm: the front runs it without the engine.
    run_berth -0 --debug run --rm --net=none "$id" true
    assert_not_contains "$stderr" "the engine is needed"
    # The same check sees a run that does need the engine.
    run_berth -0 --debug --insecure-options=image,http run --rm --net=none "docker://$PLAIN/test/busybox" true
    assert_contains "$stderr" "the engine is needed"
}

@test "a layer whose diff_id the config misstates is refused by fetch and run, and nothing is recorded" {
    misstate_diff_id "$FIXTURES/oci-gzip" "$BATS_TEST_TMPDIR/wrong"
    push "$BATS_TEST_TMPDIR/wrong:latest" "$PLAIN/test/wrongdiff:latest" --dest-tls-verify=false
    run_berth -125 --quiet --insecure-options=image,http fetch "docker://$PLAIN/test/wrongdiff"
    assert_one_line_error "$PLAIN.*test/wrongdiff.*diffId mismatch.*rebuild"
    run_berth -125 --quiet --insecure-options=image,http run --rm "docker://$PLAIN/test/wrongdiff" true
    assert_one_line_error "diffId mismatch"
    run_berth -0 image list -q
    [[ -z $output ]] || fail "an image was recorded: $output"
    [[ ! -e $STORE/trees/sha256-$(printf '%064d' 1) ]] || fail "a tree under the misstated diff_id"
    assert_no_staging_left
    assert_store_sane
}

@test "a blob already in the store is not downloaded again" {
    local log=$SERVERS_DIR/plain/log layer before
    layer=$(layer_digest "$FIXTURES/oci-gzip")
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox"
    before=$(blob_gets "$log" test/busybox "$layer")
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox"
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/conc"
    [[ $(blob_gets "$log" test/busybox "$layer") == "$before" ]] || fail "layer fetched again"
    [[ $(blob_gets "$log" test/conc "$layer") == 0 ]] || fail "shared layer fetched again"
}

@test "--pull=new and --pull=never use the store without asking the registry" {
    run_berth -125 --insecure-options=image,http fetch --pull=never "docker://$PLAIN/test/busybox"
    assert_one_line_error "pull=never"
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox"
    local id=$output asked
    asked=$(grep -c 'GET /v2/test/busybox/manifests/' "$SERVERS_DIR/plain/log")
    run_berth -0 --insecure-options=image,http fetch --pull=new "docker://$PLAIN/test/busybox"
    [[ $output == "$id" ]] || fail "got $output"
    run_berth -0 --insecure-options=image,http fetch --pull=never "docker://$PLAIN/test/busybox"
    [[ $output == "$id" ]] || fail "got $output"
    [[ $(grep -c 'GET /v2/test/busybox/manifests/' "$SERVERS_DIR/plain/log") == "$asked" ]] ||
        fail "the registry was asked"
}

@test "progress: plain lines without a terminal, only the ID with --quiet" {
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox"
    assert_contains "$stderr" "Fetching sha256:"
    assert_contains "$stderr" "Fetched sha256:"
    run_berth -0 --insecure-options=image,http --quiet fetch "docker://$PLAIN/test/layered"
    [[ -z $stderr ]] || fail "--quiet printed: $stderr"
    assert_image_id "$output"
}

@test "a corrupted blob is refused and leaves nothing in the store" {
    start_registry corrupt
    local reg=127.0.0.1:$REGISTRY_PORT layer data
    push "$FIXTURES/oci-gzip:latest" "$reg/test/busybox:latest" --dest-tls-verify=false
    layer=$(layer_digest "$FIXTURES/oci-gzip")
    data=$SERVERS_DIR/corrupt/data/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data
    [[ -f $data ]] || fail "no blob at $data"
    # Same size, different bytes in the middle.
    printf 'CORRUPT' | dd of="$data" bs=1 seek=4096 conv=notrunc status=none
    # --quiet: the progress lines before the failure are not what is tested.
    run_berth -125 --quiet --insecure-options=image,http fetch "docker://$reg/test/busybox"
    assert_one_line_error "$reg.*test/busybox.*digest mismatch.*HTTP 200.*try again"
    [[ ! -e $STORE/blobs/${layer/://} ]] || fail "corrupted blob stored"
    assert_no_staging_left
    assert_store_sane
}

@test "a server stopped mid-blob and back a moment later: the fetch resumes and succeeds" {
    local layer
    layer=$(layer_digest "$FIXTURES/oci-gzip")
    # The layer is about 1 MB: cut the connection after 300 kB of it and
    # refuse connections for 1.5 s, as a restarting registry does.
    start_fault_proxy cutter "${PLAIN#*:}" 300000 1.5
    run_berth -0 --debug --insecure-options=image,http fetch "docker://127.0.0.1:$PROXY_PORT/test/busybox"
    [[ ${lines[-1]} == "$(layout_id "$FIXTURES/oci-gzip")" ]] || fail "ID ${lines[-1]}"
    grep -q cut "$SERVERS_DIR/cutter.log" || fail "the proxy never cut the transfer"
    assert_contains "$stderr" "resuming at byte"
    [[ -f $STORE/blobs/${layer/://} ]] || fail "layer missing"
    assert_store_sane
    assert_no_staging_left
}

@test "a registry restarted between two fetches is used again" {
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox"
    restart_registry plain
    run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/layered"
}

@test "twenty simultaneous fetches of one image: one download per blob, all succeed" {
    local log=$SERVERS_DIR/plain/log layer config i expected
    layer=$(layer_digest "$FIXTURES/oci-gzip")
    expected=$(layout_id "$FIXTURES/oci-gzip")
    config=$expected
    [[ $(blob_gets "$log" test/conc "$layer") == 0 ]] || skip "test/conc was fetched before"
    berth_concurrently 20 --quiet --insecure-options=image,http fetch "docker://$PLAIN/test/conc"
    [[ $FAILED == 0 ]] || fail "$FAILED fetches failed"
    for ((i = 0; i < 20; i++)); do
        [[ $(cat "$BATS_TEST_TMPDIR/out.$i") == "$expected" ]] || fail "fetch $i printed another ID"
    done
    [[ $(blob_gets "$log" test/conc "$layer") == 1 ]] ||
        fail "layer served $(blob_gets "$log" test/conc "$layer") times"
    [[ $(blob_gets "$log" test/conc "$config") == 1 ]] ||
        fail "config served $(blob_gets "$log" test/conc "$config") times"
    assert_store_sane
    assert_no_staging_left
}

@test "nothing listening: one line naming the address, after bounded retries" {
    local port
    port=$(free_port)
    run_berth -125 "$INSECURE" fetch "docker://127.0.0.1:$port/test/busybox"
    assert_one_line_error "cannot connect to 127.0.0.1:$port"
    assert_no_staging_left
}

@test "a berth killed mid-blob: the next fetch resumes the blob with Range from the bytes on disk" {
    local log=$SERVERS_DIR/plain/log partial size kept
    kill_mid_blob test/big
    partial=$(partial_of "$LAYER")
    kept=$(stat -c %s "$partial")
    size=$(stat -c %s "$BIG/blobs/${LAYER/://}")
    # What the crash left is no image and no blob.
    run_berth -0 image list
    assert_not_contains "$output" "test/big"
    [[ ! -e $STORE/blobs/${LAYER/://} ]] || fail "a half blob under its final name"

    run_berth -0 --debug --insecure-options=image,http fetch "docker://127.0.0.1:$PROXY_PORT/test/big"
    [[ ${lines[-1]} == "$(layout_id "$BIG")" ]] || fail "ID ${lines[-1]}"
    assert_contains "$stderr" "$kept bytes from an earlier fetch"
    # The registry served the rest, and only the rest, once, as a 206.
    grep -q "\"GET /v2/test/big/blobs/$LAYER HTTP/1.1\" 206 $((size - kept)) " "$log" ||
        fail "no 206 of the last $((size - kept)) bytes in the access log: $(grep "blobs/$LAYER" "$log")"
    [[ $(blob_gets "$log" test/big "$LAYER" 206) == 1 ]] || fail "resumed more than once"
    # (The killed request is logged as a 200 cut short, whenever it ends.)
    [[ $(whole_gets "$log" test/big "$LAYER" "$size") == 0 ]] || fail "the whole blob was fetched again"
    cmp "$STORE/blobs/${LAYER/://}" "$BIG/blobs/${LAYER/://}" || fail "the stored blob differs"
    [[ ! -e $partial ]] || fail "the partial is still there"
    assert_no_staging_left
    assert_store_sane
}

@test "a partial from a killed berth that fails the digest is discarded and fetched again whole" {
    local log=$SERVERS_DIR/plain/log partial size
    kill_mid_blob test/big-bad
    partial=$(partial_of "$LAYER")
    size=$(stat -c %s "$BIG/blobs/${LAYER/://}")
    # The bytes on disk go bad (a disk error, a crash of the machine).
    printf 'GARBAGE' | dd of="$partial" bs=1 seek=100000 conv=notrunc status=none
    run_berth -0 --insecure-options=image,http fetch "docker://127.0.0.1:$PROXY_PORT/test/big-bad"
    [[ ${lines[-1]} == "$(layout_id "$BIG")" ]] || fail "ID ${lines[-1]}"
    assert_contains "$stderr" "do not verify"
    [[ $(blob_gets "$log" test/big-bad "$LAYER" 206) == 1 ]] || fail "no resume was tried"
    [[ $(whole_gets "$log" test/big-bad "$LAYER" "$size") == 1 ]] || fail "not fetched again whole"
    cmp "$STORE/blobs/${LAYER/://}" "$BIG/blobs/${LAYER/://}" || fail "the stored blob differs"
    assert_no_staging_left
    assert_store_sane
}

@test "credHelpers and credsStore: docker-credential-NAME get is asked, with the registry on stdin" {
    trust_test_ca "$SECURE"
    local bin=$BATS_TEST_TMPDIR/bin
    mkdir -p "$bin"
    export HELPER_LOG=$BATS_TEST_TMPDIR/helper.log
    # Real helper programs, speaking the protocol Docker's helpers speak.
    # shellcheck disable=SC2016 # the helper's own variables, expanded when it runs
    printf '%s\n' '#!/bin/sh' \
        '[ "$1" = get ] || { echo "unexpected action $1" >&2; exit 2; }' \
        'read -r server' \
        'echo "$server" >>"$HELPER_LOG"' \
        'printf '"'"'{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}\n'"'"' "$server"' \
        >"$bin/docker-credential-berthtest"
    printf '%s\n' '#!/bin/sh' 'echo "credentials not found in native keychain"' 'exit 1' \
        >"$bin/docker-credential-empty"
    printf '%s\n' '#!/bin/sh' 'echo "the keyring is locked" >&2' 'exit 3' \
        >"$bin/docker-credential-broken"
    chmod +x "$bin"/docker-credential-*
    export PATH=$bin:$PATH

    mkdir -p "$HOME/.docker"
    jq -n --arg r "$SECURE" '{credHelpers: {($r): "berthtest"}}' >"$HOME/.docker/config.json"
    fetch "docker://$SECURE/test/busybox"
    [[ $(cat "$HELPER_LOG") == "$SECURE" ]] || fail "the helper was asked for: $(cat "$HELPER_LOG")"

    # credsStore in auth.json: the default helper for every registry.
    rm -rf "$HOME/.docker" "$STORE" "$HELPER_LOG"
    mkdir -p "$XDG_RUNTIME_DIR/containers"
    echo '{"credsStore": "berthtest"}' >"$XDG_RUNTIME_DIR/containers/auth.json"
    fetch "docker://$SECURE/test/busybox"
    [[ $(cat "$HELPER_LOG") == "$SECURE" ]] || fail "the store was asked for: $(cat "$HELPER_LOG")"

    # A helper with nothing stored lets the search go on: to the 401.
    rm -rf "$STORE"
    echo '{"credsStore": "empty"}' >"$XDG_RUNTIME_DIR/containers/auth.json"
    run_berth -125 "$INSECURE" fetch "docker://$SECURE/test/busybox"
    assert_one_line_error "$SECURE.*401.*berth login $SECURE"

    # A failing helper is one line naming it and what it said.
    jq -n --arg r "$SECURE" '{credHelpers: {($r): "broken"}}' \
        >"$XDG_RUNTIME_DIR/containers/auth.json"
    run_berth -125 "$INSECURE" fetch "docker://$SECURE/test/busybox"
    assert_one_line_error "docker-credential-broken.*$SECURE.*exit status 3: the keyring is locked"
    jq -n --arg r "$SECURE" '{credHelpers: {($r): "absent"}}' \
        >"$XDG_RUNTIME_DIR/containers/auth.json"
    run_berth -125 "$INSECURE" fetch "docker://$SECURE/test/busybox"
    assert_one_line_error "docker-credential-absent.*cannot run"
    assert_no_staging_left
}

@test "on a terminal: a bar per layer with bytes, rate and ETA, and a total" {
    command -v script >/dev/null || skip "script (bsdutils) is not installed"
    local out=$BATS_TEST_TMPDIR/tty.out layer script_pid berth_pid i
    push "$BIG:latest" "$PLAIN/test/big-tty:latest" --dest-tls-verify=false
    layer=$(layer_digest "$BIG")
    # Held silent mid-blob, the bar must show a rate and an ETA, not "done".
    start_stall_proxy stall-tty "${PLAIN#*:}" $((4 << 20))
    script -qefc "exec $BERTH --root $STORE --insecure-options=image,http fetch docker://127.0.0.1:$PROXY_PORT/test/big-tty" \
        /dev/null >"$out" 2>&1 </dev/null &
    script_pid=$!
    for ((i = 0; i < 600; i++)); do
        grep -aq "ETA" "$out" && grep -q stalled "$SERVERS_DIR/stall-tty.log" && break
        kill -0 "$script_pid" 2>/dev/null || break
        sleep 0.1
    done
    berth_pid=$(ps -o pid= --ppid "$script_pid" | tr -d ' ')
    [[ -n $berth_pid ]] && kill -9 "$berth_pid"
    wait "$script_pid" || true
    echo "terminal output: $(cat -v "$out")"
    grep -aq $'\e\[K' "$out" || fail "no terminal control sequences: not drawn as bars"
    grep -aEq "sha256:${layer:7:12} +\[=*>? *\] +[0-9.]+ MiB / 24\.0 MiB [0-9.]+ [KMG]?i?B/s ETA [0-9]+s" "$out" ||
        fail "no bar with bytes, rate and ETA for the layer"
    grep -aEq "total +\[" "$out" || fail "no total bar"

    # A whole fetch of a layered image: one full bar per layer, then the total.
    script -qefc "$BERTH --root $STORE --insecure-options=image,http fetch docker://$PLAIN/test/layered" \
        /dev/null >"$out" 2>&1 </dev/null
    local manifest n=0 l
    manifest=$(jq -r '.manifests[0].digest' "$FIXTURES/oci-layered/index.json")
    for l in $(jq -r '.layers[].digest' "$FIXTURES/oci-layered/blobs/${manifest/://}"); do
        grep -aEq "sha256:${l:7:12} +\[=+\]" "$out" || fail "no full bar for $l: $(cat -v "$out")"
        n=$((n + 1))
    done
    ((n >= 2)) || fail "the layered fixture has $n layers"
    grep -aEq "total +\[=+\]" "$out" || fail "no full total bar"
    grep -aq "$(layout_id "$FIXTURES/oci-layered")" "$out" || fail "no image ID"
}

@test "a server that accepts and never answers: one line saying so, within --timeout and retries" {
    start_silent_server silent
    run_berth -125 "$INSECURE" fetch --timeout=1 "docker://127.0.0.1:$SILENT_PORT/test/busybox"
    assert_one_line_error "registry 127.0.0.1:$SILENT_PORT: .*test/busybox.*timed out.*no HTTP answer.*--timeout"
    grep -q accepted "$SERVERS_DIR/silent.log" || fail "berth never connected"
    assert_no_staging_left
}

@test "a name that does not resolve: one line naming the host" {
    run_berth -125 "$INSECURE" fetch --timeout=5 "docker://no-such-registry.invalid/test/busybox"
    assert_one_line_error "no-such-registry.invalid.*test/busybox.*cannot resolve host"
}

@test "403 and an unsupported manifest media type: one line with registry, reference, status and remedy" {
    local www=$BATS_TEST_TMPDIR/www reg
    mkdir -p "$www/v2/test/denied/manifests" "$www/v2/test/odd/manifests"
    # A registry's own words for both, served over TLS by a test server.
    echo '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}' \
        >"$www/v2/test/denied/manifests/latest"
    echo 403 >"$www/v2/test/denied/manifests/latest.status"
    echo '{"schemaVersion":2}' >"$www/v2/test/odd/manifests/latest"
    echo application/vnd.example.thing+json >"$www/v2/test/odd/manifests/latest.content-type"
    start_https_server fake-registry "$www"
    reg=127.0.0.1:$HTTPS_PORT
    trust_test_ca "$reg"
    run_berth -125 "$INSECURE" fetch "docker://$reg/test/denied"
    assert_one_line_error "registry $reg: $reg/test/denied:latest: HTTP 403 DENIED.*no pull access to test/denied"
    run_berth -125 "$INSECURE" fetch "docker://$reg/test/odd"
    assert_one_line_error "registry $reg: $reg/test/odd:latest: HTTP 200 with unsupported manifest media type 'application/vnd.example.thing\+json'.*push the image"
    assert_no_staging_left
}
