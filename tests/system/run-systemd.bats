#!/usr/bin/env bats
# systemd pass-through: berth is the unit's main process;
# socket activation (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES) reaches the app,
# and readiness (NOTIFY_SOCKET) reaches systemd from berth's own pid. Real
# systemd tools where they can run without a system instance
# (systemd-socket-activate); the notify socket is a listener this test makes,
# as systemd makes one for a unit.
# requires: unprivileged subids userns python3 gcc systemd-socket-activate
# shellcheck disable=SC2154,SC2030,SC2031 # bats sets status/output/stderr; each @test is a subshell

load helpers

setup() {
    use_run_env
    import_busybox
    SERVER_PID=
    export PIDFILE=$BATS_TEST_TMPDIR/berth.pid
}

teardown() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    remove_test_files
}

# as_service VAR=VALUE... -- ARGS...: runs `berth ARGS` the way systemd
# starts a service: the variables are set, and berth keeps the pid they were
# computed for ($$ of the exec'ing shell; LISTEN_PID=self means that pid).
# Redirections of fds 3.. come from the caller.
as_service() {
    local vars=()
    while [[ $1 != -- ]]; do
        vars+=("$1")
        shift
    done
    shift
    # shellcheck disable=SC2016 # expanded by that bash
    run --separate-stderr bash -c '
        vars=()
        while [[ $1 != -- ]]; do vars+=("${1/#LISTEN_PID=self/LISTEN_PID=$$}"); shift; done
        shift
        echo $$ >"$PIDFILE"
        exec env "${vars[@]}" "$@"' _ "${vars[@]}" -- "$BERTH" --root "$STORE" "$INSECURE" "$@"
    show_run "${vars[*]} berth $*"
}

# notify_sender: a static program (the image has no sd_notify client) that
# sends its argument to $NOTIFY_SOCKET as sd_notify(3) does; bound into the
# pod with -v.
notify_sender() {
    SENDER=$BATS_TEST_TMPDIR/notify-send
    cat >"$SENDER.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char **argv)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || argc != 2) return 2;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&a,
                         sizeof a) < 0) {
        perror(path);
        return 1;
    }
    return 0;
}
C
    gcc -static -O -o "$SENDER" "$SENDER.c" || skip "gcc cannot link a static program (libc6-dev)"
}

# notify_listener ADDRESS OUT: a datagram socket like systemd's notify
# socket (a path, or @NAME for an abstract one), in the background; the
# first message and its sender's pid (SCM_CREDENTIALS) go to OUT. Gives up
# after 120 s so that nothing outlives the test.
notify_listener() {
    local ready=$BATS_TEST_TMPDIR/listener-ready
    python3 - "$1" "$2" "$ready" <<'PY' &
import socket, struct, sys
address, out, ready = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + address[1:] if address.startswith("@") else address)
open(ready, "w").close()
s.settimeout(120)
data, ancillary, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
pid = 0
for level, kind, payload in ancillary:
    if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
        pid = struct.unpack("iII", payload[:12])[0]
with open(out, "w") as f:
    f.write("%d\n%s" % (pid, data.decode()))
PY
    SERVER_PID=$!
    local i
    for ((i = 0; i < 200; i++)); do
        [[ -e $ready ]] && return 0
        sleep 0.05
    done
    fail "the notify listener did not start"
}

@test "LISTEN_FDS for berth's pid: fds 3.. reach the app under their numbers, LISTEN_PID is its pid" {
    echo first >"$BATS_TEST_TMPDIR/a"
    echo second >"$BATS_TEST_TMPDIR/b"
    # shellcheck disable=SC2016
    as_service LISTEN_PID=self LISTEN_FDS=2 LISTEN_FDNAMES=one:two -- \
        run --rm "$IMAGE" sh -c \
        '[ "$LISTEN_PID" = $$ ] && echo "pid is mine"; echo "$LISTEN_FDS $LISTEN_FDNAMES"; cat <&3; cat <&4' \
        3<"$BATS_TEST_TMPDIR/a" 4<"$BATS_TEST_TMPDIR/b"
    assert_status 0
    [[ $output == $'pid is mine\n2 one:two\nfirst\nsecond' ]] || fail "got '$output'"
}

@test "fds not meant for berth stay out of the pod, as does LISTEN_FDS" {
    echo secret >"$BATS_TEST_TMPDIR/a"
    # LISTEN_PID names another process: the fds are not berth's to pass.
    # shellcheck disable=SC2016
    as_service LISTEN_PID=1 LISTEN_FDS=1 -- run --rm "$IMAGE" sh -c \
        'echo "[${LISTEN_FDS-unset}]"; ls /proc/self/fd' 3<"$BATS_TEST_TMPDIR/a" 5<"$BATS_TEST_TMPDIR/a"
    assert_status 0
    [[ ${lines[0]} == '[unset]' ]] || fail "LISTEN_FDS reached the app: ${lines[0]}"
    # ls has 0, 1, 2 and the directory it reads; the caller's 3 and 5 are gone.
    assert_not_contains "${lines[*]:1}" "5"
    [[ ${#lines[@]} -eq 5 ]] || fail "the app has fds beyond stdio: ${lines[*]:1}"
}

@test "systemd-socket-activate: the app serves the accepted connection on fd 3" {
    local port log=$BATS_TEST_TMPDIR/activate.log
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # --accept: one berth per connection, the connection as fd 3
    # (LISTEN_FDS=1, LISTEN_PID=berth's pid), as with Accept=yes units.
    # shellcheck disable=SC2016
    systemd-socket-activate --accept -l "127.0.0.1:$port" \
        env XDG_DATA_HOME="$XDG_DATA_HOME" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" \
        XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" \
        "$BERTH" --root "$STORE" "$INSECURE" run --rm "$IMAGE" sh -c \
        'read -r line <&3; echo "$line back from pid $LISTEN_PID, fds $LISTEN_FDS" >&3' \
        2>"$log" &
    SERVER_PID=$!
    local i
    for ((i = 0; i < 200; i++)); do
        grep -q "Listening on" "$log" && break
        sleep 0.05
    done
    grep -q "Listening on" "$log" || fail "systemd-socket-activate did not listen: $(cat "$log")"
    run python3 - "$port" <<'PY'
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=120)
c.sendall(b"ping\n")
reply = b""
while True:
    chunk = c.recv(4096)
    if not chunk:
        break
    reply += chunk
print(reply.decode(), end="")
PY
    echo "reply: $output"
    cat "$log"
    assert_status 0
    # The app is the first process the pod's init starts: pid 2, or more
    # when fuse-overlayfs ran first; what matters is that it is not berth's.
    [[ $output =~ ^ping\ back\ from\ pid\ [0-9]+,\ fds\ 1$ ]] || fail "got '$output'"
}

@test "NOTIFY_SOCKET: READY=1 from the app reaches the socket, sent by berth's pid" {
    notify_sender
    local sock=$BATS_TEST_TMPDIR/notify.sock out=$BATS_TEST_TMPDIR/notified
    notify_listener "$sock" "$out"
    # shellcheck disable=SC2016
    as_service NOTIFY_SOCKET="$sock" -- run --rm -u 33 -v "$SENDER:/notify-send:ro" "$IMAGE" \
        sh -c 'echo "$NOTIFY_SOCKET"; /notify-send "READY=1
MAINPID=2
STATUS=serving"'
    assert_status 0
    [[ $output == /run/notify/notify.sock ]] || fail "NOTIFY_SOCKET in the app: '$output'"
    wait "$SERVER_PID"
    SERVER_PID=
    local pid message
    pid=$(head -1 "$out")
    message=$(tail -n +2 "$out")
    # berth relays from its own pid (the unit's MAINPID), without the
    # app's MAINPID= (a pid of the pod's namespace).
    [[ $pid == "$(cat "$PIDFILE")" ]] || fail "sent by pid $pid, berth was $(cat "$PIDFILE")"
    [[ $message == $'READY=1\nSTATUS=serving' ]] || fail "message: '$message'"
}

@test "NOTIFY_SOCKET: an abstract socket (@NAME) is reached from a pod with its own network" {
    notify_sender
    local name="@berth-test-notify-$$-$RANDOM" out=$BATS_TEST_TMPDIR/notified
    notify_listener "$name" "$out"
    as_service NOTIFY_SOCKET="$name" -- run --rm --net=none -v "$SENDER:/notify-send:ro" "$IMAGE" \
        /notify-send READY=1
    assert_status 0
    wait "$SERVER_PID"
    SERVER_PID=
    [[ $(tail -n +2 "$out") == READY=1 ]] || fail "message: '$(cat "$out")'"
}
