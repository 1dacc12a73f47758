#!/bin/bash
# Build the libFuzzer harnesses (tests/fuzz) with clang and run each for a
# bounded time. Exits non-zero if any harness found a crash, a leak, a hang
# or an out-of-memory input; the inputs are kept in
# BUILD/tests/fuzz/artifacts/NAME/ and each replays with
# `BUILD/tests/fuzz/NAME_fuzz FILE`.
#
#   bash contrib/fuzz.sh [--seconds N] [--build DIR] [--jobs N] [NAME...]
#
#   --seconds N   fuzz each harness N seconds (default 5; 600 is the long run)
#   --build DIR   build directory (default build-fuzz), configured with clang
#                 and -Dfuzzing=true
#   --jobs N      harnesses fuzzed at once (default 1)
#   NAME...       only these harnesses (aci_manifest, layer_tar, ...)
#
# Installs clang and libclang-rt-dev if they are missing (through
# contrib/install-deps.sh: as root, or with sudo); works as an ordinary user
# once they are installed. The meson log is DIR/meson-logs/testlog.json.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=contrib/lib.sh
. "$src/contrib/lib.sh"

seconds=5
build="build-fuzz"
jobs=1
names=()
while (($#)); do
    case $1 in
        --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
        --build) build=${2:?--build needs a directory}; shift 2 ;;
        --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option '$1' (try --help)" ;;
        *) names+=("$1"); shift ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "--seconds takes a positive number of seconds, not '$seconds'"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs takes a positive number, not '$jobs'"

step "installing missing packages"
bash "$src/contrib/install-deps.sh" fuzz

step "configuring $build (clang, -Dfuzzing=true)"
if [[ -f $build/build.ninja ]]; then
    # meson keeps the compiler chosen at setup: a gcc build dir cannot
    # become a fuzzing one.
    if ! meson introspect --buildoptions "$build" | python3 -c 'import json, sys
sys.exit(0 if any(o["name"] == "fuzzing" and o["value"] for o in json.load(sys.stdin)) else 1)'; then
        die "$build was not configured for fuzzing; remove it or pass --build with another directory"
    fi
else
    CC=clang CXX=clang++ meson setup "$build" "$src" -Dfuzzing=true >/dev/null
fi

step "building the harnesses"
nice ninja -C "$build"

step "fuzzing each harness for $seconds s"
rc=0
BERTH_FUZZ_SECONDS=$seconds meson test -C "$build" --no-rebuild --suite fuzz --print-errorlogs \
    --num-processes "$jobs" "${names[@]}" || rc=$?
if ((rc != 0)); then
    echo "fuzz.sh: a harness failed; its input is in $build/tests/fuzz/artifacts/ (replay: $build/tests/fuzz/NAME_fuzz FILE)" >&2
fi
exit "$rc"
