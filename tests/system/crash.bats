#!/usr/bin/env bats
# The store survives kill -9 at any moment and concurrent use (issue 2).
# requires: unprivileged subids userns

load helpers

# kill_after DELAY COMMAND...: start berth COMMAND in the background, SIGKILL it
# after DELAY seconds (if it is still running), and reap it.
kill_after() {
    local delay=$1
    shift
    # fd 3 closed: bats waits for every holder of it before finishing.
    "$BERTH" --root "$STORE" "$@" >/dev/null 2>&1 3>&- &
    local pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

@test "kill -9 during fetch leaves a store the next command uses without complaint" {
    local delay
    # Bounded: six kills at growing delays land at different points of the
    # import (start, blob writes, index commit, after).
    for delay in 0.01 0.03 0.06 0.1 0.2 0.4; do
        kill_after "$delay" "$INSECURE" fetch "oci:$FIXTURES/oci-plain" "$FIXTURES/busybox-xz.aci"
        run_berth -0 image list
        [[ -z $stderr ]] || fail "image list complained after a kill at ${delay}s: $stderr"
        assert_store_sane
    done
    fetch "oci:$FIXTURES/oci-plain"
    assert_listed "$IMAGE_ID"
    fetch "$FIXTURES/busybox-xz.aci"
    [[ $IMAGE_ID == "$ACI_ID" ]] || fail "expected $ACI_ID"
    run_berth -0 image render "$ACI_ID" "$BATS_TEST_TMPDIR/root"
    cmp "$BATS_TEST_TMPDIR/root/bin/busybox" /bin/busybox || fail "rendered busybox differs"
}

@test "kill -9 during render leaves no broken tree behind" {
    fetch "oci:$FIXTURES/oci-layered"
    local id=$IMAGE_ID delay n=0
    for delay in 0.01 0.05 0.1 0.3; do
        n=$((n + 1))
        kill_after "$delay" image render "$id" "$BATS_TEST_TMPDIR/killed-$n"
    done
    run_berth -0 image render "$id" "$BATS_TEST_TMPDIR/root"
    [[ -f $BATS_TEST_TMPDIR/root/opq/new && -f $BATS_TEST_TMPDIR/root/data/keep ]] ||
        fail "the tree rendered after the kills is incomplete"
    cmp "$BATS_TEST_TMPDIR/root/bin/busybox" /bin/busybox || fail "rendered busybox differs"
}

@test "concurrent fetches of one image all succeed and store it once" {
    local i pids=() failed=0
    for i in 1 2 3 4; do
        "$BERTH" --root "$STORE" "$INSECURE" fetch "$FIXTURES/busybox-gz.aci" \
            >"$BATS_TEST_TMPDIR/out.$i" 2>&1 3>&- &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || failed=$((failed + 1))
    done
    for i in 1 2 3 4; do
        echo "fetch $i: $(cat "$BATS_TEST_TMPDIR/out.$i")"
    done
    [[ $failed -eq 0 ]] || fail "$failed of 4 concurrent fetches failed"
    run_berth -0 image list --no-legend
    [[ $(printf '%s\n' "$output" | grep -c "$(short_hex "$ACI_ID")") -eq 1 ]] ||
        fail "expected one record for $ACI_ID"
    assert_store_sane
}
