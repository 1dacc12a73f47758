#!/usr/bin/env bats
# Hostile input (issue 13): bytes that are not UTF-8, trees nested deeper
# than any fd budget, files that are not regular files, and names holding
# terminal escapes. berth must answer each with one line and 125, or do the
# job, and never hang, abort or write raw control characters.
# requires: unprivileged subids userns python3 jq mkfifo timeout
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run

load helpers

HOSTILE=$BERTH_SOURCE_ROOT/tests/fixtures/hostile_images.py

setup() {
    use_run_env
}

import_image() {
    fetch "oci:$FIXTURES/oci-gzip"
    IMAGE=$IMAGE_ID
}

# pods_in STATE: how many pods are in STORE/pods/STATE.
pods_in() {
    find "$STORE/pods/$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# assert_no_raw_control TEXT: TEXT holds no ESC, CR, or byte that is not
# UTF-8 (what would reach the terminal raw).
assert_no_raw_control() {
    if printf '%s' "$1" | LC_ALL=C grep -q $'[\x1b\r]'; then
        fail "raw control character in: $(printf '%q' "$1")"
    fi
    printf '%s' "$1" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 ||
        fail "invalid UTF-8 printed: $(printf '%q' "$1")"
}

# berth_bounded [-N] ARGS...: run_berth under `timeout`, so that a berth
# that waits forever on a FIFO fails the test instead of hanging it.
berth_bounded() {
    local expect=
    if [[ ${1:-} =~ ^-[0-9]+$ ]]; then
        expect=$1
        shift
    fi
    run --separate-stderr timeout 120 "$BERTH" --root "$STORE" "$@"
    show_run "timeout 120 berth --root \$STORE $*"
    [[ $status -ne 124 ]] || fail "berth hung (killed by timeout)"
    [[ -z $expect ]] || assert_status "${expect#-}"
}

# --- invalid UTF-8 ---------------------------------------------------------

@test "run --name that is not UTF-8: one line, 125, and no pod left in prepare/" {
    import_image
    berth_run -125 --name $'\xff\xfe' "$IMAGE" true
    assert_one_line_error "--name"
    assert_no_raw_control "$stderr"
    [[ $(pods_in prepare) -eq 0 ]] || fail "a pod was left in prepare/"
    run_berth -0 list
    assert_no_raw_control "$output"
}

@test "run -e, --hostname and an image word that are not UTF-8 are refused with one line" {
    import_image
    berth_run -125 -e $'X=\xff' "$IMAGE" true
    assert_one_line_error "--env"
    assert_no_raw_control "$stderr"
    berth_run -125 --hostname $'h\xc3' "$IMAGE" true
    assert_one_line_error "--hostname"
    berth_run -125 $'oci:/nonexistent/\xff' true
    assert_one_line_error
    assert_no_raw_control "$stderr"
    [[ $(pods_in prepare) -eq 0 ]] || fail "a pod was left in prepare/"
}

@test "a fetch whose tag or path is not UTF-8 fails with one line, the store untouched" {
    mkdir "$BATS_TEST_TMPDIR/"$'caf\xe9'
    cp -a "$FIXTURES/oci-gzip/." "$BATS_TEST_TMPDIR/"$'caf\xe9'/
    run_berth -125 "$INSECURE" fetch "oci:$BATS_TEST_TMPDIR/"$'caf\xe9'
    assert_one_line_error "UTF-8"
    assert_no_raw_control "$stderr"
    run_berth -125 "$INSECURE" fetch "oci:$FIXTURES/oci-gzip:"$'\xff'
    assert_one_line_error "UTF-8"
    run_berth -0 image list --format json
    [[ $(jq length <<<"$output") -eq 0 ]] || fail "an image was recorded"
}

@test "tar entry names that are not UTF-8 are file names: imported, never printed raw" {
    python3 "$HOSTILE" oci-entry "$FIXTURES/busybox-oci.tar" "$BATS_TEST_TMPDIR/x.tar" $'odd-\xff\x1b[2J'
    run_berth -0 "$INSECURE" fetch "oci-archive:$BATS_TEST_TMPDIR/x.tar"
    assert_no_raw_control "$stderr"
    run_berth -0 image list
    assert_no_raw_control "$output"
}

# --- deep trees ------------------------------------------------------------

# A shell script for the app: 2100 nested directories /d/d/.../d, deeper
# than PATH_MAX allows to name, so each level wraps the tree made so far
# (mkdir t; mv d t/d; mv t d) instead of growing a path.
NEST='cd / && mkdir d && i=1 && while [ $i -lt 2100 ]; do
    mkdir t && mv d t/d && mv t d || exit 1; i=$((i+1)); done'

@test "--rm removes 2100 nested directories the app made, with a small fd limit" {
    import_image
    # Fewer fds than levels: only a walk with a bounded number of fds can
    # remove the tree.
    ulimit -S -n 512
    berth_run -0 --rm "$IMAGE" sh -c "$NEST"
    assert_not_contains "$stderr" "--rm:"
    [[ $(pods_in garbage) -eq 0 && $(pods_in exited) -eq 0 ]] || fail "the pod is still there"
}

@test "gc removes a pod holding 2100 nested directories, with a small fd limit" {
    import_image
    ulimit -S -n 512
    berth_run -0 "$IMAGE" sh -c "$NEST"
    [[ $(pods_in exited) -eq 1 ]] || fail "expected one exited pod"
    run_berth -0 gc
    [[ $(pods_in exited) -eq 0 && $(pods_in garbage) -eq 0 ]] || fail "gc left the pod"
    [[ -z $(find "$STORE/pods" -mindepth 2 -print -quit) ]] || fail "gc left files behind"
}

@test "an image of 2000 nested directories runs, and image gc frees its tree" {
    python3 "$HOSTILE" deep-layout "$FIXTURES/oci-gzip" "$BATS_TEST_TMPDIR/deep" 2000
    fetch "oci:$BATS_TEST_TMPDIR/deep"
    local image=$IMAGE_ID
    ulimit -S -n 512
    berth_run -0 --rm "$image" sh -c 'cd d && test -d d/d/d'
    [[ -n $(find "$STORE/trees" -mindepth 1 -maxdepth 1 -type d) ]] || fail "no tree rendered"
    local before
    before=$(du -sk "$STORE" 2>/dev/null | cut -f1)
    run_berth -0 image rm "$image"
    run_berth -0 image gc
    assert_no_raw_control "$stderr"
    [[ -z $(find "$STORE/trees" -mindepth 1 -maxdepth 1 -type d) ]] ||
        fail "trees left: $(ls "$STORE/trees")"
    local after
    after=$(du -sk "$STORE" 2>/dev/null | cut -f1)
    ((after < before)) || fail "image gc freed nothing ($before KiB before, $after KiB after)"
}

# --- inputs that are not regular files -------------------------------------

@test "a FIFO as X.aci.asc is refused at once, not waited on" {
    cp "$FIXTURES/busybox.aci" "$BATS_TEST_TMPDIR/x.aci"
    mkfifo "$BATS_TEST_TMPDIR/x.aci.asc"
    berth_bounded -125 fetch "$BATS_TEST_TMPDIR/x.aci"
    assert_one_line_error "FIFO"
}

@test "FIFOs as images, archives, manifests, env and key files are refused" {
    local fifo=$BATS_TEST_TMPDIR/fifo
    mkfifo "$fifo"
    ln -s "$fifo" "$BATS_TEST_TMPDIR/f.aci"
    berth_bounded -125 "$INSECURE" fetch "$BATS_TEST_TMPDIR/f.aci"
    assert_one_line_error "FIFO"
    berth_bounded -125 "$INSECURE" fetch "oci-archive:$fifo"
    assert_one_line_error "FIFO"
    berth_bounded -125 "$INSECURE" fetch "docker-archive:$fifo"
    assert_one_line_error "FIFO"
    berth_bounded -125 "$INSECURE" run --pod-manifest "$fifo"
    assert_one_line_error "FIFO"
    import_image
    berth_bounded -125 "$INSECURE" run --env-file "$fifo" "$IMAGE" true
    assert_one_line_error "FIFO"
    berth_bounded -125 trust --prefix example.com/x "$fifo"
    assert_one_line_error "FIFO"
}

# --- names holding control characters ---------------------------------------

@test "docker-archive RepoTags holding an escape sequence are refused, never listed" {
    python3 "$HOSTILE" docker-repotags "$FIXTURES/busybox-docker.tar" "$BATS_TEST_TMPDIR/d.tar" \
        $'localhost/evil\e[2J:latest'
    run_berth -125 "$INSECURE" fetch "docker-archive:$BATS_TEST_TMPDIR/d.tar"
    assert_one_line_error "RepoTags"
    assert_no_raw_control "$stderr"
    run_berth -0 image list
    assert_no_raw_control "$output"
    assert_not_contains "$output" "evil"
}

@test "an OCI ref.name outside the grammar is refused" {
    python3 "$HOSTILE" oci-refname "$FIXTURES/busybox-oci.tar" "$BATS_TEST_TMPDIR/o.tar" \
        $'latest\nFAKE   sha256:0'
    run_berth -125 "$INSECURE" fetch "oci-archive:$BATS_TEST_TMPDIR/o.tar"
    assert_one_line_error "ref.name"
    assert_no_raw_control "$stderr"
    run_berth -0 image list --format json
    [[ $(jq length <<<"$output") -eq 0 ]] || fail "an image was recorded"
}

@test "an oci-archive entry name with a newline and ESC is printed escaped" {
    python3 "$HOSTILE" oci-entry "$FIXTURES/busybox-oci.tar" "$BATS_TEST_TMPDIR/x.tar" \
        $'../\e[2J\nberth: fake'
    run_berth -125 "$INSECURE" fetch "oci-archive:$BATS_TEST_TMPDIR/x.tar"
    assert_one_line_error
    assert_no_raw_control "$stderr"
}

@test "an ACI whose name or version label holds control characters is refused, escaped" {
    python3 "$HOSTILE" aci-manifest "$FIXTURES/busybox.aci" "$BATS_TEST_TMPDIR/n.aci" \
        '{"name": "example.com/evil\u001b[2J"}'
    run_berth -125 "$INSECURE" fetch "$BATS_TEST_TMPDIR/n.aci"
    assert_one_line_error "AC identifier"
    assert_no_raw_control "$stderr"
    python3 "$HOSTILE" aci-manifest "$FIXTURES/busybox.aci" "$BATS_TEST_TMPDIR/v.aci" \
        '{"labels": [{"name": "version", "value": "1.0\u001b[2J"}]}'
    run_berth -125 "$INSECURE" fetch "$BATS_TEST_TMPDIR/v.aci"
    assert_one_line_error "version"
    assert_no_raw_control "$stderr"
    run_berth -0 image list --format json
    [[ $(jq length <<<"$output") -eq 0 ]] || fail "an image was recorded"
}
