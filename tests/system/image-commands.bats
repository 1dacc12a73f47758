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

# --- image gc ----------------------------------------------------------------

# store_files: every blob, tree and tmp/ entry of the store, one per line.
store_files() {
    find "$STORE/blobs" "$STORE/tmp" -mindepth 1 -maxdepth 2 -print 2>/dev/null | sort
    find "$STORE/trees" -mindepth 1 -maxdepth 1 -print 2>/dev/null | sort
}

# gc_bytes ARGS...: `berth --quiet image gc ARGS`, asserting success; sets
# BYTES to what it reported.
gc_bytes() {
    run_berth -0 --quiet image gc "$@"
    BYTES=$output
    [[ $BYTES =~ ^[0-9]+$ ]] || fail "not a byte count: '$BYTES'"
}

@test "image gc after image rm reclaims the image's blobs and trees; a second gc reclaims nothing" {
    use_runtime_dir
    import_busybox
    berth_run -0 --rm "$IMAGE" true
    [[ -n $(find "$STORE/blobs" -type f) ]] || fail "no blobs after import"
    [[ -d $STORE/trees/${ROOTFS_DIFF_ID/:/-} ]] || fail "no tree after run"
    run_berth -0 image rm "$IMAGE"
    run_berth -0 image gc
    [[ $output =~ ^reclaimed\ ([0-9]+)\ item.*\ ([0-9]+)\ bytes ]] || fail "no report line"
    ((BASH_REMATCH[1] >= 4)) || fail "reclaimed only ${BASH_REMATCH[1]} items"
    ((BASH_REMATCH[2] > 100000)) || fail "reclaimed only ${BASH_REMATCH[2]} bytes"
    [[ -z $(find "$STORE/blobs" -type f) ]] || fail "blobs left: $(find "$STORE/blobs" -type f)"
    [[ ! -e $STORE/trees/${ROOTFS_DIFF_ID/:/-} ]] || fail "the tree is still there"
    gc_bytes
    [[ $BYTES == 0 ]] || fail "a second gc reclaimed $BYTES bytes"
}

@test "image gc keeps what stored images use, and they still run" {
    use_runtime_dir
    fetch "$FIXTURES/busybox.aci"
    import_busybox
    berth_run -0 --rm "$ACI_ID" true
    berth_run -0 --rm "$IMAGE" true
    run_berth -0 image rm "$IMAGE"
    run_berth -0 image gc
    [[ -d $STORE/trees/$ACI_ID ]] || fail "the ACI's tree was removed"
    [[ -f $STORE/blobs/sha512/${ACI_ID#sha512-} ]] || fail "the ACI's blob was removed"
    berth_run -0 --rm "$ACI_ID" sh -c 'echo still-runs'
    assert_contains "$output" still-runs
}

@test "image gc --dry-run reports what gc reclaims and removes nothing" {
    use_runtime_dir
    import_busybox
    berth_run -0 --rm "$IMAGE" true
    run_berth -0 image rm "$IMAGE"
    local before
    before=$(store_files)
    gc_bytes --dry-run
    local would=$BYTES
    ((would > 0)) || fail "a dry run reported nothing to reclaim"
    [[ $(store_files) == "$before" ]] || fail "a dry run changed the store"
    gc_bytes
    [[ $BYTES == "$would" ]] || fail "gc reclaimed $BYTES bytes, the dry run said $would"
}

@test "image gc collects a killed fetch's partial blob and staging dir, not a running fetch's" {
    import_busybox
    # What a berth killed mid-download leaves: a partial blob and a staging
    # dir whose flocks died with it.
    local dead=sha256:$(printf 'dead%.0s' {1..16}) live=sha256:$(printf 'beef%.0s' {1..16})
    head -c 50000 /dev/zero >"$STORE/tmp/partial-sha256-${dead#sha256:}"
    mkdir "$STORE/tmp/fetch-stage-0123456789abcdef"
    head -c 1000 /dev/zero >"$STORE/tmp/fetch-stage-0123456789abcdef/part"
    # A fetch under way holds its blob's fetch lock.
    head -c 7000 /dev/zero >"$STORE/tmp/partial-sha256-${live#sha256:}"
    touch "$STORE/tmp/fetch-sha256-${live#sha256:}.lock"
    run flock --shared "$STORE/tmp/fetch-sha256-${live#sha256:}.lock" \
        "$BERTH" --root "$STORE" --quiet image gc
    show_run "flock LOCK berth image gc"
    assert_status 0
    ((output >= 51000)) || fail "reclaimed only $output bytes"
    [[ ! -e $STORE/tmp/partial-sha256-${dead#sha256:} ]] || fail "the dead partial is left"
    [[ ! -e $STORE/tmp/fetch-stage-0123456789abcdef ]] || fail "the dead staging dir is left"
    [[ -e $STORE/tmp/partial-sha256-${live#sha256:} ]] || fail "a running fetch's partial went"
    # The image itself is untouched.
    run_berth -0 image inspect "$IMAGE"
}

@test "image gc keeps the trees of a running pod whose image was removed" {
    use_runtime_dir
    fetch "$FIXTURES/busybox.aci"
    "$BERTH" --root "$STORE" "$INSECURE" run "$ACI_ID" sh -c 'sleep 60' \
        >"$BATS_TEST_TMPDIR/pod.out" 2>&1 &
    local pid=$! i
    for ((i = 0; i < 300; i++)); do
        compgen -G "$STORE/pods/run/*" >/dev/null && break
        sleep 0.1
    done
    compgen -G "$STORE/pods/run/*" >/dev/null || {
        kill "$pid"
        fail "the pod did not start: $(cat "$BATS_TEST_TMPDIR/pod.out")"
    }
    run_berth -0 image rm "$ACI_ID"
    run_berth image gc
    local gc_status=$status
    [[ -d $STORE/trees/$ACI_ID ]]
    local kept=$?
    kill "$pid"
    wait "$pid" || true
    ((gc_status == 0)) || fail "gc failed"
    ((kept == 0)) || fail "gc removed the running pod's tree"
    [[ ! -f $STORE/blobs/sha512/${ACI_ID#sha512-} ]] || fail "the removed image's blob is left"
}
