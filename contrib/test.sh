#!/bin/bash
# Install what is missing, build, and run every test: the unit suite and the
# rootless system suite. Ends with "N passed, N failed, N skipped" and exits
# non-zero if anything failed.
#
#   bash contrib/test.sh [MESON-TEST-ARGS...]     e.g. --suite system
#
# As root (CI), it creates the unprivileged user berth-test with subordinate
# uid/gid ranges, copies the source to a directory that user owns under
# /var/tmp, and builds and tests there as that user: rootless is the product,
# so the tests must not run as root, and CI's clone may sit under a directory
# (/root) that no other user can enter.
#
# As an ordinary user it builds in build-test/ and runs the tests as you;
# system tests skip (and say why) if you have no subordinate ids.
#
# As root it then runs the meson suite "root" (tests that make users and
# groups: the system store's group matrix) as root on the same build, and
# prints one summary of both runs.
#
# Environment: BERTH_BUILD_DIR overrides the build directory (non-root);
# CI=true turns warnings into errors.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=contrib/lib.sh
. "$src/contrib/lib.sh"

setup_opts=(-Dfault_hooks=true)
if [[ ${CI:-} == true ]]; then
    setup_opts+=(-Dwerror_ci=true)
else
    setup_opts+=(-Dwerror_ci=false)
fi

# build_and_test BUILDDIR [MESON-TEST-ARGS...]: the part that runs as the
# unprivileged user. Prints the summary unless BERTH_NO_SUMMARY=1 (root
# prints one summary of both parts); returns 3 when the build failed.
build_and_test() {
    local build=$1
    shift
    step "configuring $build"
    if [[ -f $build/build.ninja ]]; then
        meson configure "$build" "${setup_opts[@]}" >/dev/null
    else
        meson setup "$build" "$src" "${setup_opts[@]}" >/dev/null
    fi
    step "building"
    if ! ninja -C "$build"; then
        echo "The build failed; no test ran."
        echo "0 passed, 1 failed, 0 skipped"
        return 3
    fi
    step "running the unit and system tests as $(id -un) (uid $(id -u))"
    local rc=0
    # Two processes: CI has two cores, and the system tests are mostly waiting
    # on the disk and on child processes anyway.
    meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 2 "$@" || rc=$?
    if [[ ${BERTH_NO_SUMMARY:-} == 1 ]]; then
        return "$rc"
    fi
    local summary=0
    python3 "$src/contrib/test-summary.py" "$build/meson-logs/testlog.json" || summary=$?
    if ((rc != 0 || summary != 0)); then
        return 1
    fi
}

if [[ ${1:-} == --as-test-user ]]; then
    # Second half of a root run, now as the test user.
    shift
    build=$1
    shift
    build_and_test "$build" "$@"
    exit
fi

step "installing missing packages"
bash "$src/contrib/install-deps.sh" test

if [[ $(id -u) -ne 0 ]]; then
    build_and_test "${BERTH_BUILD_DIR:-$src/build-test}" "$@"
    exit
fi

ensure_test_user
work=$(user_workdir test "$src")
# Two root runs from one tree (two terminals) would build over each other.
exec 8>"$work/.lock"
flock 8
step "copying the source to $work/src for $BERTH_TEST_USER"
# rsync keeps modification times, so an unchanged file does not rebuild;
# --delete drops files removed from the tree.
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
# The rootless suite as the test user; the "root" suite (files that make
# users and groups, such as the system store's group matrix) afterwards as
# root on the same build, so the two never run at once. One summary counts
# both.
user_rc=0
as_test_user env BERTH_NO_SUMMARY=1 bash "$work/src/contrib/test.sh" --as-test-user \
    "$work/build" --no-suite root "$@" || user_rc=$?
if ((user_rc == 3)); then
    exit 1 # the build failed and said so
fi
logs=$work/build/meson-logs
rm -f "$logs/root-testlog.json"
root_rc=0
# With arguments (say --suite unit) the root suite runs only when they name it.
if [[ $# -eq 0 || " $* " == *" root "* || " $* " == *system-store* ]]; then
    step "running the root suite as root"
    meson test -C "$work/build" --no-rebuild --print-errorlogs --suite root \
        --logbase root-testlog || root_rc=$?
fi
cat "$logs/testlog.json" "$logs/root-testlog.json" >"$logs/all-testlog.json" 2>/dev/null || true
summary_rc=0
python3 "$src/contrib/test-summary.py" "$logs/all-testlog.json" || summary_rc=$?
if ((user_rc != 0 || root_rc != 0 || summary_rc != 0)); then
    exit 1
fi
