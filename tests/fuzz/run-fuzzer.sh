#!/bin/bash
# Runs one libFuzzer harness for BERTH_FUZZ_SECONDS (default 5) seconds.
#
#   run-fuzzer.sh HARNESS SEED-DIR ARTIFACT-DIR [LIBFUZZER-ARGS...]
#
# The seeds are copied to a temporary directory that the fuzzer may add to:
# the corpus in the source tree is never written. Crashing, leaking and
# timing-out inputs are kept in ARTIFACT-DIR (crash-*, leak-*, timeout-*) to
# reproduce with `HARNESS FILE`. Fails on any of them.
set -euo pipefail

harness=$1 seeds=$2 artifacts=$3
shift 3
seconds=${BERTH_FUZZ_SECONDS:-5}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "run-fuzzer.sh: BERTH_FUZZ_SECONDS must be a positive number of seconds, not '$seconds'" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-fuzz-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$seeds/." "$work/"
mkdir -p "$artifacts"

# libFuzzer's own failure statuses (77 for a crash, 70 for a timeout) would
# read as "skipped" to meson (77): every finding exits 1.
# -timeout: one input taking more than 10 s is a hang. -rss_limit_mb: one
# run holding more than 2 GiB is a finding too (the parsers bound what they
# allocate). A leak is a finding too (LeakSanitizer).
# Not exec: the trap removes the temporary corpus once the harness ends.
"$harness" \
    -max_total_time="$seconds" \
    -timeout=10 \
    -error_exitcode=1 \
    -timeout_exitcode=1 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix="$artifacts/" \
    "$@" \
    "$work"
