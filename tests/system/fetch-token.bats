#!/usr/bin/env bats
# Registry tokens that run out mid-pull, and where credentials live (issue 6,
# fetch stage). A docker-registry sits behind token_proxy.py, which speaks
# Bearer token auth with tokens good for one blob download each: the config
# blob, fetched by stage0, uses up the first token, so the layer download in
# the fetch stage gets a 401 and must fetch a new token there. The stage may
# not execute programs nor read the credential files: the username and
# password come from a credential helper that stage0 runs before the fork.
# requires: unprivileged docker-registry skopeo python3 curl jq
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run

load helpers
# shellcheck source=/dev/null # tests/fixtures/registry/servers.bash
source "$BERTH_SOURCE_ROOT/tests/fixtures/registry/servers.bash"

setup_file() {
    bash "$BERTH_SOURCE_ROOT/tests/fixtures/make-busybox-images.sh" "$FIXTURES" >&3 2>&1
    servers_init "$BATS_FILE_TMPDIR/servers"
    start_registry plain
    local plain=127.0.0.1:$REGISTRY_PORT
    push "$FIXTURES/oci-gzip:latest" "$plain/test/busybox:latest" --dest-tls-verify=false
    TOKEN_LOG=$SERVERS_DIR/token.log
    rm -f "$SERVERS_DIR/token.port"
    python3 "$BERTH_SOURCE_ROOT/tests/fixtures/registry/token_proxy.py" --target "$REGISTRY_PORT" \
        --user alice --password s3cret --port-file "$SERVERS_DIR/token.port" \
        --log "$TOKEN_LOG" >>"$SERVERS_DIR/token.out" 2>&1 3>&- &
    echo $! >>"$SERVERS_DIR/pids"
    wait_for_file "$SERVERS_DIR/token.port"
    TOKEN_REGISTRY=127.0.0.1:$(cat "$SERVERS_DIR/token.port")
    export SERVERS_DIR TOKEN_LOG TOKEN_REGISTRY
}

teardown_file() {
    stop_servers
}

setup() {
    # shellcheck disable=SC2034 # read by run_berth (helpers.bash)
    STORE=$BATS_TEST_TMPDIR/store
    export XDG_DATA_HOME=$BATS_TEST_TMPDIR/xdg-data
    export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/xdg-config
    export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
    export HOME=$BATS_TEST_TMPDIR/home
    mkdir -p "$XDG_RUNTIME_DIR" "$HOME"
    chmod 0700 "$XDG_RUNTIME_DIR"
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
    unset BERTH_FAULT BERTH_FAULT_WRITE BERTH_FAULT_READ BERTH_FAULT_CONNECT
    # shellcheck source=/dev/null
    source "$FIXTURES/fixtures.env"
    : >"$TOKEN_LOG"

    # A real credential helper, logging each time it is asked.
    local bin=$BATS_TEST_TMPDIR/bin
    mkdir -p "$bin"
    export HELPER_LOG=$BATS_TEST_TMPDIR/helper.log
    # shellcheck disable=SC2016 # the helper's own variables, expanded when it runs
    printf '%s\n' '#!/bin/sh' \
        '[ "$1" = get ] || exit 2' \
        'read -r server' \
        'echo "$server" >>"$HELPER_LOG"' \
        'printf '"'"'{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}\n'"'"' "$server"' \
        >"$bin/docker-credential-berthtest"
    chmod +x "$bin/docker-credential-berthtest"
    export PATH=$bin:$PATH
    mkdir -p "$HOME/.docker"
    jq -n --arg r "$TOKEN_REGISTRY" '{credHelpers: {($r): "berthtest"}}' \
        >"$HOME/.docker/config.json"
}

# blob_401_then_served: the token log shows a blob refused for an expired
# token, then a new token, then that blob served; sets BLOB_PATH.
blob_401_then_served() {
    cat "$TOKEN_LOG"
    BLOB_PATH=$(sed -n 's/^expired \(.*\/blobs\/.*\)$/\1/p' "$TOKEN_LOG" | head -1)
    [[ -n $BLOB_PATH ]] || fail "no blob download met an expired token"
    sed -n "\\|^expired $BLOB_PATH\$|,\$p" "$TOKEN_LOG" | grep -qx token ||
        fail "no new token after the 401 on $BLOB_PATH"
    sed -n "\\|^expired $BLOB_PATH\$|,\$p" "$TOKEN_LOG" | grep -Eq "^served 20[06] $BLOB_PATH\$" ||
        fail "$BLOB_PATH was not served after the new token"
}

@test "a token that runs out mid-pull is renewed in the fetch stage with the helper's credentials" {
    run_berth -0 --insecure-options=image,http fetch "docker://$TOKEN_REGISTRY/test/busybox:latest"
    blob_401_then_served
    # The layer, downloaded by the fetch stage, not the config stage0 reads.
    run_berth -0 image inspect "$TOKEN_REGISTRY/test/busybox:latest"
    jq -e --arg d "${BLOB_PATH##*/blobs/}" 'any(.[0].layers[]; .digest == $d)' <<<"$output" \
        >/dev/null || fail "${BLOB_PATH##*/blobs/} is not a layer of the image"
    # Asked once, by stage0, before the stage: the stage ran no program.
    [[ $(wc -l <"$HELPER_LOG") -eq 1 && $(cat "$HELPER_LOG") == "$TOKEN_REGISTRY" ]] ||
        fail "the helper was asked: $(cat "$HELPER_LOG")"
    run_berth -0 --insecure-options=image run --rm "$TOKEN_REGISTRY/test/busybox:latest" true
}

@test "the fetch stage cannot read the credential files, and a token renewal there still works" {
    run_berth -0 info
    [[ $output == *"fault hooks: compiled in"* ]] ||
        skip "berth was built without -Dfault_hooks=true"
    [[ $output == *"landlock: ABI"* ]] || skip "the kernel has no Landlock"
    BERTH_FAULT=fetch BERTH_FAULT_READ=$HOME/.docker/config.json \
        run_berth -0 --insecure-options=image,http fetch "docker://$TOKEN_REGISTRY/test/busybox:latest"
    local line
    line=$(grep -F "fault-hook fetch read $HOME/.docker/config.json: " <<<"$stderr") ||
        fail "no fault-hook line for the read of the credential file"
    [[ $line == *": EACCES ("* ]] || fail "the fetch stage read the credential file: $line"
    blob_401_then_served
}
