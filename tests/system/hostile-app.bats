#!/usr/bin/env bats
# An app that attacks the pod it runs in (issue 13): nothing of the host may
# be within its reach, even with --privileged or --cap-add SYS_PTRACE. The
# pod's init and berth's other processes in the pod hold no host fd, cwd or
# root, and are non-dumpable, so their /proc entries (fd, exe, cwd, root,
# environ, mem) stay closed; berth hands the app no fd of its own (through
# LISTEN_FDS naming a closed fd, or a closed stdio); and no id the kernel
# would read as "unchanged" or could not map makes the app root.
# requires: unprivileged subids userns
# shellcheck disable=SC2154 # bats sets status, output, stderr

load helpers

setup() {
    use_run_env
    import_busybox
    # A copy of berth that this user owns, as a user-installed berth is: an
    # app that could write through /proc/1/exe would change it.
    BIN=$BATS_TEST_TMPDIR/bin
    mkdir -p "$BIN"
    cp "$BERTH" "$BIN/berth"
    cp "$(dirname "$BERTH")/berth-engine" "$BIN/berth-engine"
    BINARY_SUMS=$(cd "$BIN" && sha256sum berth berth-engine)
}

# What the app tries, printing a line for each attempt that worked, then
# every fd link of every process it can see.
# shellcheck disable=SC2016 # for the pod's shell
PROBE='
echo "-- start"
for fd in /proc/[0-9]*/fd/*; do
    [ -e "$fd" ] || continue
    n=$(echo "$fd" | tr / _)
    echo x 2>/dev/null >"$fd/../escaped$n" && echo "wrote through $fd"
done
for p in /proc/[0-9]*; do
    [ "$p" = /proc/$$ ] && continue
    [ "$(cat "$p/comm" 2>/dev/null)" = sleep ] && continue # another app
    readlink "$p/exe" >/dev/null 2>&1 && echo "read $p/exe: $(readlink "$p/exe")"
    ls "$p/cwd/" >/dev/null 2>&1 && echo "entered $p/cwd"
    ls "$p/root/" >/dev/null 2>&1 && echo "entered $p/root"
    cat "$p/environ" >/dev/null 2>&1 && echo "read $p/environ"
    dd if="$p/mem" bs=1 count=1 >/dev/null 2>&1 && echo "read $p/mem"
done
printf "" 2>/dev/null >>/proc/1/exe && echo "opened /proc/1/exe for writing"
echo x 2>/dev/null >>/proc/1/exe && echo "wrote /proc/1/exe"
echo "-- fds"
ls -l /proc/[0-9]*/fd/ 2>/dev/null
exit 0'

# probe_pod BERTH-ARGS... -- RUN-ARGS...: runs the probe in a pod and checks
# that nothing of the host was in reach.
probe_pod() {
    local global=()
    while [[ $1 != -- ]]; do
        global+=("$1")
        shift
    done
    shift
    run --separate-stderr "$BIN/berth" "${global[@]}" "$INSECURE" run --rm "$@" sh -c "$PROBE"
    show_run "berth ${global[*]} run --rm $*"
    assert_status 0
    local attempts
    attempts=$(printf '%s\n' "$output" | sed -n '/^-- start$/,/^-- fds$/p' | sed '1d;$d')
    assert_contains "$output" "-- fds"
    [[ -z $attempts ]] || fail "the app reached berth's processes: $attempts"
    # A host path in a link (the store, its index, the pod directory, this
    # test's directory) is an fd the app could walk out of; the file bats
    # gives berth as stderr is the app's stderr, given on purpose.
    local links
    links=$(printf '%s\n' "$output" | grep -v -- '-> .*/separate-stderr-' || true)
    assert_not_contains "$links" "$BATS_TEST_TMPDIR"
    assert_not_contains "$links" "$BERTH_SOURCE_ROOT"
    local escaped
    escaped=$(find "$BATS_TEST_TMPDIR" -name 'escaped*' 2>/dev/null)
    [[ -z $escaped ]] || fail "the app wrote on the host: $escaped"
    [[ $(cd "$BIN" && sha256sum berth berth-engine) == "$BINARY_SUMS" ]] ||
        fail "the app changed berth's binary"
}

# warm_up: the first run renders the image's trees, which the engine does;
# after it the front runs the pod itself.
warm_up() {
    berth_run -0 --rm "$IMAGE" true
}

@test "--privileged: no host fd, cwd, root or binary in reach of the app (warm run)" {
    warm_up
    probe_pod --root "$STORE" --debug -- --privileged "$IMAGE"
    # The front ran this pod: its init was a fork of the front.
    assert_not_contains "$stderr" "engine"
}

@test "--cap-add SYS_PTRACE: no host fd, cwd, root or binary in reach of the app" {
    warm_up
    probe_pod --root "$STORE" --debug -- --cap-add SYS_PTRACE "$IMAGE"
    assert_not_contains "$stderr" "engine"
}

@test "--privileged: nothing of the host in reach when berth-engine runs the pod" {
    # A store without the image: the front hands the run, fetch included,
    # to berth-engine, and the pod's init is a fork of that.
    probe_pod --root "$BATS_TEST_TMPDIR/cold" -- --privileged "oci:$FIXTURES/oci-gzip"
}

@test "--privileged, two apps: the pod's init holds nothing of the host either" {
    # The first app sleeps: the second, the probe, sees it and the init.
    probe_pod --root "$STORE" -- --privileged "$IMAGE" sleep 2 --- "$IMAGE"
}

# as_service STORE VAR=VALUE... -- ARGS...: berth as systemd would start it,
# with fd 3 closed (bats keeps its own output there) and LISTEN_PID=self
# naming berth's pid.
as_service() {
    local vars=()
    while [[ $1 != -- ]]; do
        vars+=("$1")
        shift
    done
    shift
    # shellcheck disable=SC2016 # expanded by that bash
    run --separate-stderr bash -c '
        exec 3>&-
        vars=()
        while [[ $1 != -- ]]; do vars+=("${1/#LISTEN_PID=self/LISTEN_PID=$$}"); shift; done
        shift
        exec env "${vars[@]}" "$@"' _ "${vars[@]}" -- "$BIN/berth" "$INSECURE" "$@"
    show_run "${vars[*]} berth $*"
}

@test "LISTEN_FDS naming a closed fd: refused before berth opens anything (warm run)" {
    warm_up
    as_service LISTEN_PID=self LISTEN_FDS=1 -- --root "$STORE" run --rm "$IMAGE" \
        sh -c 'echo x >/proc/self/fd/3/../escaped-listen; ls -l /proc/self/fd/'
    assert_status 125
    assert_one_line_error "LISTEN_FDS=1 names berth's pid, but fd 3 is not open"
    [[ -z $(find "$BATS_TEST_TMPDIR" -name 'escaped*') ]] || fail "the app wrote on the host"
}

@test "LISTEN_FDS naming a closed fd: refused when berth-engine runs the pod" {
    as_service LISTEN_PID=self LISTEN_FDS=2 -- --root "$BATS_TEST_TMPDIR/cold" run --rm \
        "oci:$FIXTURES/oci-gzip" sh -c 'echo x >/proc/self/fd/3/../escaped-listen'
    assert_status 125
    assert_one_line_error "LISTEN_FDS=2 names berth's pid, but fd 3 is not open"
    [[ -z $(find "$BATS_TEST_TMPDIR" -name 'escaped*') ]] || fail "the app wrote on the host"
    [[ ! -e $BATS_TEST_TMPDIR/cold ]] || fail "berth made a store before refusing"
}

@test "berth started with stdin closed gives the app /dev/null, never an fd of its own" {
    run --separate-stderr bash -c 'exec 0<&-; exec "$@"' _ \
        "$BIN/berth" --root "$STORE" "$INSECURE" run --rm -i "$IMAGE" readlink /proc/self/fd/0
    show_run "berth run -i <&- readlink /proc/self/fd/0"
    assert_status 0
    [[ $output == /dev/null ]] || fail "the app's stdin is $output"
}

@test "-u 4294967295 and unmapped ids are refused with 125, naming the id" {
    berth_run -125 --rm -u 4294967295 "$IMAGE" id -u
    assert_one_line_error "uid 4294967295 is not a valid id"
    berth_run -125 --rm -u 0:4294967295 "$IMAGE" id -g
    assert_one_line_error "gid 4294967295 is not a valid id"
    local count
    count=$(subid_count /etc/subuid)
    berth_run -125 --rm -u $((count + 1)) "$IMAGE" id -u
    assert_one_line_error "uid $((count + 1)) is not mapped in the pod's user namespace"
    # The last mapped id still runs.
    berth_run -0 --rm -u "$count" "$IMAGE" id -u
    [[ $output == "$count" ]] || fail "id -u printed $output"
}

# oci_with_user USER: a copy of the busybox OCI layout whose config sets
# User; prints its directory.
oci_with_user() {
    local dir=$BATS_TEST_TMPDIR/oci-user
    cp -r "$FIXTURES/oci-gzip" "$dir"
    chmod -R u+w "$dir"
    local manifest config
    manifest=$(jq -r '.manifests[0].digest' "$dir/index.json")
    config=$(jq -r '.config.digest' "$dir/blobs/sha256/${manifest#sha256:}")
    jq -c --arg u "$1" '.config.User = $u' "$dir/blobs/sha256/${config#sha256:}" >"$dir/config"
    local sum size
    sum=$(sha256sum "$dir/config" | cut -d' ' -f1)
    size=$(stat -c %s "$dir/config")
    mv "$dir/config" "$dir/blobs/sha256/$sum"
    jq -c --arg d "sha256:$sum" --argjson s "$size" '.config.digest = $d | .config.size = $s' \
        "$dir/blobs/sha256/${manifest#sha256:}" >"$dir/manifest"
    sum=$(sha256sum "$dir/manifest" | cut -d' ' -f1)
    size=$(stat -c %s "$dir/manifest")
    mv "$dir/manifest" "$dir/blobs/sha256/$sum"
    jq -c --arg d "sha256:$sum" --argjson s "$size" \
        '.manifests[0].digest = $d | .manifests[0].size = $s' "$dir/index.json" >"$dir/index"
    mv "$dir/index" "$dir/index.json"
    echo "$dir"
}

@test "an image whose User is 4294967295 does not run as root" {
    local dir
    dir=$(oci_with_user 4294967295)
    fetch "oci:$dir"
    berth_run -125 --rm "$IMAGE_ID" id -u
    assert_one_line_error "uid 4294967295 is not a valid id"
}

@test "fuse-overlayfs, which an app with SYS_PTRACE could reach, is refused for such a pod" {
    command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
    (exec 3<>/dev/fuse) 2>/dev/null || skip "/dev/fuse is not usable by $(id -un)"
    # shellcheck disable=SC2016 # for the pod's shell
    BERTH_OVERLAY=fuse berth_run --rm --cap-add SYS_PTRACE "$IMAGE" sh -c '
        for p in /proc/[0-9]*; do ls "$p/root/" >/dev/null 2>&1 && echo "entered $p/root"; done'
    assert_status 125
    assert_one_line_error "may hold CAP_SYS_PTRACE or every capability"
    BERTH_OVERLAY=fuse berth_run -125 --rm --privileged "$IMAGE" true
    # Without them the pod runs over fuse-overlayfs as before.
    BERTH_OVERLAY=fuse berth_run -0 --rm "$IMAGE" true
}
