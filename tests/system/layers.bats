#!/usr/bin/env bats
# image render / extract: OCI layer semantics and appc dependencies (issue 2).
# requires: unprivileged subids userns

load helpers

@test "render a one-layer OCI image gives the busybox tree" {
    fetch "oci:$FIXTURES/oci-gzip"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    [[ -f $dir/bin/busybox && -x $dir/bin/busybox ]] || fail "no /bin/busybox"
    [[ -L $dir/bin/sh ]] || fail "/bin/sh is not a symlink"
    [[ $(readlink "$dir/bin/sh") == ../bin/busybox ]] || fail "/bin/sh points elsewhere"
    cmp "$dir/bin/busybox" /bin/busybox || fail "/bin/busybox differs from the host's"
    grep -q '^www-data:x:33:33:' "$dir/etc/passwd" || fail "/etc/passwd lacks www-data"
    [[ $(stat -c %a "$dir/tmp") == 1777 ]] || fail "/tmp is not 1777"
    [[ $(stat -c %a "$dir/root") == 700 ]] || fail "/root is not 0700"
}

@test "render gives the same tree for gzip, zstd and plain layers" {
    local variant want=
    for variant in gzip zstd plain; do
        fetch "oci:$FIXTURES/oci-$variant"
        run_berth -0 image render "$IMAGE_ID" "$BATS_TEST_TMPDIR/$variant"
        if [[ -z $want ]]; then
            want=$(tree_listing "$BATS_TEST_TMPDIR/$variant")
        else
            [[ $(tree_listing "$BATS_TEST_TMPDIR/$variant") == "$want" ]] ||
                fail "$variant renders differently"
        fi
    done
}

@test "whiteouts remove files and directories of lower layers" {
    fetch "oci:$FIXTURES/oci-layered"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    [[ -f $dir/data/keep ]] || fail "/data/keep is gone"
    [[ -f $dir/data/added ]] || fail "/data/added is missing"
    [[ ! -e $dir/data/gone ]] || fail "/data/gone survived its whiteout"
    [[ ! -e $dir/data/gone-dir ]] || fail "/data/gone-dir survived its whiteout"
    [[ -z $(find "$dir" -name '.wh.*') ]] || fail "whiteout markers left in the tree"
}

@test "an opaque directory hides everything below it in lower layers" {
    fetch "oci:$FIXTURES/oci-layered"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    [[ $(ls -A "$dir/opq") == new ]] || fail "/opq holds: $(ls -A "$dir/opq")"
}

@test "a later layer replaces a file with a directory" {
    fetch "oci:$FIXTURES/oci-layered"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    [[ -d $dir/replace && -f $dir/replace/now-a-dir ]] || fail "/replace was not replaced"
}

@test "hardlinks in a layer stay hardlinks" {
    fetch "oci:$FIXTURES/oci-layered"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    [[ $(stat -c %i "$dir/data/added") == "$(stat -c %i "$dir/data/added-link")" ]] ||
        fail "/data/added-link is not a hardlink of /data/added"
}

@test "render of an index picks the image for this platform" {
    fetch "oci:$FIXTURES/oci-index"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    [[ -f $dir/bin/busybox ]] || fail "no /bin/busybox"
    [[ ! -e $dir/WRONG-PLATFORM ]] || fail "rendered the other platform's image"
}

@test "render of an ACI gives its rootfs" {
    fetch "$FIXTURES/busybox-xz.aci"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$IMAGE_ID" "$dir"
    cmp "$dir/bin/busybox" /bin/busybox || fail "/bin/busybox differs"
    [[ ! -e $dir/manifest && ! -e $dir/rootfs ]] || fail "the ACI's layout leaked into the tree"
}

@test "render of an ACI applies its dependency first" {
    fetch "$FIXTURES/busybox.aci"
    fetch "$FIXTURES/busybox-hello.aci"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$ACI_HELLO_ID" "$dir"
    [[ -f $dir/bin/busybox ]] || fail "the dependency's files are missing"
    [[ $(cat "$dir/hello.txt") == "hello from a dependent ACI" ]] || fail "/hello.txt is missing"
}

@test "extract of an ACI gives only its own files" {
    fetch "$FIXTURES/busybox.aci"
    fetch "$FIXTURES/busybox-hello.aci"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image extract "$ACI_HELLO_ID" "$dir"
    [[ -f $dir/hello.txt ]] || fail "/hello.txt is missing"
    [[ ! -e $dir/bin/busybox ]] || fail "extract included the dependency"
}

@test "render of an ACI honours pathWhitelist" {
    fetch "$FIXTURES/busybox.aci"
    fetch "$FIXTURES/busybox-whitelist.aci"
    local dir=$BATS_TEST_TMPDIR/root
    run_berth -0 image render "$ACI_WHITELIST_ID" "$dir"
    local path
    for path in bin/busybox bin/sh bin/cat etc/passwd whitelisted.txt; do
        [[ -e $dir/$path || -L $dir/$path ]] || fail "/$path is whitelisted but missing"
    done
    for path in bin/echo not-whitelisted.txt srv/owned-by-33; do
        [[ ! -e $dir/$path && ! -L $dir/$path ]] || fail "/$path is not whitelisted but present"
    done
}

@test "layers are unpacked once into the tree cache and shared between images" {
    # The cache serves runs; `image render DIR` writes straight into DIR.
    require_command run
    # Two images (different configs) with the same busybox layer.
    fetch "oci:$FIXTURES/oci-gzip"
    local first=$IMAGE_ID
    fetch "oci:$FIXTURES/oci-extra"
    [[ $IMAGE_ID != "$first" ]] || fail "expected two different images"
    run_berth -0 run --rm "$first" true
    run_berth -0 run --rm "$IMAGE_ID" cat /extra.txt
    [[ -d $STORE/trees ]] || fail "the store has no trees/ cache"
    # One unpacked busybox in the cache, however many names point at it.
    local copies
    copies=$(find "$STORE/trees" -path '*/bin/busybox' -type f -printf '%i\n' | sort -u | wc -l)
    [[ $copies -eq 1 ]] || fail "the shared layer was unpacked $copies times"
}
