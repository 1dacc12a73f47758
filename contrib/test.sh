#!/bin/bash
# Install what is missing, build, and run every test: the unit suite, the
# rootless system suite, the fuzzers briefly and, as root, the root suite.
# Ends with the run's duration and, last, "N passed, N failed, N skipped"; exits
# non-zero if anything failed. A step that could not run (the build failed,
# the test user could not start meson) counts as failed and gets one line
# saying why: no summary hides a suite that did not run.
#
#   bash contrib/test.sh [MESON-TEST-ARGS...]     e.g. --suite system, or run
#   bash contrib/test.sh --suite fuzz             only the fuzzers (contrib/fuzz.sh)
#   bash contrib/test.sh --suite fresh            only the long test that runs the
#                                                 README's commands in a fresh
#                                                 Debian root filesystem (root)
#   bash contrib/test.sh --sanitize [MESON-TEST-ARGS...]
#                                                 the unit, system and root suites
#                                                 built with ASan and UBSan in
#                                                 build-sanitize/; a finding fails
#
# As root (CI), it creates the unprivileged user berth-test with subordinate
# uid/gid ranges, copies the source to a directory that user owns under
# /var/tmp, and builds and tests there as that user, starting every step of
# that user's in that directory: rootless is the product, so the tests must
# not run as root, and the caller may be somewhere (/root) that no other user
# can enter. It then runs the meson suite "root" (tests that make users and
# groups) as root on the same build, and prints one summary of all steps.
#
# As an ordinary user it builds in build-test/ (build-sanitize/) and runs the
# tests as you; system tests skip (and say why) if you have no subordinate ids.
#
# Compiled objects are shared through ccache with contrib/try.sh's build/,
# so running both builds the sources once.
#
# Environment: BERTH_BUILD_DIR overrides the build directory (non-root);
# CI=true turns warnings into errors; ASAN_OPTIONS and UBSAN_OPTIONS, when
# set, replace --sanitize's.
set -euo pipefail

started=$(date +%s)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=contrib/lib.sh
. "$src/contrib/lib.sh"

setup_opts=(-Dfault_hooks=true)
if [[ ${CI:-} == true ]]; then
    setup_opts+=(-Dwerror_ci=true)
else
    setup_opts+=(-Dwerror_ci=false)
fi
# ASan cannot link a static program; lundef off because the sanitizer
# runtime resolves symbols at load time.
sanitize_opts=("-Db_sanitize=address,undefined" -Db_lundef=false -Dstatic_front=disabled)

# configure BUILD [sanitize]: set BUILD up, or bring its options up to date.
configure() {
    local build=$1 opts=("${setup_opts[@]}")
    [[ ${2:-} == sanitize ]] && opts+=("${sanitize_opts[@]}")
    step "configuring $build"
    if [[ -f $build/build.ninja ]]; then
        meson configure "$build" "${opts[@]}" >/dev/null
    else
        meson setup "$build" "$src" "${opts[@]}" >/dev/null
    fi
}

# run_suite PART BUILD MESON-TEST-ARGS...: run meson test in BUILD and record
# in the directory PART what was meant to run (expected), what ran
# (testlog.json) and how it ended (status), for test-summary.py.
run_suite() {
    local part=$1 build=$2 name
    shift 2
    name=$(basename "$part")
    mkdir -p "$part"
    rm -f "$part/testlog.json" "$part/expected" "$part/why" "$part/status"
    if ! meson test -C "$build" --no-rebuild --list "$@" >"$part/expected" 2>"$part/list.err"; then
        rm -f "$part/expected"
        echo "could not list its tests: $(tail -n 1 "$part/list.err")" >"$part/why"
        echo 1 >"$part/status"
        return 1
    fi
    # Each step has its own log name: the root suite runs as root in the
    # test user's build directory, whose logs root must not take over.
    local log=$build/meson-logs/$name-testlog.json rc=0
    rm -f "$log"
    meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 2 \
        --logbase "$name-testlog" "$@" || rc=$?
    [[ -f $log ]] && cp "$log" "$part/testlog.json"
    echo "$rc" >"$part/status"
    return "$rc"
}

# build_and_test BUILD RESULTS MODE [MESON-TEST-ARGS...]: the part that runs
# as the unprivileged user, recorded in RESULTS/rootless. MODE is "plain",
# "sanitize" or "configure" (only set BUILD up: the fresh suite needs no
# build). Returns 3 when the build failed.
build_and_test() {
    local build=$1 results=$2 mode=$3
    shift 3
    local part=$results/rootless
    mkdir -p "$part"
    if ! configure "$build" "$mode"; then
        echo 1 >"$part/status"
        echo "meson could not configure $build (its error is above)" >"$part/why"
        return 3
    fi
    [[ $mode == configure ]] && return 0
    step "building"
    if ! ninja -C "$build"; then
        echo 1 >"$part/status"
        echo "the build failed (its errors are above)" >"$part/why"
        touch "$results/build-failed"
        return 3
    fi
    step "running the unit and system tests as $(id -un) (uid $(id -u))"
    # Two processes: CI has two cores, and the system tests are mostly waiting
    # on the disk and on child processes anyway.
    run_suite "$part" "$build" "$@"
}

# record_not_run PART WHY: a step that never got to run its tests.
record_not_run() {
    mkdir -p "$1"
    [[ -f $1/status ]] && return 0
    echo 1 >"$1/status"
    echo "$2" >"$1/why"
}

if [[ ${1:-} == --as-test-user ]]; then
    # The unprivileged half of a root run, now as the test user.
    shift
    build=$1 results=$2 mode=$3
    shift 3
    build_and_test "$build" "$results" "$mode" "$@"
    exit
fi

sanitize=0
if [[ ${1:-} == --sanitize ]]; then
    sanitize=1
    shift
    # A finding stops the program with a non-zero status and a report, so the
    # test fails. Leaks are findings too.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1}
fi

# Which steps run: with no arguments all of them. "--suite fuzz" and
# "--suite fresh" name steps of their own (fuzz.sh's build, a fresh root
# filesystem) and are taken out of the arguments meson test gets; any other
# argument goes to the rootless run, and the root suite runs only when the
# arguments name it.
want_rootless=0 want_fuzz=0 want_root=0 want_fresh=0
args=()
while (($#)); do
    case $1 in
        --suite=fuzz | --suite=fresh) suite=${1#--suite=} ;;
        --suite)
            if [[ ${2:-} == fuzz || ${2:-} == fresh ]]; then
                suite=$2
                shift
            else
                args+=("$1")
                suite=
            fi
            ;;
        *)
            args+=("$1")
            suite=
            ;;
    esac
    case ${suite:-} in
        fuzz) want_fuzz=1 ;;
        fresh) want_fresh=1 ;;
    esac
    suite=
    shift
done
if ((${#args[@]} == 0 && want_fuzz == 0 && want_fresh == 0)); then
    want_rootless=1 want_root=1
    ((sanitize)) || want_fuzz=1
elif ((${#args[@]} > 0)); then
    want_rootless=1
    if [[ " ${args[*]} " == *" root "* || " ${args[*]} " == *system-store* ]]; then
        want_root=1
    fi
fi
# The rootless run never takes the root suite (root runs it after) nor the
# fresh one (it takes an hour and root).
rootless_args=(--no-suite root --no-suite fresh "${args[@]}")

summarize() {
    python3 "$src/contrib/test-summary.py" --started "$started" "$@"
}

groups=(test)
((want_fresh)) && groups+=(fresh)
step "installing missing packages"
if ! bash "$src/contrib/install-deps.sh" "${groups[@]}"; then
    part=$(mktemp -d)/packages
    record_not_run "$part" "contrib/install-deps.sh ${groups[*]} failed (its error is above), so no test ran"
    summarize "$part"
    exit 1
fi
# The fuzzers' compiler apart: without it only the fuzzers fail.
fuzz_deps=ok
fuzz_script=$src/contrib/fuzz.sh
if ((want_fuzz)) && [[ -f $fuzz_script ]]; then
    bash "$src/contrib/install-deps.sh" fuzz || fuzz_deps=failed
fi

if [[ $(id -u) -ne 0 ]]; then
    share_ccache
    if ((sanitize)); then
        build=$src/build-sanitize
    else
        build=${BERTH_BUILD_DIR:-$src/build-test}
    fi
    results=$build/test-results
    rm -rf "$results"
    mkdir -p "$results"
    parts=()
    mode=plain
    ((sanitize)) && mode=sanitize
    if ((want_rootless)); then
        build_and_test "$build" "$results" "$mode" "${rootless_args[@]}" || true
        parts+=("$results/rootless")
    fi
    if ((want_fuzz)); then
        if [[ $fuzz_deps != ok ]]; then
            record_not_run "$results/fuzz" "contrib/install-deps.sh fuzz failed (its error is above)"
        elif [[ -f $fuzz_script ]]; then
            rc=0
            rm -f "$src/build-fuzz/meson-logs/testlog.json"
            bash "$fuzz_script" --seconds 5 --build "$src/build-fuzz" || rc=$?
            mkdir -p "$results/fuzz"
            echo "$rc" >"$results/fuzz/status"
            cp "$src/build-fuzz/meson-logs/testlog.json" "$results/fuzz/" 2>/dev/null || true
            ((rc == 0)) || echo "contrib/fuzz.sh exited with status $rc (its errors are above)" >"$results/fuzz/why"
        else
            mkdir -p "$results/fuzz"
            echo "contrib/fuzz.sh is not in this tree, so no fuzzer ran" >"$results/fuzz/note"
        fi
        parts+=("$results/fuzz")
    fi
    if ((want_fresh)); then
        [[ -f $build/build.ninja ]] || configure "$build" plain
        run_suite "$results/fresh" "$build" --suite fresh || true
        parts+=("$results/fresh")
    fi
    summarize "${parts[@]}"
    exit
fi

ensure_test_user
share_ccache
# fuse-overlayfs, berth's fallback where the kernel cannot mount overlayfs in
# a user namespace, opens /dev/fuse as the user. Debian's udev rule makes it
# 0666; a machine without udev (a container, a minimal VM) leaves it 0600,
# and the fuse tests would only skip.
if [[ -c /dev/fuse && $(stat -c %a /dev/fuse) != 666 ]]; then
    step "making /dev/fuse usable by unprivileged users (mode 0666, as Debian's udev rule does)"
    chmod 0666 /dev/fuse
fi
work=$(user_workdir test "$src")
# Two root runs from one tree (two terminals) would build over each other.
exec 8>"$work/.lock"
flock 8
step "copying the source to $work/src for $BERTH_TEST_USER"
# rsync keeps modification times, so an unchanged file does not rebuild;
# --delete drops files removed from the tree (not the excluded build
# directories).
rsync -a --delete --chown="$BERTH_TEST_USER:$BERTH_TEST_USER" \
    --exclude='/build*/' --exclude=/.git/ "$src/" "$work/src/"
# The conformance suites from outside the project sit in shared/ beside the
# clone, which the test user may not be able to reach: copy them beside the
# copy, where the system tests look (SRC/../shared/conformance).
if [[ -d $src/../shared/conformance ]]; then
    mkdir -p "$work/shared"
    rsync -a --delete --chown="$BERTH_TEST_USER:$BERTH_TEST_USER" \
        "$src/../shared/conformance/" "$work/shared/conformance/"
fi

# The build directories sit inside the copy, as build/ does in the tree:
# compile commands name sources relative to the build directory, so only
# the same layout lets ccache hand contrib/try.sh's objects over.
if ((sanitize)); then
    build=$work/src/build-sanitize mode=sanitize
else
    build=$work/src/build mode=plain
fi
results=$work/results
rm -rf "$results"
mkdir -p "$results"
chown "$BERTH_TEST_USER:" "$results"
parts=()

# The rootless suite as the test user, from its own copy; the "root" suite
# (files that make users and groups, such as the system store's group
# matrix) afterwards as root on the same build, so the two never run at once.
if ((want_rootless || want_fresh)); then
    ((want_rootless)) || mode=configure
    rc=0
    as_test_user "$work" bash "$work/src/contrib/test.sh" --as-test-user \
        "$build" "$results" "$mode" "${rootless_args[@]}" || rc=$?
    if ((want_rootless)); then
        record_not_run "$results/rootless" \
            "the step run as $BERTH_TEST_USER exited with status $rc before it could run the tests (its error is above)"
        parts+=("$results/rootless")
    fi
fi

if ((want_fuzz)); then
    part=$results/fuzz
    mkdir -p "$part"
    if [[ $fuzz_deps != ok ]]; then
        record_not_run "$part" "contrib/install-deps.sh fuzz failed (its error is above)"
    elif [[ -f $work/src/contrib/fuzz.sh ]]; then
        step "running the fuzzers for 5 s each as $BERTH_TEST_USER"
        fuzz_build=$work/src/build-fuzz
        rm -f "$fuzz_build/meson-logs/testlog.json"
        rc=0
        as_test_user "$work" bash "$work/src/contrib/fuzz.sh" --seconds 5 --build "$fuzz_build" || rc=$?
        echo "$rc" >"$part/status"
        cp "$fuzz_build/meson-logs/testlog.json" "$part/" 2>/dev/null || true
        if [[ -f $fuzz_build/build.ninja ]]; then
            as_test_user "$work" meson test -C "$fuzz_build" --no-rebuild --list --suite fuzz \
                >"$part/expected" 2>/dev/null || rm -f "$part/expected"
        fi
        ((rc == 0)) || echo "contrib/fuzz.sh exited with status $rc (its errors are above)" >"$part/why"
    else
        echo "contrib/fuzz.sh is not in this tree, so no fuzzer ran" >"$part/note"
    fi
    parts+=("$part")
fi

if ((want_root)); then
    if [[ -f $results/build-failed || ! -f $build/build.ninja ]]; then
        record_not_run "$results/root" "the build failed"
    else
        step "running the root suite as root"
        (cd "$work" && run_suite "$results/root" "$build" --suite root) || true
    fi
    parts+=("$results/root")
fi

if ((want_fresh)); then
    step "running the fresh suite as root (a Debian root filesystem; long)"
    (cd "$work" && BERTH_FRESH_TEST=1 run_suite "$results/fresh" "$build" --suite fresh) || true
    parts+=("$results/fresh")
fi

summarize "${parts[@]}"
