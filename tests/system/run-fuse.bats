#!/usr/bin/env bats
# berth run over fuse-overlayfs (issue 3): where the kernel refuses overlayfs
# in a user namespace berth mounts fuse-overlayfs inside it instead; with
# BERTH_OVERLAY=fuse it does so on any kernel, which is how this is tested.
# The pod must see what it sees over kernel overlayfs.
# requires: unprivileged subids userns fuse fuse-overlayfs

load helpers

setup() {
    use_run_env
    import_busybox
    export BERTH_OVERLAY=fuse
}

@test "BERTH_OVERLAY=fuse: the root is fuse-overlayfs with the image's files" {
    # shellcheck disable=SC2016 # awk's fields, for awk
    berth_run -0 --rm "$IMAGE" sh -c 'awk "\$2 == \"/\" { print \$3 }" /proc/mounts'
    [[ $output == fuse.fuse-overlayfs ]] || fail "root filesystem type: '$output'"
    [[ -z $stderr ]] || fail "a run over fuse-overlayfs printed: $stderr"
    berth_run -0 --rm "$IMAGE" sh -c 'head -1 /etc/passwd; ls /bin | grep -cx busybox'
    assert_contains "$output" "root:x:0:0"
    assert_contains "$output" "1"
}

@test "BERTH_OVERLAY=fuse: uid 33's files are 33's inside, and uid 33 writes as 33" {
    berth_run -0 --rm "$IMAGE" stat -c %u:%g /srv/owned-by-33
    [[ $output == 33:33 ]] || fail "owner of /srv/owned-by-33: '$output'"
    berth_run -0 --rm -u 33 "$IMAGE" sh -c 'echo mine > /tmp/w && stat -c %u /tmp/w && id -u'
    [[ $output == $'33\n33' ]] || fail "got '$output'"
}

@test "BERTH_OVERLAY=fuse: writes go to the pod's upper dir, never to the image" {
    berth_run -0 "$IMAGE" sh -c 'echo written > /new-file && echo changed > /etc/hostname.orig &&
        rm /srv/owned-by-33 && cat /new-file'
    [[ $output == written ]] || fail "reading back the written file gave '$output'"
    local upper
    upper=$(find "$STORE/pods" -path '*/upper-0/new-file' -print -quit)
    [[ -n $upper ]] || fail "new-file is not in the pod's upper dir"
    [[ $(cat "$upper") == written ]] || fail "upper dir has '$(cat "$upper")'"
    # The shared layer trees are untouched: a new pod sees the image as it is.
    berth_run -0 --rm "$IMAGE" sh -c 'test ! -e /new-file && test -e /srv/owned-by-33 && echo clean'
    [[ $output == clean ]] || fail "the image changed under a second pod: '$output'"
    run_berth -0 gc
}

@test "BERTH_OVERLAY=fuse: --read-only, volumes and two apps work over fuse-overlayfs" {
    local src=$BATS_TEST_TMPDIR/vol
    mkdir -p "$src"
    echo from-host > "$src/f"
    berth_run -0 --rm --read-only -v "$src:/data" "$IMAGE" sh -c \
        'cat /data/f; touch /x 2>/dev/null && echo root-writable; echo t > /tmp/t && cat /tmp/t'
    [[ $output == $'from-host\nt' ]] || fail "got '$output'"
    # Each app of a pod has its own fuse-overlayfs mount.
    berth_run -0 --rm "$IMAGE" test -x /bin/busybox --- "$IMAGE" test -s /etc/passwd
}
