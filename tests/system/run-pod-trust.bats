#!/usr/bin/env bats
# berth run --pod-manifest checks the trust of every image the manifest
# names, as `berth run IMAGE` does (issue 3): an image stored as verified by
# a key runs only while that key is trusted for its name, unless
# --insecure-options=image.
# requires: unprivileged subids userns gpg
# shellcheck disable=SC2154 # bats sets status/output/stderr

load helpers

setup_file() {
    make_fixtures
    make_test_keys
}

teardown_file() {
    stop_test_keys
}

setup() {
    use_run_env
}

# pod_manifest IMAGE-JSON: a one-app pod manifest naming the image so.
pod_manifest() {
    MANIFEST=$BATS_TEST_TMPDIR/pod.json
    cat >"$MANIFEST" <<EOF
{"acVersion": "0.8.11", "acKind": "PodManifest",
 "apps": [{"name": "app", "image": $1,
   "app": {"exec": ["/bin/sh", "-c", "echo ran"], "user": "0", "group": "0"}}]}
EOF
}

@test "--pod-manifest: an image whose key is no longer trusted refuses to run" {
    local aci=$BATS_TEST_TMPDIR/busybox.aci
    cp "$FIXTURES/busybox-gz.aci" "$aci"
    sh "$KEYS_SH" sign "$KEYS" good detach "$aci" "$aci.asc"
    run_berth -0 trust --skip-fingerprint-review --prefix example.com/busybox "$KEYS/good.asc"
    run_berth -0 fetch "$aci"
    local id
    id=$(printf '%s\n' "$output" | sed '/^[[:space:]]*$/d' | tail -1)
    assert_image_id "$id"

    # Trusted: runs, by ID and by name.
    pod_manifest "{\"id\": \"$id\"}"
    run_berth -0 run --rm --pod-manifest "$MANIFEST"
    [[ $output == ran ]] || fail "got '$output'"
    pod_manifest '{"name": "example.com/busybox"}'
    run_berth -0 run --rm --pod-manifest "$MANIFEST"

    run_berth -0 trust rm "$(cat "$KEYS/good.fpr")"
    local image
    for image in "{\"id\": \"$id\"}" '{"name": "example.com/busybox"}'; do
        pod_manifest "$image"
        run_berth -125 run --rm --pod-manifest "$MANIFEST"
        assert_one_line_error "no longer trusted"
        assert_contains "$stderr" "$(cat "$KEYS/good.fpr")"
    done
    # The refusals left no pod behind.
    [[ -z $(find "$STORE/pods" -mindepth 2 -maxdepth 2 2>/dev/null) ]] || fail "a pod was left"

    # The user may still take the image as it is.
    run_berth -0 "$INSECURE" run --rm --pod-manifest "$MANIFEST"
    [[ $output == ran ]] || fail "got '$output'"
}

@test "--pod-manifest: an image stored with --insecure-options=image runs, as with berth run" {
    run_berth -0 "$INSECURE" fetch "$FIXTURES/busybox.aci"
    local id
    id=$(printf '%s\n' "$output" | sed '/^[[:space:]]*$/d' | tail -1)
    pod_manifest "{\"id\": \"$id\"}"
    run_berth -0 run --rm --pod-manifest "$MANIFEST"
    [[ $output == ran ]] || fail "got '$output'"
}
