#!/usr/bin/env bats
# Signature verification of fetched images against trusted keys (issue 5),
# and berth image sign. The matrix for a local ACI with its .aci.asc beside
# it: signed by a key trusted for the name, a parent prefix or as root;
# unsigned; tampered image or signature; wrong key; key trusted for another
# prefix; expired; revoked; key removed after the fetch. Skips, saying so,
# while fetch does not check signatures yet.
# requires: gpg jq
# shellcheck disable=SC2154,SC2030,SC2031 # bats sets status/output/stderr; each @test is a subshell

load helpers

setup_file() {
    make_fixtures
    make_test_keys
}

teardown_file() {
    stop_test_keys
}

# signed_aci KEY: a copy of the busybox ACI (example.com/busybox) with a
# detached signature by KEY beside it. Sets ACI.
signed_aci() {
    ACI=$BATS_TEST_TMPDIR/busybox.aci
    cp "$FIXTURES/busybox-gz.aci" "$ACI"
    sh "$KEYS_SH" sign "$KEYS" "$1" detach "$ACI" "$ACI.asc"
}

trust() {
    run_berth -0 trust --skip-fingerprint-review "$@"
}

# require_verification: skip until fetch checks signatures (a signed image
# by a trusted key imports without --insecure-options=image).
require_verification() {
    signed_aci good
    trust --prefix example.com/busybox "$KEYS/good.asc"
    run --separate-stderr "$BERTH" --root "$STORE" fetch "$ACI"
    [[ $status -eq 0 ]] || skip "fetch does not verify signatures yet: $stderr"
    rm -rf "$STORE" "$XDG_CONFIG_HOME/berth"
}

@test "berth image sign signs an ACI file in place; gpg and berth accept it" {
    require_command image sign
    ACI=$BATS_TEST_TMPDIR/busybox.aci
    cp "$FIXTURES/busybox-gz.aci" "$ACI"
    GNUPGHOME=$KEYS/gnupg run_berth -0 image sign "$ACI" --key "$(fpr good)"
    [[ $output == "$ACI.asc" ]] || fail "printed '$output'"
    gpg --homedir "$KEYS/gnupg" --batch --verify "$ACI.asc" "$ACI" ||
        fail "gpg does not verify the signature"
    GNUPGHOME=$KEYS/gnupg run_berth -125 image sign "$ACI" --key nobody@nowhere.invalid
    assert_one_line_error "secret key"
}

@test "an ACI signed by a key trusted for its name, a parent prefix or root is fetched" {
    require_verification
    local scope
    for scope in "--prefix example.com/busybox" "--prefix example.com" "--root"; do
        rm -rf "$STORE" "$XDG_CONFIG_HOME/berth"
        signed_aci good
        # shellcheck disable=SC2086 # scope is two words or one
        trust $scope "$KEYS/good.asc"
        run_berth -0 fetch "$ACI"
        [[ $output == "$ACI_ID" ]] || fail "ID $output"
        run_berth -0 image inspect "$ACI_ID"
        json_has_string "$output" "$(fpr good)" || fail "verifiedBy is not the key"
    done
}

@test "unsigned, tampered, untrusted, wrong-prefix, expired and revoked ACIs are refused" {
    require_verification
    trust --prefix example.com/busybox "$KEYS/good.asc"
    trust --prefix example.org "$KEYS/other.asc"

    signed_aci good
    rm "$ACI.asc"
    run_berth -125 fetch "$ACI"
    assert_one_line_error "berth trust --prefix"
    assert_contains "$stderr" "--insecure-options=image"

    signed_aci good
    printf 'x' >>"$ACI"
    run_berth -125 fetch "$ACI"
    assert_one_line_error "does not verify"

    signed_aci good
    sed -i '3s/./x/' "$ACI.asc"
    run_berth -125 fetch "$ACI"
    assert_one_line_error "signature"

    # The signature names only its signing subkey; an untrusted key is not
    # in the verify keyring, so that subkey is what the message can name.
    signed_aci subkey
    run_berth -125 fetch "$ACI"
    assert_one_line_error "not trusted"
    [[ $stderr =~ [0-9a-f]{40} ]] || fail "the refusal names no key fingerprint: $stderr"

    signed_aci other
    run_berth -125 fetch "$ACI"
    assert_one_line_error "trusted only for prefix 'example.org'"

    # The revoked key, as its publisher still had it, trusted as root.
    mkdir -p "$XDG_CONFIG_HOME/berth/trustedkeys/root.d"
    cp "$KEYS/revoked.asc" "$XDG_CONFIG_HOME/berth/trustedkeys/root.d/$(fpr revoked)"
    cp "$KEYS/expired.asc" "$XDG_CONFIG_HOME/berth/trustedkeys/root.d/$(fpr expired)"
    signed_aci revoked
    run_berth -125 fetch "$ACI"
    assert_one_line_error "revoked"
    signed_aci expired
    run_berth -125 fetch "$ACI"
    assert_one_line_error "expired"

    run_berth -0 image list --format json
    [[ $(jq length <<<"$output") -eq 0 ]] || fail "a refused image was stored"
}

@test "after berth trust rm, an image trusted only through that key refuses to run" {
    require_verification
    require_command run
    signed_aci good
    trust --prefix example.com/busybox "$KEYS/good.asc"
    run_berth -0 fetch "$ACI"
    run_berth -0 trust rm "$(fpr good)"
    run_berth -125 run "$ACI_ID" /bin/true
    assert_one_line_error "no longer trusted"
    assert_contains "$stderr" "$(fpr good)"
}
