#!/usr/bin/env bats
# berth run (issue 3): exit codes, signals, init, environment, users, id map,
# workdir, volumes, read-only roots, masked paths, capabilities, stdio, pty,
# pods of several apps. Everything runs as the unprivileged user.
# requires: unprivileged subids userns

load helpers

setup() {
    use_run_env
    import_busybox
}

pod_count() {
    find "$STORE/pods" -mindepth 2 -maxdepth 2 -type d 2>/dev/null | wc -l
}

@test "the app's exit status is berth's: 0, 1, 32" {
    berth_run -0 "$IMAGE" true
    berth_run -1 "$IMAGE" false
    berth_run -32 "$IMAGE" sh -c 'exit 32'
}

@test "berth's own failures exit 125 with one line" {
    run_berth -125 "$INSECURE" run --bogus-flag "$IMAGE" true
    assert_one_line_error
    run_berth -125 run localhost/no-such-image true
    assert_one_line_error "no-such-image"
    berth_run -125 -u nosuchuser "$IMAGE" true
    assert_one_line_error "user 'nosuchuser' not found in the image's /etc/passwd"
}

@test "a command that cannot be executed exits 126 naming the path" {
    berth_run -126 "$IMAGE" /etc
    assert_one_line_error "cannot execute '/etc': Permission denied"
    berth_run -126 "$IMAGE" /etc/passwd
    assert_one_line_error "cannot execute '/etc/passwd'"
}

@test "a command that is not found exits 127 naming it" {
    berth_run -127 "$IMAGE" no-such-command
    assert_one_line_error "'no-such-command': executable not found in \\\$PATH"
    berth_run -127 "$IMAGE" /no/such/file
    assert_one_line_error "'/no/such/file': executable not found"
}

@test "--rm keeps the exit status and leaves no pod behind" {
    berth_run -7 --rm "$IMAGE" sh -c 'echo data > /file; exit 7'
    [[ $(pod_count) -eq 0 ]] || fail "pods left: $(find "$STORE/pods" -mindepth 2 -maxdepth 2)"
    berth_run -0 "$IMAGE" true
    [[ $(pod_count) -eq 1 ]] || fail "expected the exited pod to be kept without --rm"
    run_berth -0 list --no-legend
    assert_contains "$output" "exited"
    run_berth -0 gc
    [[ $(pod_count) -eq 0 ]] || fail "gc left pods behind"
}

@test "--rm mounts the root overlay volatile (its writes are thrown away); a kept pod's is not" {
    berth_run -0 --rm "$IMAGE" sh -c "awk '\$2 == \"/\" { print \$1, \$4 }' /proc/mounts"
    [[ $output == overlay*volatile* ]] || fail "root mount of a --rm pod: $output"
    berth_run -0 "$IMAGE" sh -c "awk '\$2 == \"/\" { print \$1, \$4 }' /proc/mounts"
    [[ $output == overlay* && $output != *volatile* ]] || fail "root mount of a kept pod: $output"
}

@test "files written as another uid are removed by --rm too" {
    berth_run -0 --rm -u 33 "$IMAGE" sh -c 'mkdir -p /tmp/d && echo x > /tmp/d/f'
    [[ $(pod_count) -eq 0 ]] || fail "pods left behind"
}

@test "INT, TERM, USR1 and HUP sent to berth reach a trap inside" {
    local shared=$BATS_TEST_TMPDIR/shared
    mkdir -p "$shared"
    # shellcheck disable=SC2016
    "$BERTH" --root "$STORE" "$INSECURE" run -v "$shared:/shared" "$IMAGE" sh -c '
        for s in INT TERM USR1 HUP; do trap "echo $s >> /shared/log" $s; done
        touch /shared/ready
        i=0
        while [ $i -lt 400 ]; do
            [ -e /shared/stop ] && exit 0
            sleep 0.05; i=$((i+1))
        done
        exit 9' &
    local pid=$! i
    for ((i = 0; i < 200; i++)); do [[ -e $shared/ready ]] && break; sleep 0.05; done
    [[ -e $shared/ready ]] || fail "the container never started"
    for sig in INT TERM USR1 HUP; do
        kill -s "$sig" "$pid"
        for ((i = 0; i < 100; i++)); do grep -qx "$sig" "$shared/log" 2>/dev/null && break; sleep 0.05; done
        grep -qx "$sig" "$shared/log" || fail "SIG$sig did not reach the trap"
    done
    touch "$shared/stop"
    wait "$pid"
}

@test "a SIGKILL of berth kills the pod, which then shows as exited" {
    local shared=$BATS_TEST_TMPDIR/shared
    mkdir -p "$shared"
    "$BERTH" --root "$STORE" "$INSECURE" run -v "$shared:/shared" "$IMAGE" \
        sh -c 'touch /shared/ready; sleep 30' &
    local pid=$! i
    for ((i = 0; i < 200; i++)); do [[ -e $shared/ready ]] && break; sleep 0.05; done
    kill -KILL "$pid"
    wait "$pid" || true
    for ((i = 0; i < 100; i++)); do pgrep -u "$(id -u)" -f 'sleep 30' >/dev/null || break; sleep 0.05; done
    ! pgrep -u "$(id -u)" -f 'sleep 30' || fail "the app outlived berth"
    run_berth -0 list --no-legend
    assert_contains "$output" "exited"
    run_berth -0 gc
    [[ $(pod_count) -eq 0 ]] || fail "gc left the pod"
}

@test "an orphaned grandchild is reaped by the pod's init" {
    # shellcheck disable=SC2016
    berth_run -0 "$IMAGE" sh -c '
        sh -c "sleep 0.2 & exit 0"
        sleep 1
        cat /proc/[0-9]*/stat | awk "{ print \$3 }" | grep -c Z || true'
    [[ ${lines[-1]} == 0 ]] || fail "zombies left: ${lines[-1]}"
}

@test "environment values with spaces, =, #, !, newlines and odd names round-trip" {
    local value=$'a b=c #d !e\nsecond line'
    printf 'FROM_FILE=file value\n# comment\nodd.name-1=odd\n' >"$BATS_TEST_TMPDIR/env"
    CALLER_VALUE="from caller" berth_run -0 -e "V=$value" -e CALLER_VALUE \
        --env-file "$BATS_TEST_TMPDIR/env" "$IMAGE" env
    local env=$output
    assert_contains "$env" "V=$value"
    assert_contains "$env" "CALLER_VALUE=from caller"
    assert_contains "$env" "FROM_FILE=file value"
    assert_contains "$env" "odd.name-1=odd"
    assert_contains "$env" "container=berth"
    assert_contains "$env" "PATH=/"
    assert_contains "$env" "HOME=/root"
}

@test "--user by number and by name; HOME is never empty" {
    berth_run -0 --user 33 "$IMAGE" sh -c 'id -u; echo "HOME=$HOME"'
    [[ ${lines[0]} == 33 ]] || fail "uid ${lines[0]}"
    assert_contains "$output" "HOME=/"
    berth_run -0 --user www-data "$IMAGE" sh -c 'id -un; id -g'
    [[ ${lines[0]} == www-data ]] || fail "user ${lines[0]}"
    berth_run -0 --user 4242:4243 "$IMAGE" sh -c 'id -u; id -g; echo "HOME=$HOME"'
    [[ ${lines[0]} == 4242 && ${lines[1]} == 4243 ]] || fail "ids ${lines[*]}"
    [[ ${lines[2]} == HOME=/ ]] || fail "HOME empty for an unnamed uid: ${lines[2]}"
}

@test "files owned by uid 33 in the image show as 33 inside" {
    berth_run -0 "$IMAGE" stat -c %u:%g /srv/owned-by-33
    [[ $output == 33:33 ]] || fail "owner $output"
}

@test "/proc/self/uid_map shows the subordinate range" {
    berth_run -0 "$IMAGE" cat /proc/self/uid_map
    [[ ${lines[0]} =~ ^[[:space:]]*0[[:space:]]+$(id -u)[[:space:]]+1$ ]] || fail "line 1: ${lines[0]}"
    [[ ${lines[1]} =~ ^[[:space:]]*1[[:space:]]+$(subid_start /etc/subuid)[[:space:]] ]] ||
        fail "line 2: ${lines[1]}"
}

@test "--workdir is used, and a missing one exits 126 naming it" {
    berth_run -0 -w /srv "$IMAGE" pwd
    [[ $output == /srv ]] || fail "pwd $output"
    berth_run -126 -w /no/such/dir "$IMAGE" pwd
    assert_one_line_error "workdir '/no/such/dir' does not exist"
}

@test "volumes: rw, ro, and a duplicate destination is 125" {
    local dir=$BATS_TEST_TMPDIR/vol
    mkdir -p "$dir"
    echo host >"$dir/from-host"
    berth_run -0 -v "$dir:/data" "$IMAGE" sh -c 'cat /data/from-host; echo inside > /data/from-container'
    [[ $output == host ]] || fail "read $output"
    [[ $(cat "$dir/from-container") == inside ]] || fail "write did not reach the host"
    berth_run -1 -v "$dir:/data:ro" "$IMAGE" sh -c 'echo x > /data/nope'
    [[ ! -e $dir/nope ]] || fail "wrote through a read-only volume"
    berth_run -125 -v "$dir:/data" --tmpfs /data "$IMAGE" true
    assert_one_line_error "duplicate mount destination '/data'"
    berth_run -0 --tmpfs /scratch:size=1m "$IMAGE" sh -c 'echo ok > /scratch/f && grep " /scratch " /proc/mounts'
    assert_contains "$output" "tmpfs"
}

@test "--read-only with its tmpfs set, and --read-only-tmpfs=false" {
    berth_run -1 --read-only "$IMAGE" touch /file
    assert_contains "$stderr" "Read-only file system"
    berth_run -0 --read-only "$IMAGE" sh -c 'touch /tmp/a /var/tmp/b /run/c /dev/shm/d'
    berth_run -1 --read-only --read-only-tmpfs=false "$IMAGE" touch /tmp/a
}

@test "masked paths are empty or /dev/null; /proc/sys is read-only" {
    # Only the paths this kernel has exist to be masked.
    berth_run -0 "$IMAGE" sh -c '
        for p in /proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list \
                 /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/dev/block; do
            if [ -d $p ]; then n=$(ls -A $p | wc -l); elif [ -e $p ]; then n=$(cat $p | wc -c); else n=0; fi
            [ "$n" = 0 ] || echo "visible: $p"
        done
        echo 1 > /proc/sys/kernel/hostname 2>/dev/null && echo writable || echo read-only
        echo x > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable || echo sysrq-read-only'
    assert_not_contains "$output" "visible"
    assert_contains "$output" "sysrq-read-only"
    [[ ${lines[0]} == read-only ]] || fail "/proc/sys is ${lines[0]}"
}

@test "capabilities: Podman's default set, --cap-drop, --cap-add, non-root" {
    berth_run -0 "$IMAGE" grep CapEff /proc/self/status
    assert_contains "$output" "00000000800405fb"
    berth_run -0 --cap-drop CHOWN "$IMAGE" grep CapEff /proc/self/status
    assert_contains "$output" "00000000800405fa"
    berth_run -0 --cap-drop all "$IMAGE" grep CapEff /proc/self/status
    assert_contains "$output" "0000000000000000"
    berth_run -0 --cap-add NET_ADMIN "$IMAGE" grep CapEff /proc/self/status
    assert_contains "$output" "00000000800415fb"
    berth_run -0 -u 33 "$IMAGE" grep -E 'CapEff|CapBnd' /proc/self/status
    assert_contains "$output" "0000000000000000"
    assert_contains "$output" "00000000800405fb"
}

@test "no_new_privs and seccomp are on by default, off with --privileged" {
    berth_run -0 "$IMAGE" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
    assert_contains "$output" $'NoNewPrivs:\t1'
    assert_contains "$output" $'Seccomp:\t2'
    berth_run -0 --privileged "$IMAGE" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
    assert_contains "$output" $'NoNewPrivs:\t0'
    assert_contains "$output" $'Seccomp:\t0'
    # The filter, not a missing capability, refuses a new namespace.
    berth_run -1 --cap-add SYS_ADMIN "$IMAGE" unshare -m true
    assert_contains "$stderr" "Operation not permitted"
    berth_run -0 --privileged "$IMAGE" unshare -m true
}

@test "700,000 bytes with NULs pass through stdin and stdout intact" {
    local data=$BATS_TEST_TMPDIR/data
    head -c 700000 /dev/urandom >"$data"
    "$BERTH" --root "$STORE" "$INSECURE" run -i "$IMAGE" cat <"$data" >"$BATS_TEST_TMPDIR/out"
    cmp "$data" "$BATS_TEST_TMPDIR/out"
    "$BERTH" --root "$STORE" "$INSECURE" run "$IMAGE" head -c 700000 /dev/zero | cmp - <(head -c 700000 /dev/zero)
}

@test "cat <<<x with -i ends; without -i stdin is empty" {
    run --separate-stderr timeout 20 "$BERTH" --root "$STORE" "$INSECURE" run -i "$IMAGE" cat <<<x
    [[ $status -eq 0 && $output == x ]] || fail "status $status output '$output'"
    run --separate-stderr timeout 20 "$BERTH" --root "$STORE" "$INSECURE" run "$IMAGE" cat <<<x
    [[ $status -eq 0 && -z $output ]] || fail "status $status output '$output'"
}

@test "/dev has the usual nodes; /etc files are generated" {
    berth_run -0 --hostname box "$IMAGE" sh -c '
        for n in null zero full random urandom tty ptmx pts shm fd stdin stdout stderr; do
            [ -e /dev/$n ] || echo "missing /dev/$n"
        done
        hostname; cat /etc/hostname; grep -c box /etc/hosts; test -e /etc/resolv.conf && echo resolv'
    assert_not_contains "$output" "missing"
    [[ ${lines[0]} == box && ${lines[1]} == box && ${lines[2]} == 1 && ${lines[3]} == resolv ]] ||
        fail "unexpected: ${lines[*]}"
}

@test "the generated /etc files can be edited and replaced; with --read-only still edited" {
    # Tools replace resolv.conf by rename; over a bound file that fails (EBUSY).
    berth_run -0 --net=host "$IMAGE" sh -c '
        echo "nameserver 192.0.2.1" > /tmp/resolv && mv /tmp/resolv /etc/resolv.conf &&
        echo "192.0.2.2 other" >> /etc/hosts && cat /etc/resolv.conf && tail -1 /etc/hosts'
    [[ $output == $'nameserver 192.0.2.1\n192.0.2.2 other' ]] || fail "unexpected: $output"
    berth_run -0 --read-only "$IMAGE" sh -c 'echo "192.0.2.3 third" >> /etc/hosts && tail -1 /etc/hosts'
    [[ $output == "192.0.2.3 third" ]] || fail "unexpected: $output"
}

@test "--net=none has only loopback; --net=host sees the host's interfaces" {
    berth_run -0 "$IMAGE" ls /sys/class/net
    [[ $output == lo ]] || fail "interfaces: $output"
    berth_run -0 --net=host "$IMAGE" ls /sys/class/net
    [[ $(wc -l <<<"$output") -eq $(ls /sys/class/net | wc -l) ]] || fail "interfaces: $output"
}

@test "-t gives a pty with TERM=xterm" {
    command -v script >/dev/null || skip "needs script(1)"
    run script -qec "$BERTH --root $STORE $INSECURE run -t $IMAGE sh -c 'tty; echo TERM=\$TERM; stty size'" /dev/null
    [[ $status -eq 0 ]] || fail "status $status: $output"
    assert_contains "$output" "/dev/pts/0"
    assert_contains "$output" "TERM=xterm"
}

@test "two apps in one pod see each other's processes" {
    berth_run -0 "$IMAGE" sh -c 'sleep 0.5; cat /proc/[0-9]*/cmdline | tr "\0" " "' --- "$IMAGE" sleep 1.5
    assert_contains "$output" "sleep 1.5"
}

@test "--name names the pod; a second pod may not take it" {
    berth_run -0 --name web "$IMAGE" true
    run_berth -0 status web
    assert_contains "$output" "exit-status=0"
    berth_run -125 --name web "$IMAGE" true
    assert_one_line_error "already used"
}

@test "--userns=keep-id runs as the user's own ids" {
    berth_run -0 --userns=keep-id "$IMAGE" sh -c 'id -u; id -g'
    [[ ${lines[0]} == "$(id -u)" && ${lines[1]} == "$(id -g)" ]] || fail "ids ${lines[*]}"
}

@test "--userns=keep-id and the default map each get trees of their own: root's files stay root's" {
    # keep-id first: its trees must not become the default map's.
    berth_run -0 --rm --userns=keep-id "$IMAGE" stat -c %u /bin/busybox
    [[ $output == 0 ]] || fail "keep-id sees /bin/busybox owned by $output"
    berth_run -0 --rm "$IMAGE" stat -c %u /bin/busybox
    [[ $output == 0 ]] || fail "after a keep-id run, /bin/busybox is owned by $output"
    berth_run -0 --rm --userns=keep-id "$IMAGE" stat -c %u /bin/busybox
    [[ $output == 0 ]] || fail "keep-id after a default run sees $output"
}

@test "an ACI runs with AC_APP_NAME set" {
    berth_run -0 "$FIXTURES/busybox.aci" sh -c 'echo $AC_APP_NAME'
    [[ -n $output ]] || fail "AC_APP_NAME is empty"
}

# make_aci NAME MANIFEST-JSON: an ACI of the busybox tree with that manifest.
make_aci() {
    command -v actool >/dev/null || skip "needs actool (apt-get install appc-spec)"
    local layout=$BATS_TEST_TMPDIR/$1-layout
    mkdir -p "$layout/rootfs"
    tar -xf "$FIXTURES/rootfs.tar" -C "$layout/rootfs" --no-same-owner 2>/dev/null || true
    printf '%s\n' "$2" >"$layout/manifest"
    actool build --overwrite --owner-root "$layout" "$BATS_TEST_TMPDIR/$1.aci" >/dev/null
    echo "$BATS_TEST_TMPDIR/$1.aci"
}

@test "appc: event handlers around the app, an empty volume shared by two apps, path users" {
    local manifest aci
    manifest='{"acVersion":"0.8.11","acKind":"ImageManifest","name":"example.com/hooks",
      "labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],
      "app":{"exec":["/bin/sh","-c","cat /db/pre > /db/main; id -u >> /db/main; pwd >> /db/main"],
        "user":"33","group":"/srv/owned-by-33","workingDirectory":"/srv",
        "eventHandlers":[{"name":"pre-start","exec":["/bin/sh","-c","echo pre > /db/pre"]},
                         {"name":"post-stop","exec":["/bin/sh","-c","echo post >> /db/main; cat /db/main > /db/done"]}],
        "mountPoints":[{"name":"db","path":"/db","readOnly":false}]}}'
    aci=$(make_aci hooks "$manifest")
    local side='{"acVersion":"0.8.11","acKind":"ImageManifest","name":"example.com/side",
      "labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],
      "app":{"exec":["/bin/sh","-c","i=0; while [ ! -e /db/done ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; cat /db/done"],
        "user":"0","group":"0","mountPoints":[{"name":"db","path":"/db","readOnly":false}]}}'
    local sideaci
    sideaci=$(make_aci side "$side")
    berth_run -0 --volume db,kind=empty,mode=0777 "$aci" --- "$sideaci"
    [[ $output == $'pre\n33\n/srv\npost' ]] || fail "unexpected: $output"
}
