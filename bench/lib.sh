# Shared by the benchmarks in bench/ (fetch.sh, unpack.sh): the Debian 12
# minbase image both time, built once and cached as an OCI layout. POSIX sh,
# since unpack.sh is a /bin/sh script; messages name the script running.
# shellcheck shell=sh

# The benchmarks live in bench/: the source tree is its parent.
bench_source_root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/fixtures/registry/oci_layout.sh
. "$bench_source_root/tests/fixtures/registry/oci_layout.sh"

bench_say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# bench_apt_mirror: $MIRROR, else the Debian mirror apt is configured with.
bench_apt_mirror() {
    if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
    m=$(sed -n 's/^URIs: *\([^ ]*debian\/*\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
    [ -n "$m" ] || m=$(awk '$1 == "deb" && $3 ~ /bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
    echo "${m:-http://deb.debian.org/debian}"
}

# bench_build_debian_layout CACHE LAYOUT: as root (debootstrap needs it),
# debootstrap a bookworm minbase into CACHE/rootfs (kept for the next build)
# and pack it as the OCI layout LAYOUT: one gzip layer, Cmd /bin/bash,
# readable by all. LAYOUT appears whole or not at all. On failure says why
# and returns non-zero.
bench_build_debian_layout() (
    cache_dir=$1 dest=$2
    rootfs=$cache_dir/rootfs tmp=$dest.tmp
    command -v debootstrap >/dev/null ||
        { bench_say "debootstrap is missing (contrib/install-deps.sh bench)"; return 1; }
    mkdir -p "$cache_dir" || return 1
    if [ ! -x "$rootfs/bin/sh" ]; then
        rm -rf "$rootfs"
        mirror=$(bench_apt_mirror)
        bench_say "debootstrap --variant=minbase bookworm from $mirror (a few minutes)"
        debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache_dir/debootstrap.log" 2>&1 ||
            { bench_say "debootstrap failed, see $cache_dir/debootstrap.log"; return 1; }
        rm -rf "$rootfs/var/cache/apt/archives/"*.deb
    fi
    rm -rf "$tmp"
    mkdir -p "$tmp" || return 1
    bench_say "packing the OCI layout"
    tar --numeric-owner --xattrs --sort=name -C "$rootfs" -cf "$tmp/layer.tar" . ||
        { bench_say "packing $rootfs failed"; return 1; }
    oci_layout_from_tar "$tmp/layer.tar" 6 /bin/bash "$tmp" ||
        { bench_say "writing the OCI layout $tmp failed"; return 1; }
    chmod -R a+rX "$tmp" && mv "$tmp" "$dest"
)
