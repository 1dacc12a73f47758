#!/usr/bin/env bats
# berth's command-line contract (issue 2): its own failures exit 125 with one
# line on stderr; results go to stdout.
# requires: unprivileged

load helpers

@test "berth version prints the version and what it detected" {
    run_berth -0 version
    assert_contains "$output" "0."
}

@test "an unknown global flag exits 125 with one line" {
    run_berth -125 --no-such-flag image list
    assert_one_line_error "no-such-flag"
}

@test "an unknown command flag exits 125 with one line" {
    run_berth -125 image list --no-such-flag
    assert_one_line_error "no-such-flag"
}

@test "an unknown command exits 125 with one line" {
    run_berth -125 no-such-command
    assert_one_line_error "no-such-command"
}

@test "a bad --insecure-options value exits 125 with one line" {
    run_berth -125 --insecure-options=bogus image list
    assert_one_line_error "bogus"
}

@test "fetch of a missing ACI file exits 125 with one line naming it" {
    run_berth -125 "$INSECURE" fetch "$BATS_TEST_TMPDIR/missing.aci"
    assert_one_line_error "missing\.aci"
}

@test "fetch of a missing OCI layout exits 125 with one line naming it" {
    run_berth -125 "$INSECURE" fetch "oci:$BATS_TEST_TMPDIR/no-layout"
    assert_one_line_error "no-layout"
}

@test "fetch of a missing oci-archive exits 125 with one line naming it" {
    run_berth -125 "$INSECURE" fetch "oci-archive:$BATS_TEST_TMPDIR/missing.tar"
    assert_one_line_error "missing\.tar"
}

@test "a name that is not in the store exits 125 with one line" {
    run_berth -125 image inspect example.com/not-there
    assert_one_line_error "not-there"
}

@test "image list on an empty store prints no images" {
    run_berth -0 image list --no-legend
    [[ -z $output ]] || fail "expected nothing, got: $output"
    run_berth -0 image list --format json
    [[ $(jq length <<<"$output") -eq 0 ]] || fail "expected an empty JSON list"
}

@test "--quiet fetch prints only the image ID" {
    run_berth -0 --quiet "$INSECURE" fetch "$FIXTURES/busybox.aci"
    [[ ${#lines[@]} -eq 1 ]] || fail "expected one line on stdout"
    [[ ${lines[0]} == "$ACI_ID" ]] || fail "expected $ACI_ID"
}
