#!/bin/bash
# Warm start-up latency of `berth run` against Podman and bubblewrap (issue 3).
#
#   bench/run-latency.sh [BERTH-BINARY]     (default: build/src/cli/berth)
#
# Runs as an unprivileged user with subordinate ids (rootless is the
# product). Compares, with hyperfine, in one run:
#   berth  run --rm --net=none BUSYBOX true    image stored, layers rendered
#   podman run --rm --network none BUSYBOX true (runc, cgroupfs, overlay)
#   bwrap  --unshare-all over an unpacked copy of the same busybox tree
# and prints the ratios and berth's peak RSS (/usr/bin/time -v).
# Targets: >= 10x faster than Podman, within 1.5x of bwrap, < 10 MiB RSS.
# Env: RUNS (default 30), WARMUP (default 3), KEEP=1 keeps the work dir.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_root=$(dirname "$here")
berth=$(realpath "${1:-$source_root/build/src/cli/berth}")
runs=${RUNS:-30}
warmup=${WARMUP:-3}

if [[ $(id -u) -eq 0 ]]; then
    echo "run-latency.sh: run this as an unprivileged user (rootless is what is measured)" >&2
    exit 2
fi
for tool in hyperfine jq /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "run-latency.sh: $tool is missing (contrib/install-deps.sh bench)" >&2; exit 2; }
done
[[ -x $berth ]] || { echo "run-latency.sh: no berth binary at $berth (build it first)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench.XXXXXX")
cleanup() {
    [[ ${KEEP:-0} == 1 ]] && { echo "kept $work"; return; }
    podman --root "$work/podman-root" --runroot "$work/podman-run" unshare rm -rf "$work" 2>/dev/null ||
        rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

fixtures=${FIXTURES:-$work/fixtures}
bash "$source_root/tests/fixtures/make-busybox-images.sh" "$fixtures" >/dev/null

# berth: import and warm (layers rendered into the tree cache).
store=$work/berth-store
"$berth" --root "$store" --insecure-options=image fetch "oci:$fixtures/oci-gzip" >/dev/null
image=$("$berth" --root "$store" image list -q 2>/dev/null | head -1 || true)
[[ -n $image ]] || image=localhost/oci-gzip
berth_cmd="$berth --root $store run --rm --net=none $image true"
$berth_cmd

commands=(-n berth "$berth_cmd")

# bubblewrap over an unpacked copy.
if command -v bwrap >/dev/null; then
    mkdir -p "$work/rootfs"
    tar -xf "$fixtures/rootfs.tar" -C "$work/rootfs" --no-same-owner 2>/dev/null || true
    mkdir -p "$work/rootfs/proc" "$work/rootfs/dev"
    bwrap_cmd="bwrap --unshare-all --ro-bind $work/rootfs / --proc /proc --dev /dev /bin/true"
    if $bwrap_cmd; then
        commands+=(-n bwrap "$bwrap_cmd")
    else
        echo "# bwrap cannot run here; skipped"
    fi
fi

# Podman, rootless, with its own storage so the user's is untouched.
if command -v podman >/dev/null; then
    mkdir -p "$work/podman-conf/containers"
    cat >"$work/podman-conf/containers/storage.conf" <<CONF
[storage]
driver = "overlay"
CONF
    # runc as the issue asks, else crun (Debian installs crun with podman).
    runtime=runc
    command -v runc >/dev/null || runtime=crun
    podman_base="podman --root $work/podman-root --runroot $work/podman-run --storage-driver overlay --runtime $runtime --cgroup-manager cgroupfs --events-backend file"
    if XDG_CONFIG_HOME=$work/podman-conf $podman_base load -q -i "$fixtures/busybox-oci.tar" >/dev/null 2>&1 ||
        XDG_CONFIG_HOME=$work/podman-conf $podman_base pull -q "oci:$fixtures/oci-gzip" >/dev/null 2>&1; then
        pimage=$(XDG_CONFIG_HOME=$work/podman-conf $podman_base images -q | head -1)
        podman_cmd="env XDG_CONFIG_HOME=$work/podman-conf $podman_base run --rm --network none $pimage true"
        if $podman_cmd; then
            commands+=(-n podman "$podman_cmd")
        else
            echo "# podman cannot run here; skipped"
        fi
    else
        echo "# podman could not load the image; skipped"
    fi
fi

hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$work/results.json" "${commands[@]}" >&2 ||
    hyperfine --warmup "$warmup" --runs "$runs" --export-json "$work/results.json" "${commands[@]}" >&2

mean() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .mean' "$work/results.json"; }
# CPU per run, all processes (user + system, as hyperfine counts them): on
# a machine with few cores a start-up that keeps both busy is bound by it.
cpu() { jq -r --arg n "$1" '.results[] | select(.command == $n) | (.user + .system)' "$work/results.json"; }
berth_mean=$(mean berth)
printf 'berth   %8.2f ms   (CPU %.2f ms)\n' "$(jq -n "$berth_mean * 1000")" "$(jq -n "$(cpu berth) * 1000")"
for peer in bwrap podman; do
    m=$(mean "$peer")
    [[ -n $m ]] || continue
    printf '%-7s %8.2f ms   (CPU %.2f ms)   %s/berth = %.2fx\n' "$peer" "$(jq -n "$m * 1000")" \
        "$(jq -n "$(cpu "$peer") * 1000")" "$peer" "$(jq -n "$m / $berth_mean")"
done
rss=$(/usr/bin/time -v $berth_cmd 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')
printf 'berth peak RSS: %s KiB (%.1f MiB)\n' "$rss" "$(jq -n "$rss / 1024")"
