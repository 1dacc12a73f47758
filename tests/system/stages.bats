#!/usr/bin/env bats
# Stage isolation (docs/architecture.md): fetch, verify and render each run in
# a forked process that sandboxes itself first. With a build that has the
# test-only fault hooks (-Dfault_hooks=true, as contrib/test.sh builds),
# BERTH_FAULT=STAGE makes that stage, after its sandbox is applied, attempt
# what it must not do and print each errno:
#   fetch  writes $HOME/.bashrc and reads a trusted key file
#   verify connects to a live TCP listener on 127.0.0.1 and writes the store
#   render writes into the store outside its tree
# Each attempt must fail (EACCES from Landlock for files, EPERM from seccomp
# for an inet socket), the command must still succeed, and nothing may have
# been written. The fault tests skip when berth has no fault hooks or the
# kernel has no Landlock (berth info says which).
# requires: unprivileged subids userns docker-registry skopeo gpg python3 curl jq
# shellcheck disable=SC2154,SC2030,SC2031 # bats sets status/output/stderr; each @test is a subshell

load helpers
# shellcheck source=/dev/null # tests/fixtures/registry/servers.bash
source "$BERTH_SOURCE_ROOT/tests/fixtures/registry/servers.bash"

setup_file() {
    make_fixtures
    make_test_keys
    servers_init "$BATS_FILE_TMPDIR/servers"
    start_registry plain
    PLAIN=$REGISTRY
    push "$FIXTURES/oci-gzip:latest" "$PLAIN/test/busybox:latest" --dest-tls-verify=false
    export PLAIN SERVERS_DIR
}

teardown_file() {
    stop_servers
    stop_test_keys
}

setup() {
    use_fetch_env
    printf '# the test user'"'"'s own .bashrc\n' >"$HOME/.bashrc"
    unset BERTH_FAULT BERTH_FAULT_WRITE BERTH_FAULT_READ BERTH_FAULT_CONNECT
}

# require_fault_hooks: skip unless this berth has fault hooks and the kernel
# Landlock (without it the file attempts would succeed, by design: berth
# runs the stages with what the kernel has and says so).
require_fault_hooks() {
    run_berth -0 info
    [[ $output == *"fault hooks: compiled in"* ]] ||
        skip "berth was built without -Dfault_hooks=true"
    [[ $output == *"landlock: ABI"* ]] ||
        skip "the kernel has no Landlock: $(grep -A1 '^landlock:' <<<"$output" | tr '\n' ' ')"
}

# assert_fault STAGE ACTION TARGET ERRNAME...: stderr holds the hook's line
# for that attempt, failed with one of the errno names.
assert_fault() {
    local stage=$1 action=$2 target=$3 line
    shift 3
    line=$(grep -F "fault-hook $stage $action $target: " <<<"$stderr") ||
        fail "no fault-hook line for $stage $action $target"
    local name
    for name in "$@"; do
        [[ $line == *": $name ("* ]] && return 0
    done
    fail "expected $* for $stage $action, got: $line"
}

# trusted_key_file: the file berth trust stored for the good key.
trusted_key_file() {
    find "$XDG_CONFIG_HOME/berth/trustedkeys" -type f | head -1
}

@test "berth info reports each stage's protections and the Landlock ABI" {
    run_berth -0 info
    local stage
    for stage in fetch verify render run; do
        grep -qE "^  $stage: no_new_privs" <<<"$output" || fail "no line for the $stage stage"
    done
    grep -qE '^  verify: .*(empty network namespace|inet sockets denied)' <<<"$output" ||
        fail "verify's network isolation is not reported"
    grep -qE '^  fetch: .*network allowed' <<<"$output" || fail "fetch's network is not reported"
    grep -qE '^landlock: (ABI [0-9]+|none .*)$' <<<"$output" || fail "no landlock line"
    if [[ $output == *"landlock: none"* ]]; then
        grep -q 'remedy:' <<<"$output" || fail "Landlock is missing and no remedy is given"
    fi
}

@test "fetch stage: writing ~/.bashrc and reading a trusted key are denied; the fetch succeeds" {
    require_fault_hooks
    run_berth -0 trust --skip-fingerprint-review --prefix example.com "$KEYS/good.asc"
    local key before
    key=$(trusted_key_file)
    [[ -f $key && -r $key ]] || fail "berth trust stored no key file"
    before=$(sha256sum <"$HOME/.bashrc")
    BERTH_FAULT=fetch BERTH_FAULT_READ=$key \
        run_berth -0 --insecure-options=image,http fetch "docker://$PLAIN/test/busybox:latest"
    assert_fault fetch write "$HOME/.bashrc" EACCES
    assert_fault fetch read "$key" EACCES
    [[ $(sha256sum <"$HOME/.bashrc") == "$before" ]] || fail "the fetch stage changed ~/.bashrc"
    run_berth -0 image list
    [[ $output == *"test/busybox"* ]] || fail "the image was not stored"
    run_berth -0 "$INSECURE" run "docker://$PLAIN/test/busybox:latest" true
}

@test "verify stage: a TCP connection to a live 127.0.0.1 listener and a store write are denied; the verdict stands" {
    require_fault_hooks
    # The registry answers from outside the stage: a refusal inside is the sandbox.
    curl -fsS "http://$PLAIN/v2/" >/dev/null || fail "the registry does not answer"
    local aci=$BATS_TEST_TMPDIR/busybox.aci
    cp "$FIXTURES/busybox-gz.aci" "$aci"
    sh "$KEYS_SH" sign "$KEYS" good detach "$aci" "$aci.asc"
    run_berth -0 trust --skip-fingerprint-review --prefix example.com/busybox "$KEYS/good.asc"
    BERTH_FAULT=verify BERTH_FAULT_CONNECT=${PLAIN##*:} BERTH_FAULT_WRITE=$STORE/written-by-verify \
        run_berth -0 fetch "$aci"
    [[ $output == "$ACI_ID" ]] || fail "fetch printed '$output'"
    assert_fault verify connect "127.0.0.1:${PLAIN##*:}" EPERM EACCES
    assert_fault verify write "$STORE/written-by-verify" EACCES
    [[ ! -e $STORE/written-by-verify ]] || fail "the verify stage wrote into the store"
    # A bad signature is still refused with the stage sandboxed.
    cp "$FIXTURES/busybox-gz.aci" "$aci"
    printf 'tampered' >>"$aci"
    rm -rf "$STORE"
    BERTH_FAULT=verify run_berth -125 fetch "$aci"
}

@test "render stage: a write outside its tree is denied; the tree renders and the app runs" {
    require_fault_hooks
    fetch "oci:$FIXTURES/oci-gzip"
    local image=$IMAGE_ID before
    before=$(sha256sum <"$HOME/.bashrc")
    BERTH_FAULT=render BERTH_FAULT_WRITE=$STORE/written-by-render \
        run_berth -0 "$INSECURE" run "$image" sh -c 'test -x /bin/busybox && echo rendered'
    [[ $output == rendered ]] || fail "the app printed '$output'"
    assert_fault render write "$STORE/written-by-render" EACCES
    [[ ! -e $STORE/written-by-render ]] || fail "the render stage wrote outside its tree"
    # The default target, ~/.bashrc, too, in a second store (so the tree is
    # rendered again).
    STORE=$BATS_TEST_TMPDIR/store2
    fetch "oci:$FIXTURES/oci-gzip"
    BERTH_FAULT=render run_berth -0 "$INSECURE" run "$image" true
    assert_fault render write "$HOME/.bashrc" EACCES
    [[ $(sha256sum <"$HOME/.bashrc") == "$before" ]] || fail "the render stage changed ~/.bashrc"
}

@test "without BERTH_FAULT no stage prints a fault-hook line" {
    fetch "oci:$FIXTURES/oci-gzip"
    run_berth -0 "$INSECURE" run "$IMAGE_ID" true
    [[ $stderr != *fault-hook* ]] || fail "a hook ran unasked: $stderr"
}
