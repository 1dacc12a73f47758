#!/usr/bin/env bats
# Importing local images in every format (issue 2): `berth fetch` prints the
# image ID and `image list` shows it afterwards.
# requires: unprivileged
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run

load helpers

# import_and_list REF: fetch REF into a fresh store and check it is listed.
import_and_list() {
    fetch "$1"
    assert_listed "$IMAGE_ID"
}

@test "import oci: layout with gzip layers" {
    import_and_list "oci:$FIXTURES/oci-gzip"
}

@test "import oci: layout with zstd layers" {
    import_and_list "oci:$FIXTURES/oci-zstd"
}

@test "import oci: layout with uncompressed layers" {
    import_and_list "oci:$FIXTURES/oci-plain"
}

@test "import oci:DIR:TAG picks the tagged image" {
    import_and_list "oci:$FIXTURES/oci-multi:zstd"
    run_berth -0 image inspect "$IMAGE_ID"
    # The zstd variant's layer blob, not the gzip one under "latest".
    local layer
    layer=$(jq -r '.layers[0].digest' "$FIXTURES/oci-zstd/blobs/sha256/${OCI_ZSTD_MANIFEST#sha256:}")
    assert_contains "$output" "$layer"
}

@test "the three layer compressions give the same layer diff_id" {
    local variant
    for variant in gzip zstd plain; do
        fetch "oci:$FIXTURES/oci-$variant"
        run_berth -0 image inspect "$IMAGE_ID"
        assert_contains "$output" "$ROOTFS_DIFF_ID"
    done
}

@test "import oci: layout whose ref is an image index picks this platform" {
    import_and_list "oci:$FIXTURES/oci-index"
    run_berth -0 image inspect "$IMAGE_ID"
    assert_contains "$output" "$ROOTFS_DIFF_ID"
}

@test "import oci-archive:" {
    import_and_list "oci-archive:$FIXTURES/busybox-oci.tar"
}

@test "import oci-archive:FILE:TAG" {
    import_and_list "oci-archive:$FIXTURES/busybox-oci.tar:latest"
}

@test "import docker-archive:" {
    import_and_list "docker-archive:$FIXTURES/busybox-docker.tar"
    run_berth -0 image list
    assert_contains "$output" "busybox"
}

@test "import a plain ACI by path; its ID is sha512 of the tar" {
    import_and_list "$FIXTURES/busybox.aci"
    [[ $IMAGE_ID == "$ACI_ID" ]] || fail "expected $ACI_ID"
    run_berth -0 image list
    assert_contains "$output" "example.com/busybox"
    assert_contains "$output" "$BUSYBOX_VERSION"
}

@test "import a gzip ACI: same ID as the plain one" {
    import_and_list "$FIXTURES/busybox-gz.aci"
    [[ $IMAGE_ID == "$ACI_ID" ]] || fail "expected $ACI_ID (the uncompressed tar's)"
}

@test "import a bzip2 ACI: same ID as the plain one" {
    import_and_list "$FIXTURES/busybox-bz2.aci"
    [[ $IMAGE_ID == "$ACI_ID" ]] || fail "expected $ACI_ID (the uncompressed tar's)"
}

@test "import an xz ACI: same ID as the plain one" {
    import_and_list "$FIXTURES/busybox-xz.aci"
    [[ $IMAGE_ID == "$ACI_ID" ]] || fail "expected $ACI_ID (the uncompressed tar's)"
}

@test "import an ACI by file:// URL" {
    import_and_list "file://$FIXTURES/busybox.aci"
    [[ $IMAGE_ID == "$ACI_ID" ]] || fail "expected $ACI_ID"
}

@test "import an ACI with a dependency already in the store" {
    fetch "$FIXTURES/busybox.aci"
    import_and_list "$FIXTURES/busybox-hello.aci"
    [[ $IMAGE_ID == "$ACI_HELLO_ID" ]] || fail "expected $ACI_HELLO_ID"
    assert_listed "$ACI_ID"
}

@test "fetch of several images in one command prints each ID" {
    run_berth -0 "$INSECURE" fetch "$FIXTURES/busybox.aci" "oci:$FIXTURES/oci-gzip"
    assert_contains "$output" "$ACI_ID"
    [[ $(printf '%s\n' "$output" | grep -cE '^(sha256:|sha512-)') -eq 2 ]] ||
        fail "expected two image IDs on stdout"
}

@test "importing the same image twice keeps one record" {
    fetch "$FIXTURES/busybox.aci"
    fetch "$FIXTURES/busybox-gz.aci"
    run_berth -0 image list --no-legend
    [[ $(printf '%s\n' "$output" | grep -c "$(short_hex "$ACI_ID")") -eq 1 ]] ||
        fail "expected one line for $ACI_ID"
}

@test "an unsigned image without --insecure-options=image is refused, store unchanged" {
    run_berth -0 image list --format json
    local before=$output
    run_berth -125 fetch "oci:$FIXTURES/oci-gzip"
    assert_one_line_error "--insecure-options=image"
    run_berth -125 fetch "$FIXTURES/busybox.aci"
    assert_one_line_error "--insecure-options=image"
    run_berth -0 image list --format json
    [[ $output == "$before" ]] || fail "image list changed after a refused fetch"
    if [[ -d $STORE/blobs ]]; then
        [[ -z $(find "$STORE/blobs" -type f) ]] || fail "a refused fetch left blobs behind"
    fi
}

@test "the store defaults to XDG_DATA_HOME/berth" {
    run --separate-stderr "$BERTH" "$INSECURE" fetch "$FIXTURES/busybox.aci"
    [[ $status -eq 0 ]] || fail "fetch without --root failed: $stderr"
    [[ -d $XDG_DATA_HOME/berth ]] || fail "no store in $XDG_DATA_HOME/berth"
    run --separate-stderr "$BERTH" image list
    assert_contains "$output" "$(short_hex "$ACI_ID")"
}

@test "without XDG_DATA_HOME the store is ~/.local/share/berth" {
    local home=$BATS_TEST_TMPDIR/home
    mkdir -p "$home"
    run --separate-stderr env -u XDG_DATA_HOME HOME="$home" "$BERTH" "$INSECURE" fetch "$FIXTURES/busybox.aci"
    [[ $status -eq 0 ]] || fail "fetch failed: $stderr"
    [[ -d $home/.local/share/berth ]] || fail "no store in ~/.local/share/berth"
}
