#!/usr/bin/env bats
# appc pods (issue 3, item 10): AC_APP_NAME, AC_METADATA_URL and the per-pod
# metadata service served by berth itself, appc volumes, --pod-manifest, and
# the appc ACE validator.
# requires: unprivileged subids userns
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run
# shellcheck disable=SC2016 # single quotes keep $VARS for the app's shell

load helpers

# The app-side script prefix: $u is the metadata API root.
API='u=$AC_METADATA_URL/acMetadata/v1'

@test "an ACI app gets AC_APP_NAME and a token AC_METADATA_URL" {
    run_berth -0 "$INSECURE" run --rm "$FIXTURES/busybox.aci" \
        /bin/sh -c 'echo "$AC_APP_NAME $AC_METADATA_URL"'
    [[ $output =~ ^busybox\ http://127\.0\.0\.1:[0-9]+/[0-9a-f]{48}$ ]] ||
        fail "unexpected: $output"
}

@test "the metadata service tells the app its pod UUID, manifest and image ID" {
    run_berth -0 "$INSECURE" run --rm "$FIXTURES/busybox.aci" /bin/sh -c "$API"'
        wget -q -O - "$u/pod/uuid"; echo
        wget -q -O - "$u/apps/$AC_APP_NAME/image/id"; echo
        wget -q -O - "$u/pod/manifest" | grep -o "\"acKind\":\"PodManifest\""
        wget -q -O - "$u/apps/$AC_APP_NAME/image/manifest" | grep -o "example.com/busybox" | head -1'
    [[ ${lines[0]} =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
        fail "not a UUID: ${lines[0]}"
    [[ ${lines[1]} == "$ACI_ID" ]] || fail "image id ${lines[1]}, want $ACI_ID"
    [[ ${lines[2]} == '"acKind":"PodManifest"' ]] || fail "no pod manifest: ${lines[2]}"
    [[ ${lines[3]} == example.com/busybox ]] || fail "no image manifest: ${lines[3]}"
}

@test "without the token the metadata service answers 401" {
    run_berth -0 "$INSECURE" run --rm "$FIXTURES/busybox.aci" /bin/sh -c '
        base=${AC_METADATA_URL%/*}
        wget -q -O - "$base/acMetadata/v1/pod/uuid" 2>&1 && echo LEAKED
        wget -O /dev/null "$base/wrongtoken/acMetadata/v1/pod/uuid" 2>&1 | grep -o 401 | head -1'
    assert_not_contains "$output" LEAKED
    assert_contains "$output" 401
}

@test "HMAC sign and verify round-trip in the pod; a changed content is refused" {
    run_berth -0 "$INSECURE" run --rm "$FIXTURES/busybox.aci" /bin/sh -c "$API"'
        sig=$(wget -q -O - --post-data "content=Old+MacDonald" "$u/pod/hmac/sign")
        uuid=$(wget -q -O - "$u/pod/uuid")
        enc=$(printf %s "$sig" | sed "s/+/%2B/g; s|/|%2F|g; s/=/%3D/g")
        echo "length ${#sig}"
        wget -q -O /dev/null --post-data "content=Old+MacDonald&uuid=$uuid&signature=$enc" \
            "$u/pod/hmac/verify" && echo verified
        wget -q -O /dev/null --post-data "content=Old+McDonald&uuid=$uuid&signature=$enc" \
            "$u/pod/hmac/verify" || echo refused'
    assert_contains "$output" "length 88"
    assert_contains "$output" verified
    assert_contains "$output" refused
}

@test "an app's malformed or non-canonical HMAC signature is refused, and the service goes on" {
    run_berth -0 "$INSECURE" run --rm "$FIXTURES/busybox.aci" /bin/sh -c "$API"'
        uuid=$(wget -q -O - "$u/pod/uuid")
        sig=$(wget -q -O - --post-data "content=x" "$u/pod/hmac/sign")
        # The same bytes with a non-zero bit where the padding is: the
        # last character before "==" moved by one.
        last=$(printf %s "$sig" | cut -c86)
        next=$(printf %s "$last" | tr "A-Za-z0-9+/" "B-Za-z0-9+/A")
        bent=$(printf %s "$sig" | cut -c1-85)$next==
        for s in "not base64" "$bent" "$(printf %s "$sig" | cut -c1-86)" ""; do
            enc=$(printf %s "$s" | sed "s/+/%2B/g; s|/|%2F|g; s/=/%3D/g; s/ /+/g")
            wget -q -O /dev/null --post-data "content=x&uuid=$uuid&signature=$enc" \
                "$u/pod/hmac/verify" && echo "ACCEPTED $s"
        done
        enc=$(printf %s "$sig" | sed "s/+/%2B/g; s|/|%2F|g; s/=/%3D/g")
        wget -q -O /dev/null --post-data "content=x&uuid=$uuid&signature=$enc" \
            "$u/pod/hmac/verify" && echo "still verifies"'
    assert_not_contains "$output" ACCEPTED
    assert_contains "$output" "still verifies"
}

@test "a malformed --volume is berth's error 125, naming the option" {
    run_berth -125 "$INSECURE" run --rm --volume data,kind=host "$FIXTURES/busybox.aci" true
    assert_one_line_error "data,kind=host.*source"
    run_berth -125 "$INSECURE" run --rm --volume data,kind=empty,color=red "$FIXTURES/busybox.aci" true
    assert_one_line_error "color"
}

@test "a pod manifest runs two apps of one image sharing an empty volume" {
    fetch "$FIXTURES/busybox.aci"
    local manifest=$BATS_TEST_TMPDIR/pod.json
    cat >"$manifest" <<EOF
{"acVersion": "0.8.11", "acKind": "PodManifest",
 "apps": [
  {"name": "writer", "image": {"id": "$ACI_ID"},
   "app": {"exec": ["/bin/sh", "-c", "echo shared >/data/note"], "user": "0", "group": "0"},
   "mounts": [{"volume": "data", "path": "/data"}]},
  {"name": "reader", "image": {"id": "$ACI_ID"},
   "app": {"exec": ["/bin/sh", "-c",
                    "i=0; while [ ! -s /data/note ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i+1)); done; echo \"\$AC_APP_NAME read \$(cat /data/note)\""],
           "user": "0", "group": "0"},
   "mounts": [{"volume": "data", "path": "/data"}]}],
 "volumes": [{"name": "data", "kind": "empty", "mode": "0777"}],
 "annotations": [{"name": "team", "value": "ops"}]}
EOF
    run_berth -0 run --rm --pod-manifest "$manifest"
    assert_contains "$output" "reader read shared"
}

@test "a host volume fills an app's volume by name, read-only when asked" {
    local src=$BATS_TEST_TMPDIR/host-data
    mkdir -p "$src"
    echo from-host >"$src/file"
    fetch "$FIXTURES/busybox.aci"
    local manifest=$BATS_TEST_TMPDIR/pod.json
    cat >"$manifest" <<EOF
{"acVersion": "0.8.11", "acKind": "PodManifest",
 "apps": [{"name": "app", "image": {"id": "$ACI_ID"},
   "app": {"exec": ["/bin/sh", "-c", "cat /mnt/file; touch /mnt/new 2>/dev/null && echo WRITABLE || echo read-only"],
           "user": "0", "group": "0",
           "mountPoints": [{"name": "data", "path": "/mnt", "readOnly": true}]}}],
 "volumes": []}
EOF
    run_berth -0 run --rm --volume "data,kind=host,source=$src" --pod-manifest "$manifest"
    assert_contains "$output" from-host
    assert_contains "$output" read-only
    [[ ! -e $src/new ]] || fail "the read-only volume was written"
}

@test "the appc ACE validator passes" {
    local script=${ACE_VALIDATE:-$BERTH_SOURCE_ROOT/../shared/conformance/ace-validate.sh}
    [[ -f $script ]] || skip "no ACE validator script at $script (set ACE_VALIDATE)"
    [[ -d /usr/share/gocode/src/github.com/appc/spec/ace ]] && command -v go >/dev/null ||
        skip "needs golang-go and golang-github-appc-spec-dev"
    # The validator binaries are cached with the fixtures; the run's store is the test's.
    local out=$FIXTURES/ace
    mkdir -p "$out"
    run bash "$script" "$out" "$BERTH" --root "$STORE" run --insecure-options=image
    echo "$output"
    assert_contains "$output" "ACE validator verdict: PASS"
}
