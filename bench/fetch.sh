#!/bin/bash
# Cold fetch-and-first-run from a local registry: berth against Podman
# (issue 4). Not a test: it prints timings and the ratio.
#
#   bench/fetch.sh [BERTH-BINARY]     (default: build/src/cli/berth)
#
# Builds a debootstrap'd Debian 12 minbase (about 200 MB unpacked) once,
# packs it as an OCI layout, pushes it to a docker-registry on 127.0.0.1
# and then times, RUNS times each with a fresh store:
#   berth:  berth fetch docker://… + berth run --rm IMAGE true
#   podman: podman pull … + podman run --rm IMAGE true
#           (overlay storage, --runtime runc --cgroup-manager cgroupfs)
# Both pulls unpack the layers (berth into its tree cache), so both first
# runs start from unpacked layers; the totals compare the same work.
# Target: berth at least 2x faster end to end.
#
# The image is built once, as root (debootstrap needs it), from the mirror
# apt is configured with, and cached as an OCI layout in
# ${BENCH_CACHE:-/var/tmp/berth-bench}/debian12-minbase-oci, the same one
# bench/unpack.sh builds and uses:
#   sudo bench/fetch.sh            (builds the cache, then stops)
# then time as an unprivileged user with subordinate ids:
#   bench/fetch.sh
# LAYOUT=DIR uses another OCI layout. Env: RUNS (default 3), MIRROR, KEEP=1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_root=$(dirname "$here")
berth=$(realpath "${1:-$source_root/build/src/cli/berth}")
runs=${RUNS:-3}
cache=${BENCH_CACHE:-/var/tmp/berth-bench}
layout=${LAYOUT:-$cache/debian12-minbase-oci}

die() {
    echo "fetch.sh: $*" >&2
    exit 2
}

# shellcheck source=bench/lib.sh
source "$here/lib.sh"

if [[ ! -f $layout/index.json ]]; then
    [[ $(id -u) -eq 0 ]] || die "no $layout yet; build it once as root: sudo $0"
    bench_build_debian_layout "$cache" "$layout" || exit 2
fi
if [[ $(id -u) -eq 0 ]]; then
    echo "built $layout; now run $0 as an unprivileged user with subordinate ids"
    exit 0
fi

[[ $(id -u) -ne 0 ]] || die "run the timing as an unprivileged user (rootless is what is measured)"
for tool in docker-registry skopeo jq python3 curl gzip; do
    command -v "$tool" >/dev/null || die "$tool is missing (contrib/install-deps.sh bench)"
done
[[ -x $berth ]] || die "no berth binary at $berth (build it first)"
have_podman=1
command -v podman >/dev/null || have_podman=0
# runc as the issue asks; crun (Podman's default on Debian) when runc is absent.
runtime=runc
command -v runc >/dev/null || runtime=crun

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-fetch.XXXXXX")
# shellcheck source=/dev/null # tests/fixtures/registry/servers.bash
source "$source_root/tests/fixtures/registry/servers.bash"
cleanup() {
    stop_servers
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "kept $work"
        return
    fi
    podman unshare rm -rf "$work" 2>/dev/null || rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

# Podman with its own storage (overlay), so the user's is untouched.
mkdir -p "$work/podman-conf/containers" "$work/trash"
printf '[storage]\ndriver = "overlay"\n' >"$work/podman-conf/containers/storage.conf"
export XDG_CONFIG_HOME=$work/podman-conf

echo "# $(uptime)"
echo "# image: $layout ($(du -sh "$layout" | cut -f1) compressed)"
servers_init "$work/servers"
start_registry bench
# shellcheck disable=SC2153 # set by start_registry
registry=$REGISTRY
push "$layout:latest" "$registry/bench/debian:latest" --dest-tls-verify=false
ref=$registry/bench/debian:latest

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

berth_total=0
podman_total=0
berth_fetch_total=0
podman_pull_total=0
podman_run_failed=0
# Each tool starts with nothing waiting to be written back: otherwise the
# first timed fetch pays for the push above, and each the previous tool's.
settle() { sync; }

for ((i = 1; i <= runs; i++)); do
    store=$work/berth-$i
    settle
    t0=$(now)
    id=$("$berth" --root "$store" --quiet --insecure-options=image,http fetch "docker://$ref")
    t1=$(now)
    "$berth" --root "$store" --insecure-options=image,http run --rm "$id" true ||
        die "berth run --rm $id true failed"
    t2=$(now)
    echo "berth  run $i: fetch $(elapsed "$t0" "$t1") s, first run $(elapsed "$t1" "$t2") s, total $(elapsed "$t0" "$t2") s"
    berth_total=$(python3 -c "print($berth_total + $t2 - $t0)")
    berth_fetch_total=$(python3 -c "print($berth_fetch_total + $t1 - $t0)")
    # Deleted at exit, not here: on ext4 without a journal a burst of deleted
    # inodes slows every file created in the next minutes (see unpack.sh),
    # which would charge one run's clean-up to the next tool measured.
    mv "$store" "$work/trash/berth-$i"

    if [[ $have_podman == 1 ]]; then
        proot=$work/podman-$i
        # Podman refuses a runroot path longer than 50 characters.
        prun=$(mktemp -d /tmp/bpr.XXXXXX)
        popts=(--root "$proot/root" --runroot "$prun" --storage-driver overlay
            --runtime "$runtime" --cgroup-manager cgroupfs --events-backend file)
        settle
        t0=$(now)
        podman "${popts[@]}" pull -q --tls-verify=false "docker://$ref" >/dev/null
        t1=$(now)
        if ! podman "${popts[@]}" run --rm --network none "$ref" true; then
            echo "# podman run failed here; only the pulls compare"
            podman_run_failed=1
        fi
        t2=$(now)
        echo "podman ($runtime) run $i: pull $(elapsed "$t0" "$t1") s, first run $(elapsed "$t1" "$t2") s, total $(elapsed "$t0" "$t2") s"
        podman_total=$(python3 -c "print($podman_total + $t2 - $t0)")
        podman_pull_total=$(python3 -c "print($podman_pull_total + $t1 - $t0)")
        mv "$proot" "$work/trash/podman-$i"
        podman "${popts[@]}" unshare rm -rf "$prun" 2>/dev/null || true
        rm -rf "$prun" 2>/dev/null || true
    fi
done

echo "berth  mean: $(python3 -c "print(f'{$berth_total / $runs:.2f}')") s"
if [[ $have_podman == 1 ]]; then
    echo "podman mean: $(python3 -c "print(f'{$podman_total / $runs:.2f}')") s"
    echo "fetch only: berth $(python3 -c "print(f'{$berth_fetch_total / $runs:.2f}')") s," \
        "podman pull $(python3 -c "print(f'{$podman_pull_total / $runs:.2f}')") s," \
        "ratio $(python3 -c "print(f'{$podman_pull_total / $berth_fetch_total:.2f}')")x"
    if [[ $podman_run_failed == 0 ]]; then
        echo "ratio podman/berth: $(python3 -c "print(f'{$podman_total / $berth_total:.2f}')")x (target >= 2)"
    fi
else
    echo "# podman is not installed: no ratio (contrib/install-deps.sh bench)"
fi
echo "# $(uptime)"
