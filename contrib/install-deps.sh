#!/bin/bash
# Install the Debian packages berth needs, only those that are missing.
#
#   contrib/install-deps.sh [GROUP...]      (default: build)
#
# Groups:
#   build  compile berth and its unit tests
#   try    build + what contrib/try.sh needs for the busybox demo
#   test   build + everything the system tests drive (registry, ACE validator…)
#   bench  test + the peers the benchmarks compare against
#   fuzz   build + clang and libFuzzer (contrib/fuzz.sh)
#   all    every group
#
# Runs apt-get as root, or through sudo otherwise. Does nothing (and touches
# no network) when every package is already installed, so the entry scripts
# can call it on every run.
set -euo pipefail

build_pkgs=(
    meson ninja-build pkg-config g++
    libarchive-dev nlohmann-json3-dev libcli11-dev doctest-dev
    libgpgme-dev libfmt-dev libssl-dev libsqlite3-dev libisal-dev libzstd-dev
    zlib1g-dev liblzma-dev libbz2-dev libcurl4-openssl-dev libseccomp-dev
    libyaml-dev
)
# The demo: the image comes from busybox-static; uidmap gives newuidmap and
# newgidmap for the subordinate id map; the fixture script needs the rest.
try_pkgs=(
    busybox-static uidmap skopeo appc-spec jq python3 zstd xz-utils bzip2
    util-linux passwd
)
# Everything a system test drives. Missing tools make tests skip, which CI
# would only show as a count, so CI installs them all.
test_pkgs=(
    "${try_pkgs[@]}"
    bats umoci bubblewrap fuse-overlayfs time hyperfine rsync
    gnupg gpg openssl ca-certificates groff-base apache2-utils bsdutils curl
    docker-registry golang-go golang-github-appc-spec-dev
    systemd libc6-dev gcc
)
bench_pkgs=(podman runc slirp4netns debootstrap)
# libFuzzer and the sanitizer runtimes come with clang's compiler-rt.
fuzz_pkgs=(clang libclang-rt-dev)

wanted=()
groups=("$@")
[[ ${#groups[@]} -eq 0 ]] && groups=(build)
for group in "${groups[@]}"; do
    case $group in
        build) wanted+=("${build_pkgs[@]}") ;;
        try) wanted+=("${build_pkgs[@]}" "${try_pkgs[@]}") ;;
        test) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
        bench) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
        fuzz) wanted+=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
        all) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
        *)
            echo "install-deps.sh: unknown group '$group' (build, try, test, bench, fuzz, all)" >&2
            exit 2
            ;;
    esac
done

if ! command -v dpkg-query >/dev/null; then
    echo "install-deps.sh: not a Debian system; install the equivalents of: ${wanted[*]}" >&2
    exit 1
fi

# dpkg-query answers from the local database: no network, no lock.
missing=()
declare -A seen
for pkg in "${wanted[@]}"; do
    [[ -n ${seen[$pkg]:-} ]] && continue
    seen[$pkg]=1
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ $status == installed ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "install-deps.sh: installing ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
    as_root=(env)
elif command -v sudo >/dev/null; then
    as_root=(sudo)
else
    echo "install-deps.sh: need root to run: apt-get install ${missing[*]}" >&2
    exit 1
fi

# The lock timeout waits for a concurrent apt (unattended-upgrades on a fresh
# machine) instead of failing at once.
apt=(apt-get -y -q -o DPkg::Lock::Timeout=600)
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive "${apt[@]}" update
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${missing[@]}"
