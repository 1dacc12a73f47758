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
# Target: berth at least 2x faster end to end.
#
# Run as an unprivileged user with subordinate ids. Building the Debian
# image needs debootstrap, which needs root: pass DEBIAN_TAR=FILE (a tar of
# a minbase tree, e.g. made once with
#   sudo debootstrap --variant=minbase bookworm DIR && sudo tar -C DIR -cf FILE .)
# or run once as root with BUILD_ONLY=1 to leave it in $CACHE.
# LAYOUT=DIR uses an existing OCI layout of it instead (e.g. the one
# bench/unpack.sh builds).
# Env: RUNS (default 3), CACHE (default ~/.cache/berth-bench), KEEP=1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_root=$(dirname "$here")
berth=$(realpath "${1:-$source_root/build/src/cli/berth}")
runs=${RUNS:-3}
cache=${CACHE:-$HOME/.cache/berth-bench}
mkdir -p "$cache"
debian_tar=${DEBIAN_TAR:-$cache/debian-minbase.tar}

die() {
    echo "fetch.sh: $*" >&2
    exit 2
}

if [[ -z ${LAYOUT:-} && ! -f $debian_tar ]]; then
    [[ $(id -u) -eq 0 ]] || die "no $debian_tar; make it as root: BUILD_ONLY=1 sudo $0 (or set DEBIAN_TAR)"
    command -v debootstrap >/dev/null || die "debootstrap is missing (contrib/install-deps.sh bench)"
    tree=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$tree" >/dev/null
    tar -C "$tree" --numeric-owner -cf "$debian_tar" .
    rm -rf "$tree"
    chmod a+r "$debian_tar"
fi
[[ ${BUILD_ONLY:-0} == 1 ]] && { echo "built $debian_tar"; exit 0; }

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

# The OCI layout: one gzip layer, a config with its diff_id.
layout=${LAYOUT:-$cache/debian-oci}
if [[ ! -f $layout/index.json ]]; then
    rm -rf "$layout"
    mkdir -p "$layout/blobs/sha256"
    gzip -c "$debian_tar" >"$cache/layer.tar.gz"
    diff_id=sha256:$(sha256sum "$debian_tar" | cut -d' ' -f1)
    layer=$(sha256sum "$cache/layer.tar.gz" | cut -d' ' -f1)
    layer_size=$(stat -c %s "$cache/layer.tar.gz")
    mv "$cache/layer.tar.gz" "$layout/blobs/sha256/$layer"
    arch=$(dpkg --print-architecture)
    jq -cn --arg d "$diff_id" --arg a "$arch" \
        '{architecture: $a, os: "linux", config: {Cmd: ["/bin/bash"]}, rootfs: {type: "layers", diff_ids: [$d]}}' \
        >"$cache/config.json"
    config=$(sha256sum "$cache/config.json" | cut -d' ' -f1)
    config_size=$(stat -c %s "$cache/config.json")
    mv "$cache/config.json" "$layout/blobs/sha256/$config"
    jq -cn --arg c "sha256:$config" --argjson cs "$config_size" --arg l "sha256:$layer" \
        --argjson ls "$layer_size" \
        '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
          layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]}' \
        >"$cache/manifest.json"
    manifest=$(sha256sum "$cache/manifest.json" | cut -d' ' -f1)
    manifest_size=$(stat -c %s "$cache/manifest.json")
    mv "$cache/manifest.json" "$layout/blobs/sha256/$manifest"
    jq -cn --arg m "sha256:$manifest" --argjson ms "$manifest_size" \
        '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: $m, size: $ms, annotations: {"org.opencontainers.image.ref.name": "latest"}}]}' \
        >"$layout/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
fi

servers_init "$work/servers"
start_registry bench
registry=127.0.0.1:$REGISTRY_PORT
push "$layout:latest" "$registry/bench/debian:latest" --dest-tls-verify=false
ref=$registry/bench/debian:latest

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

berth_total=0
podman_total=0
berth_fetch_total=0
podman_pull_total=0
podman_run_failed=0
for ((i = 1; i <= runs; i++)); do
    store=$work/berth-$i
    t0=$(now)
    id=$("$berth" --root "$store" --quiet --insecure-options=image,http fetch "docker://$ref")
    t1=$(now)
    if ! "$berth" --root "$store" --insecure-options=image,http run --rm "$id" true; then
        echo "# berth run failed (does this berth have 'run' yet?)"
    fi
    t2=$(now)
    echo "berth  run $i: fetch $(elapsed "$t0" "$t1") s, first run $(elapsed "$t1" "$t2") s, total $(elapsed "$t0" "$t2") s"
    berth_total=$(python3 -c "print($berth_total + $t2 - $t0)")
    berth_fetch_total=$(python3 -c "print($berth_fetch_total + $t1 - $t0)")
    rm -rf "$store" 2>/dev/null || podman unshare rm -rf "$store" 2>/dev/null || true

    if [[ $have_podman == 1 ]]; then
        proot=$work/podman-$i
        popts=(--root "$proot/root" --runroot "$proot/run" --storage-driver overlay
            --runtime "$runtime" --cgroup-manager cgroupfs)
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
        podman "${popts[@]}" unshare rm -rf "$proot" 2>/dev/null || true
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
