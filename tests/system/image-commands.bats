#!/usr/bin/env bats
# image inspect, cat-manifest, rm and export (issue 2).
# requires: unprivileged jq skopeo actool

load helpers

@test "image inspect of an OCI image: JSON with layers and digests" {
    fetch "oci:$FIXTURES/oci-gzip"
    run_berth -0 image inspect "$IMAGE_ID"
    jq -e . >/dev/null <<<"$output" || fail "not JSON"
    # Field names may be capitalised (Podman style) or not.
    jq -e '[.. | objects | to_entries[] | select(.key | ascii_downcase == "layers")
            | .value | length > 0] | any' >/dev/null <<<"$output" ||
        fail "no non-empty \"layers\""
    local layer
    layer=$(jq -r '.layers[0].digest' "$FIXTURES/oci-gzip/blobs/sha256/${OCI_GZIP_MANIFEST#sha256:}")
    assert_contains "$output" "$layer"
    assert_contains "$output" "$ROOTFS_DIFF_ID"
    # The config: the image's command.
    json_has_string "$output" "sh" || fail "the config's Cmd is missing"
}

@test "image inspect says where the image came from" {
    fetch "oci:$FIXTURES/oci-gzip"
    run_berth -0 image inspect "$IMAGE_ID"
    assert_contains "$output" "oci-gzip"
}

@test "image inspect of an ACI: JSON with its manifest" {
    fetch "$FIXTURES/busybox.aci"
    run_berth -0 image inspect "$ACI_ID"
    jq -e . >/dev/null <<<"$output" || fail "not JSON"
    json_has_string "$output" "example.com/busybox" || fail "the name is missing"
    json_has_string "$output" "$ACI_ID" || fail "the ID is missing"
}

@test "image inspect by name" {
    fetch "$FIXTURES/busybox.aci"
    run_berth -0 image inspect example.com/busybox
    json_has_string "$output" "$ACI_ID" || fail "inspect by name shows another image"
}

@test "image cat-manifest of an OCI image prints its manifest" {
    fetch "oci:$FIXTURES/oci-gzip"
    run_berth -0 image cat-manifest "$IMAGE_ID"
    jq -e '.schemaVersion == 2 and (.layers | length) == 1' >/dev/null <<<"$output" ||
        fail "not the image's OCI manifest"
    local want
    want=$(jq -S . "$FIXTURES/oci-gzip/blobs/sha256/${OCI_GZIP_MANIFEST#sha256:}")
    [[ $(jq -S . <<<"$output") == "$want" ]] || fail "manifest differs from the layout's"
}

@test "image cat-manifest of an ACI prints its image manifest" {
    fetch "$FIXTURES/busybox.aci"
    run_berth -0 image cat-manifest "$ACI_ID"
    jq -e '.acKind == "ImageManifest" and .name == "example.com/busybox"' >/dev/null <<<"$output" ||
        fail "not the ACI's manifest"
}

@test "image rm by name" {
    fetch "$FIXTURES/busybox.aci"
    run_berth -0 image rm example.com/busybox
    assert_not_listed "$ACI_ID"
}

@test "image rm by name:tag" {
    fetch "docker-archive:$FIXTURES/busybox-docker.tar"
    run_berth -0 image rm localhost/busybox:latest
    assert_not_listed "$IMAGE_ID"
}

@test "image rm by full ID" {
    fetch "oci:$FIXTURES/oci-gzip"
    run_berth -0 image rm "$IMAGE_ID"
    assert_not_listed "$IMAGE_ID"
}

@test "image rm of one of an image's names only untags it; the last name removes it" {
    cp -r "$FIXTURES/oci-gzip" "$BATS_TEST_TMPDIR/second"
    fetch "oci:$FIXTURES/oci-gzip"
    local first=$IMAGE_ID
    fetch "oci:$BATS_TEST_TMPDIR/second"
    [[ $IMAGE_ID == "$first" ]] || fail "the copy imported as another image: $IMAGE_ID"

    run_berth -0 image rm localhost/second
    assert_contains "$output" "Untagged: localhost/second:latest"
    assert_listed "$first"
    run_berth -125 image inspect localhost/second
    run_berth -0 image inspect localhost/oci-gzip

    run_berth -0 image rm localhost/oci-gzip
    assert_contains "$output" "$first"
    assert_not_listed "$first"
}

@test "image rm by unique ID prefix leaves the other images" {
    fetch "$FIXTURES/busybox.aci"
    fetch "oci:$FIXTURES/oci-gzip"
    local oci=$IMAGE_ID
    run_berth -0 image rm "${ACI_ID:0:19}"
    assert_not_listed "$ACI_ID"
    assert_listed "$oci"
}

@test "image rm of an ambiguous prefix is refused, nothing removed" {
    fetch "$FIXTURES/busybox.aci"
    fetch "$FIXTURES/busybox-hello.aci"
    # Both IDs start with "sha512-".
    run_berth -125 image rm sha512-
    assert_one_line_error "ambiguous|more than one|several|matches"
    assert_listed "$ACI_ID"
    assert_listed "$ACI_HELLO_ID"
}

@test "image rm of an unknown image exits 125 with one line" {
    run_berth -125 image rm example.com/nothing
    assert_one_line_error "nothing"
}

@test "export an OCI image to oci:DIR; skopeo reads it" {
    fetch "oci:$FIXTURES/oci-gzip"
    local out=$BATS_TEST_TMPDIR/export
    run_berth -0 image export "$IMAGE_ID" "oci:$out:exported"
    run skopeo inspect "oci:$out:exported"
    [[ $status -eq 0 ]] || fail "skopeo inspect failed: $output"
    [[ $(jq '.Layers | length' <<<"$output") -eq 1 ]] || fail "expected one layer: $output"
    run skopeo inspect --config "oci:$out:exported"
    assert_contains "$output" "$ROOTFS_DIFF_ID"
}

@test "an exported OCI image imports again with the same content" {
    fetch "oci:$FIXTURES/oci-layered"
    local first=$IMAGE_ID out=$BATS_TEST_TMPDIR/export
    run_berth -0 image export "$first" "oci:$out:again"
    run_berth -0 image render "$first" "$BATS_TEST_TMPDIR/a"
    run_berth -0 image rm "$first"
    fetch "oci:$out:again"
    run_berth -0 image render "$IMAGE_ID" "$BATS_TEST_TMPDIR/b"
    [[ $(tree_listing "$BATS_TEST_TMPDIR/a") == "$(tree_listing "$BATS_TEST_TMPDIR/b")" ]] ||
        fail "the re-imported image renders differently"
}

@test "export an ACI to FILE.aci; actool validates it" {
    fetch "$FIXTURES/busybox.aci"
    local out=$BATS_TEST_TMPDIR/exported.aci
    run_berth -0 image export "$ACI_ID" "$out"
    run actool validate "$out"
    [[ $status -eq 0 ]] || fail "actool validate: $output"
}

@test "an exported ACI imports again with the same ID" {
    fetch "$FIXTURES/busybox.aci"
    local out=$BATS_TEST_TMPDIR/exported.aci
    run_berth -0 image export "$ACI_ID" "$out"
    run_berth -0 image rm "$ACI_ID"
    fetch "$out"
    [[ $IMAGE_ID == "$ACI_ID" ]] || fail "round trip changed the ID: $IMAGE_ID"
}

@test "export to an unknown destination form exits 125 with one line" {
    fetch "$FIXTURES/busybox.aci"
    run_berth -125 image export "$ACI_ID" "nonsense:$BATS_TEST_TMPDIR/x"
    assert_one_line_error
}
