#!/bin/sh
# bench/unpack.sh — how fast berth turns a large OCI layout into a root
# filesystem, next to umoci (not a test; prints numbers and a ratio).
#
#   sudo bench/unpack.sh            # builds the image once, then times
#
# Once, as root (debootstrap needs it), it builds a Debian 12 minbase
# (~200 MB) with debootstrap from the mirror apt is configured with, and packs
# it as an OCI layout with one gzip layer, cached in
# ${BENCH_CACHE:-/var/tmp/berth-bench}. Then, in the same run, it times:
#   berth: `berth fetch oci:LAYOUT:latest` + `berth image render ID DIR`
#   umoci: `umoci unpack --rootless --image LAYOUT:latest BUNDLE`
#   core:  render-extract-layer (the render engine on the layer blob alone,
#          digest and diffId verified), when the CLI commands are missing
# with hyperfine when installed (else a loop with `date`), and prints
# umoci time / berth time.
#
# Environment: BERTH (the berth binary), BUILD (meson build dir, default
# build), BENCH_CACHE, BENCH_RUNS (default 5), MIRROR (default: apt's).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$here/build}
BERTH=${BERTH:-$BUILD/src/cli/berth}
CORE=${CORE:-$BUILD/tests/unit/render/render-extract-layer}
CACHE=${BENCH_CACHE:-/var/tmp/berth-bench}
RUNS=${BENCH_RUNS:-5}
layout=$CACHE/debian12-minbase-oci

say() { printf 'unpack.sh: %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"

build_layout() {
    [ -f "$layout/index.json" ] && return
    [ "$(id -u)" = 0 ] || { say "the first run builds the image with debootstrap: run it as root"; exit 1; }
    bench_build_debian_layout "$CACHE" "$layout" || exit 1
}

# The mean seconds of a command, with a cleanup before every run.
time_it() { # name prepare command
    name=$1 prepare=$2 command=$3
    if command -v hyperfine >/dev/null; then
        hyperfine --runs "$RUNS" --warmup 1 --prepare "$prepare" --export-json "$work/$name.json" \
            --command-name "$name" "$command" >&2
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/$name.json"
    else
        total=0
        i=0
        while [ $i -lt "$RUNS" ]; do
            sh -c "$prepare"
            start=$(date +%s.%N)
            sh -c "$command" >/dev/null
            end=$(date +%s.%N)
            total=$(echo "$total + $end - $start" | bc -l)
            i=$((i + 1))
        done
        echo "$total / $RUNS" | bc -l
    fi
}

build_layout
work=$(mktemp -d "${TMPDIR:-/var/tmp}/berth-unpack-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Between runs the previous output is moved aside, not deleted: ext4 without
# a journal (as on many VM images) passes over inodes freed in the last 1-6
# minutes when it allocates one, testing them one by one, so an unpack just
# after an `rm -rf` of a 7,000-file tree spends seconds of system time in
# the allocator whatever tool runs. Everything is deleted once, at exit.
mkdir "$work/trash"
cat >"$work/aside.sh" <<EOF
for p; do if [ -e "\$p" ]; then mv "\$p" "$work/trash/\$(date +%s%N)"; fi; done
EOF
aside="sh $work/aside.sh"
# Deletions by anyone else in those minutes still cost every tool the same.
dev=$(findmnt -no SOURCE --target "$work" 2>/dev/null || true)
if [ "$(cat "/sys/fs/ext4/${dev##*/}/journal_task" 2>/dev/null)" = "<none>" ]; then
    say "note: $dev is ext4 without a journal; files deleted here in the last minutes (by anyone) add system time to every tool below"
fi
layer_blob=$(python3 -c 'import json,sys; d=sys.argv[1]; m=json.load(open(d+"/index.json"))["manifests"][0]["digest"].split(":")[1]; print(json.load(open(d+"/blobs/sha256/"+m))["layers"][0]["digest"])' "$layout")
diff_id=$(python3 -c 'import json,sys; d=sys.argv[1]; m=json.load(open(d+"/index.json"))["manifests"][0]["digest"].split(":")[1]; c=json.load(open(d+"/blobs/sha256/"+m))["config"]["digest"].split(":")[1]; print(json.load(open(d+"/blobs/sha256/"+c))["rootfs"]["diff_ids"][0])' "$layout")
say "layer $layer_blob ($(du -h "$layout/blobs/sha256/${layer_blob#sha256:}" | cut -f1) gzip)"
cat "$layout/blobs/sha256/"* >/dev/null # warm the page cache for everyone

umoci=$(time_it umoci "$aside $work/bundle" "umoci unpack --rootless --image $layout:latest $work/bundle")

berth=
if [ -x "$BERTH" ] && "$BERTH" image render --help >/dev/null 2>&1; then
    berth=$(time_it berth "$aside $work/store $work/rootfs" \
        "id=\$($BERTH --root $work/store --quiet --insecure-options=image fetch oci:$layout:latest) && $BERTH --root $work/store image render \"\$id\" $work/rootfs")
else
    say "no 'berth image render' in $BERTH yet: timing the render engine alone"
fi
core=
if [ -x "$CORE" ]; then
    core=$(time_it core "$aside $work/core" \
        "$CORE $layout/blobs/sha256/${layer_blob#sha256:} $work/core $layer_blob $diff_id")
fi

printf '\n%-36s %8.3f s\n' "umoci unpack --rootless" "$umoci"
if [ -n "$berth" ]; then
    printf '%-36s %8.3f s   umoci/berth = %.2fx\n' "berth fetch + image render" "$berth" \
        "$(echo "$umoci / $berth" | bc -l)"
fi
if [ -n "$core" ]; then
    printf '%-36s %8.3f s   umoci/core  = %.2fx\n' "render engine (one layer, verified)" "$core" \
        "$(echo "$umoci / $core" | bc -l)"
fi
