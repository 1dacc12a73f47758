#!/usr/bin/env bats
# Rendered files get their container owners through the user's subordinate id
# map: container 0 -> the user, 1..N -> the subordinate range (issue 2).
# requires: unprivileged subids userns

load helpers

@test "a file owned by uid 33 is owned by subordinate uid 33 after render" {
    fetch "oci:$FIXTURES/oci-gzip"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    local want_uid want_gid
    want_uid=$(host_uid 33)
    want_gid=$(host_gid 33)
    [[ $(stat -c %u "$dir/srv/owned-by-33") == "$want_uid" ]] ||
        fail "owner uid $(stat -c %u "$dir/srv/owned-by-33"), want $want_uid"
    [[ $(stat -c %g "$dir/srv/owned-by-33") == "$want_gid" ]] ||
        fail "owner gid $(stat -c %g "$dir/srv/owned-by-33"), want $want_gid"
    [[ $(stat -c %u "$dir/var/www") == "$want_uid" ]] || fail "/var/www is not owned by uid 33"
}

@test "files owned by container root belong to the user" {
    fetch "oci:$FIXTURES/oci-gzip"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    [[ $(stat -c %u:%g "$dir/bin/busybox") == "$(id -u):$(id -g)" ]] ||
        fail "/bin/busybox is owned by $(stat -c %u:%g "$dir/bin/busybox")"
}

@test "nobody (65534) maps to the end of the subordinate range" {
    fetch "oci:$FIXTURES/oci-gzip"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    [[ $(stat -c %u "$dir/srv/owned-by-nobody") == "$(host_uid 65534)" ]] ||
        fail "owner $(stat -c %u "$dir/srv/owned-by-nobody"), want $(host_uid 65534)"
}

@test "ownership is kept through the layer cache for a second image" {
    fetch "oci:$FIXTURES/oci-gzip"
    run_berth -0 image render "$IMAGE_ID" "$BATS_TEST_TMPDIR/a"
    # Another image with the same first layer: that tree comes from the cache.
    fetch "oci:$FIXTURES/oci-extra"
    run_berth -0 image render "$IMAGE_ID" "$BATS_TEST_TMPDIR/b"
    [[ $(stat -c %u "$BATS_TEST_TMPDIR/b/srv/owned-by-33") == "$(host_uid 33)" ]] ||
        fail "the cached layer lost its owners"
}

@test "inside the container, /srv/owned-by-33 is owned by 33" {
    require_command run
    fetch "oci:$FIXTURES/oci-gzip"
    run_berth -0 run --rm "$IMAGE_ID" stat -c %u:%g /srv/owned-by-33
    [[ $output == 33:33 ]] || fail "got $output"
}
