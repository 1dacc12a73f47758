#!/usr/bin/env bats
# Simple-signing verification of registry images (issue 5): a real
# docker-registry with TLS on 127.0.0.1, signatures in a lookaside directory
# (file://) or served by the HTTPS test server, or given with --signature.
# The matrix: signed (by a key trusted for the repository, a parent prefix,
# or as root), unsigned, tampered signature, tampered image, wrong key, wrong
# prefix, expired, revoked, unknown critical field, reference moved, and key
# removed after the fetch (run refuses). The per-run digest chain, berth
# image verify, and cross-checks with skopeo (copy --sign-by; a signedBy
# policy), and an ACI over HTTPS refused before its download when its
# signature is missing or untrusted. Keys are made by
# tests/fixtures/keys/keys.sh.
# requires: unprivileged docker-registry skopeo gpg openssl python3 jq
# shellcheck disable=SC2154,SC2030,SC2031 # bats sets status/output/stderr; each @test is a subshell

load helpers
# shellcheck source=/dev/null # tests/fixtures/registry/servers.bash
source "$BERTH_SOURCE_ROOT/tests/fixtures/registry/servers.bash"

setup_file() {
    make_fixtures
    make_test_keys
    servers_init "$BATS_FILE_TMPDIR/servers"
    make_servers_ca
    ACCEPT_POLICY=$SERVERS_DIR/accept.json
    echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$ACCEPT_POLICY"
    start_registry reg tls
    REG=$REGISTRY
    local name
    for name in busybox:oci-gzip layered:oci-layered; do
        skopeo --policy "$ACCEPT_POLICY" copy --quiet --dest-cert-dir "$SERVERS_DIR/push-certs" \
            "oci:$FIXTURES/${name#*:}:latest" "docker://$REG/test/${name%%:*}:latest" >/dev/null
    done
    skopeo --policy "$ACCEPT_POLICY" copy --quiet --all --dest-cert-dir "$SERVERS_DIR/push-certs" \
        "oci:$FIXTURES/oci-index:latest" "docker://$REG/test/multi:latest" >/dev/null
    INDEX_DIGEST=sha256:$(skopeo inspect --raw --cert-dir "$SERVERS_DIR/push-certs" \
        "docker://$REG/test/multi:latest" | sha256sum | cut -d' ' -f1)
    DIGEST=$(manifest_digest test/busybox)
    LAYERED_DIGEST=$(manifest_digest test/layered)
    # The HTTPS lookaside: each test publishes into its own directory here.
    mkdir -p "$SERVERS_DIR/www"
    start_https_server lookaside "$SERVERS_DIR/www"
    LA_PORT=$HTTPS_PORT
    # The same files over plain HTTP.
    start_http_server plain "$SERVERS_DIR/www"
    PLAIN_PORT=$HTTP_PORT
    export SERVERS_DIR ACCEPT_POLICY REG DIGEST LAYERED_DIGEST INDEX_DIGEST LA_PORT PLAIN_PORT
}

teardown_file() {
    stop_servers
    stop_test_keys
}

# manifest_digest REPO: the digest of the manifest the registry serves.
manifest_digest() {
    skopeo inspect --cert-dir "$SERVERS_DIR/push-certs" "docker://$REG/$1:latest" | jq -r .Digest
}

setup() {
    use_fetch_env
    trust_test_ca "$REG"
    trust_test_ca "127.0.0.1:$LA_PORT"
    LA=$BATS_TEST_TMPDIR/lookaside
    IMAGE=docker://$REG/test/busybox:latest
}

trust() {
    run_berth -0 trust --skip-fingerprint-review "$@"
}

# use_lookaside URL: the user's registries.d sends berth (and skopeo) there
# for the test registry.
use_lookaside() {
    mkdir -p "$HOME/.config/containers/registries.d"
    printf 'docker:\n  "%s":\n    lookaside: %s\n' "$REG" "$1" \
        >"$HOME/.config/containers/registries.d/berth-test.yaml"
}

# sign_claim KEY REFERENCE DIGEST OUT [EXTRA]: a simple-signing signature by
# KEY claiming that REFERENCE is the manifest DIGEST; EXTRA is added to the
# critical section as it is (e.g. ',"unknown":1').
sign_claim() {
    local payload=$BATS_TEST_TMPDIR/payload.json
    printf '{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"%s"},"identity":{"docker-reference":"%s"}%s},"optional":{"creator":"berth tests"}}' \
        "$3" "$2" "${5:-}" >"$payload"
    mkdir -p "$(dirname "$4")"
    sh "$KEYS_SH" sign "$KEYS" "$1" message "$payload" "$4"
}

# sig_path DIR REPO DIGEST: where signature-1 of REPO's manifest lives.
sig_path() {
    echo "$1/$2@${3/:/=}/signature-1"
}

# publish KEY [EXTRA]: signature-1 of test/busybox by KEY in $LA, and the
# lookaside configured.
publish() {
    sign_claim "$1" "$REG/test/busybox:latest" "$DIGEST" "$(sig_path "$LA" test/busybox "$DIGEST")" "${2:-}"
    use_lookaside "file://$LA"
}

blob_requests() {
    grep -c -- '/blobs/' "$SERVERS_DIR/reg/log" || true
}

assert_store_empty() {
    run_berth -0 image list --format json
    [[ $(jq length <<<"$output") -eq 0 ]] || fail "a refused image was stored"
}

# fetch_signed: fetch $IMAGE without insecure options; sets IMAGE_ID.
fetch_signed() {
    run_berth -0 fetch "$@" "$IMAGE"
    IMAGE_ID=$output
    assert_image_id "$IMAGE_ID"
}

@test "an unsigned registry image is refused before any download, naming the remedy" {
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "berth trust --prefix $REG/test/busybox"
    assert_contains "$stderr" "--insecure-options=image"
    # A lookaside with nothing in it for this manifest: the same refusal,
    # after the manifest and before any blob.
    mkdir -p "$LA"
    use_lookaside "file://$LA"
    local before
    before=$(blob_requests)
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "berth trust --prefix $REG/test/busybox"
    assert_contains "$stderr" "--insecure-options=image"
    [[ $(blob_requests) -eq $before ]] || fail "blobs were downloaded for a refused image"
    assert_store_empty
    run_berth -0 --insecure-options=image fetch "$IMAGE"
    run_berth -0 image inspect "$output"
    [[ $(jq -r '.[0].verifiedBy' <<<"$output") == insecure ]] || fail "not recorded as insecure"
}

@test "a signed image is fetched with a key trusted for its repository, a parent prefix or root" {
    publish good
    local scope
    for scope in "--prefix $REG/test/busybox" "--prefix $REG" "--root"; do
        rm -rf "$STORE" "$XDG_CONFIG_HOME/berth"
        # shellcheck disable=SC2086 # scope is two words or one
        trust $scope "$KEYS/good.asc"
        fetch_signed
        run_berth -0 image inspect "$IMAGE_ID"
        [[ $(jq -r '.[0].verifiedBy' <<<"$output") == "$(fpr good)" ]] ||
            fail "verifiedBy is not the key"
        # Stored: --pull=new uses the store, after the per-run checks.
        run_berth -0 fetch --pull=new "$IMAGE"
        [[ $output == "$IMAGE_ID" ]] || fail "got $output"
    done
}

@test "tampered, untrusted, wrong-prefix, expired, revoked and moved signatures are refused" {
    trust --prefix "$REG/test/busybox" "$KEYS/good.asc"
    trust --prefix "$REG/elsewhere" "$KEYS/other.asc"
    local sig before
    sig=$(sig_path "$LA" test/busybox "$DIGEST")
    before=$(blob_requests)

    publish good
    # Flip bytes in the middle of the signed message.
    printf 'XXXXXXXX' | dd of="$sig" bs=1 seek=40 conv=notrunc status=none
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "signature"
    assert_contains "$stderr" "$REG/test/busybox"

    publish other
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "trusted only for prefix '$REG/elsewhere'"

    publish subkey
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "not trusted"
    assert_contains "$stderr" "berth trust --prefix $REG/test/busybox"

    # The payload names another manifest (the image was swapped for another).
    sign_claim good "$REG/test/busybox:latest" "$LAYERED_DIGEST" "$sig"
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "another manifest"

    # A signature for another repository copied here.
    sign_claim good "$REG/test/layered:latest" "$DIGEST" "$sig"
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "another image"

    publish good ',"unknown":"x"'
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "claim berth does not accept"

    mkdir -p "$XDG_CONFIG_HOME/berth/trustedkeys/root.d"
    cp "$KEYS/revoked.asc" "$XDG_CONFIG_HOME/berth/trustedkeys/root.d/$(fpr revoked)"
    cp "$KEYS/expired.asc" "$XDG_CONFIG_HOME/berth/trustedkeys/root.d/$(fpr expired)"
    publish revoked
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "revoked"
    publish expired
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "expired"

    [[ $(blob_requests) -eq $before ]] || fail "blobs were downloaded for refused images"
    assert_store_empty
}

@test "a tampered image: the registry serves another manifest than the one signed" {
    trust --prefix "$REG/test" "$KEYS/good.asc"
    # test/layered's lookaside holds a signature of test/busybox's manifest
    # made for test/layered's name: the registry's manifest is not that one.
    sign_claim good "$REG/test/layered:latest" "$DIGEST" "$(sig_path "$LA" test/layered "$LAYERED_DIGEST")"
    use_lookaside "file://$LA"
    run_berth -125 fetch "docker://$REG/test/layered:latest"
    assert_one_line_error "another manifest"
    assert_store_empty
}

@test "signatures from an HTTPS or plain HTTP lookaside and from --signature FILE" {
    trust --prefix "$REG/test/busybox" "$KEYS/good.asc"
    local www=$SERVERS_DIR/www/$BATS_TEST_NUMBER
    sign_claim good "$REG/test/busybox:latest" "$DIGEST" "$(sig_path "$www" test/busybox "$DIGEST")"
    use_lookaside "https://127.0.0.1:$LA_PORT/$BATS_TEST_NUMBER"
    fetch_signed
    grep -q "GET /$BATS_TEST_NUMBER/test/busybox@sha256=.*/signature-1" "$SERVERS_DIR/lookaside.log" ||
        fail "the signature was not fetched from the HTTPS lookaside"
    grep -q "signature-2" "$SERVERS_DIR/lookaside.log" ||
        fail "berth did not look for a second signature"

    # A plain-HTTP lookaside needs no --insecure-options=http: what it
    # serves is signed.
    rm -rf "$STORE"
    use_lookaside "http://127.0.0.1:$PLAIN_PORT/$BATS_TEST_NUMBER"
    fetch_signed
    grep -q "GET /$BATS_TEST_NUMBER/test/busybox@sha256=.*/signature-1 200" "$SERVERS_DIR/plain.log" ||
        fail "the signature was not fetched over plain HTTP"

    # No lookaside: the signature given on the command line.
    rm -rf "$STORE" "$HOME/.config/containers/registries.d"
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "--insecure-options=image"
    fetch_signed --signature "$(sig_path "$www" test/busybox "$DIGEST")"
    # A local OCI layout's signature is not read: refused, not ignored.
    run_berth -125 --insecure-options=image fetch --signature "$(sig_path "$www" test/busybox "$DIGEST")" \
        "oci:$FIXTURES/oci-gzip:latest"
    assert_one_line_error "not checked yet"
    # One by another key is checked too, and refused.
    rm -rf "$STORE"
    sign_claim other "$REG/test/busybox:latest" "$DIGEST" "$BATS_TEST_TMPDIR/other.sig"
    run_berth -125 fetch --signature "$BATS_TEST_TMPDIR/other.sig" "$IMAGE"
    assert_one_line_error "not trusted"
}

@test "after berth trust rm, a stored image refuses to run and to be used by fetch --pull=new" {
    publish good
    trust --prefix "$REG/test/busybox" "$KEYS/good.asc"
    fetch_signed
    run_berth -0 trust rm "$(fpr good)"
    run_berth -125 run "$IMAGE_ID" /bin/true
    assert_one_line_error "no longer trusted"
    assert_contains "$stderr" "$(fpr good)"
    run_berth -125 fetch --pull=new "$IMAGE"
    assert_one_line_error "no longer trusted"
    run_berth -125 image verify "$IMAGE_ID"
    assert_one_line_error "trust"
}

@test "berth image verify re-checks blobs and signature; run checks the digest chain" {
    publish good
    trust --prefix "$REG/test/busybox" "$KEYS/good.asc"
    fetch_signed
    run_berth -0 image verify "$IMAGE_ID"
    [[ ${#lines[@]} -eq 1 ]] || fail "expected one line"
    assert_contains "$output" "$(fpr good)"
    assert_contains "$output" "signature verified"

    # A layer changed on disk: verify finds it (a run re-hashes only the
    # small manifest and config).
    local layer config
    layer=$(jq -r '.layers[0].digest' "$STORE/blobs/sha256/${DIGEST#sha256:}")
    chmod u+w "$STORE/blobs/${layer/://}"
    printf 'x' >>"$STORE/blobs/${layer/://}"
    run_berth -125 image verify "$IMAGE_ID"
    assert_one_line_error "was modified"
    assert_contains "$stderr" "$layer"

    # The config changed: the image is refused wherever it is used.
    rm -rf "$STORE"
    fetch_signed
    config=${IMAGE_ID#sha256:}
    chmod u+w "$STORE/blobs/sha256/$config"
    printf ' ' >>"$STORE/blobs/sha256/$config"
    run_berth -125 fetch --pull=new "$IMAGE"
    assert_one_line_error "no longer matches what was verified"
    run_berth -125 run "$IMAGE_ID" /bin/true
    assert_one_line_error "no longer matches what was verified|corrupt"

    # An image stored unsigned has nothing to verify.
    rm -rf "$STORE"
    run_berth -0 --insecure-options=image fetch "$IMAGE"
    run_berth -125 image verify "$output"
    assert_one_line_error "without a verified signature"
}

@test "skopeo copy --sign-by into a lookaside: berth verifies it" {
    use_lookaside "file://$LA"
    GNUPGHOME=$KEYS/gnupg skopeo --policy "$ACCEPT_POLICY" \
        --registries.d "$HOME/.config/containers/registries.d" copy --quiet \
        --dest-cert-dir "$SERVERS_DIR/push-certs" --sign-by "$(fpr good)" \
        "oci:$FIXTURES/oci-gzip:latest" "docker://$REG/test/skopeo:latest"
    find "$LA" -name 'signature-1' | grep -q . || fail "skopeo wrote no signature into $LA"
    IMAGE=docker://$REG/test/skopeo:latest
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "not trusted"
    trust --prefix "$REG/test" "$KEYS/good.asc"
    fetch_signed
    run_berth -0 image inspect "$IMAGE_ID"
    [[ $(jq -r '.[0].verifiedBy' <<<"$output") == "$(fpr good)" ]] || fail "verifiedBy is not the key"
}

@test "berth image sign writes a signature skopeo accepts under a signedBy policy" {
    publish good
    trust --prefix "$REG/test/busybox" "$KEYS/good.asc"
    fetch_signed
    local signed=$BATS_TEST_TMPDIR/berth-signed regd=$BATS_TEST_TMPDIR/regd
    GNUPGHOME=$KEYS/gnupg run_berth -0 image sign "$REG/test/busybox:latest" \
        --key "$(fpr other)" --lookaside "$signed"
    [[ -f $output ]] || fail "no signature file at '$output'"
    mkdir -p "$regd"
    printf 'docker:\n  "%s":\n    lookaside: file://%s\n' "$REG" "$signed" >"$regd/berth.yaml"
    local key
    for key in other good; do
        cat >"$BATS_TEST_TMPDIR/policy-$key.json" <<JSON
{"default": [{"type": "reject"}],
 "transports": {"docker": {"$REG/test/busybox": [
   {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "$KEYS/$key.asc"}]}}}
JSON
    done
    # (--remove-signatures: an oci: layout cannot hold them; the source's
    # are still checked against the policy.)
    skopeo --policy "$BATS_TEST_TMPDIR/policy-other.json" --registries.d "$regd" copy --quiet \
        --remove-signatures --src-cert-dir "$SERVERS_DIR/push-certs" "$IMAGE" "oci:$BATS_TEST_TMPDIR/out:latest" ||
        fail "skopeo refused berth's signature"
    # The same lookaside under a policy naming another key: skopeo refuses,
    # so the acceptance above is the signature's doing.
    run skopeo --policy "$BATS_TEST_TMPDIR/policy-good.json" --registries.d "$regd" copy --quiet \
        --remove-signatures --src-cert-dir "$SERVERS_DIR/push-certs" "$IMAGE" \
        "oci:$BATS_TEST_TMPDIR/out2:latest"
    echo "$output"
    [[ $status -ne 0 ]] || fail "skopeo accepted a signature by a key its policy does not name"
    assert_contains "$output" "rejected"
}

@test "an ACI over HTTPS whose signature is missing or untrusted is refused before its download" {
    local www=$SERVERS_DIR/www/$BATS_TEST_NUMBER url
    mkdir -p "$www/signed" "$www/unsigned"
    cp "$FIXTURES/busybox-gz.aci" "$www/signed/busybox.aci"
    cp "$FIXTURES/busybox-gz.aci" "$www/unsigned/busybox.aci"
    sh "$KEYS_SH" sign "$KEYS" other detach "$www/signed/busybox.aci" "$www/signed/busybox.aci.asc"
    url=https://127.0.0.1:$LA_PORT/$BATS_TEST_NUMBER

    run_berth -125 fetch "$url/unsigned/busybox.aci"
    assert_one_line_error "--insecure-options=image"
    run_berth -125 fetch "$url/signed/busybox.aci"
    assert_one_line_error "not trusted"
    assert_contains "$stderr" "$(fpr other)"
    grep -q "GET /$BATS_TEST_NUMBER/signed/busybox.aci.asc 200" "$SERVERS_DIR/lookaside.log" ||
        fail "the signature was not fetched"
    if grep -Eq "GET /$BATS_TEST_NUMBER/(un)?signed/busybox\.aci [0-9]" "$SERVERS_DIR/lookaside.log"; then
        fail "a refused ACI was downloaded"
    fi
    # Trusted for another prefix: the name is in the manifest, so the image
    # is downloaded and then refused by the full check.
    trust --prefix example.org "$KEYS/other.asc"
    run_berth -125 --quiet fetch "$url/signed/busybox.aci"
    assert_one_line_error "trusted only for prefix 'example.org'"
    # Trusted for the manifest's name: fetched, and verify names the key.
    trust --prefix example.com/busybox "$KEYS/other.asc"
    run_berth -0 --quiet fetch "$url/signed/busybox.aci"
    run_berth -0 image verify "$output"
    assert_contains "$output" "$(fpr other)"
    assert_contains "$output" "still trusted"
    assert_store_sane
}

@test "a containers policy.json signedBy key trusts its scope, at fetch and at every later use" {
    publish good
    mkdir -p "$HOME/.config/containers"
    local policy=$HOME/.config/containers/policy.json
    cat >"$policy" <<JSON
{"default": [{"type": "insecureAcceptAnything"}],
 "transports": {"docker": {"$REG/test": [
   {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "$KEYS/good.asc"}]}}}
JSON
    fetch_signed
    run_berth -0 image inspect "$IMAGE_ID"
    [[ $(jq -r '.[0].verifiedBy' <<<"$output") == "$(fpr good)" ]] || fail "verifiedBy is not the key"
    # The per-use check reads the policy's key file, without gpg.
    run_berth -0 fetch --pull=new "$IMAGE"
    run_berth -0 image verify "$IMAGE_ID"
    # insecureAcceptAnything does not lower berth's rule.
    run_berth -125 fetch "docker://$REG/test/layered:latest"
    assert_one_line_error "--insecure-options=image"
    # The policy names another key now: the stored image is refused.
    sed -i "s|$KEYS/good.asc|$KEYS/other.asc|" "$policy"
    run_berth -125 fetch --pull=new "$IMAGE"
    assert_one_line_error "no longer trusted"
}

@test "a signature of the index pulled by tag covers this platform's manifest" {
    trust --prefix "$REG/test" "$KEYS/good.asc"
    sign_claim good "$REG/test/multi:latest" "$INDEX_DIGEST" "$(sig_path "$LA" test/multi "$INDEX_DIGEST")"
    use_lookaside "file://$LA"
    IMAGE=docker://$REG/test/multi:latest
    fetch_signed
    run_berth -0 image inspect "$IMAGE_ID"
    [[ $(jq -r '.[0].manifestDigest' <<<"$output") != "$INDEX_DIGEST" ]] ||
        fail "the index was recorded as the manifest"
    run_berth -0 image verify "$IMAGE_ID"
    assert_contains "$output" "signature verified by trusted key $(fpr good)"
    # Signed for another name: refused.
    rm -rf "$STORE"
    sign_claim good "$REG/test/other:latest" "$INDEX_DIGEST" "$(sig_path "$LA" test/multi "$INDEX_DIGEST")"
    run_berth -125 fetch "$IMAGE"
    assert_one_line_error "another image"
}
