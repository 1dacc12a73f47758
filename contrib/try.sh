#!/bin/bash
# Try berth: install what is missing, build, make a busybox image from the
# host's busybox-static, and use it rootless as an unprivileged user.
#
#   bash contrib/try.sh
#
# Builds in build/. Run as root, it creates the unprivileged user berth-test
# (with subordinate uid/gid ranges) and does the rootless part as that user,
# in /var/tmp/berth-try-*; run as an ordinary user, it does it as you, in
# build/try/. The demo store is passed with --root, so your own store
# (~/.local/share/berth) is left alone.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=contrib/lib.sh
. "$src/contrib/lib.sh"

# show COMMAND...: print a command as a user would type it, then run it.
show() {
    printf '$ %s\n' "$*" | sed "s|$berth|berth|; s|$demo/|\$DEMO/|g" >&2
    "$@"
}

# has_command WORD: berth lists WORD among its subcommands. (`berth WORD
# --help` succeeds for any WORD: the parser then prints the top-level help.)
has_command() {
    "$berth" --help 2>/dev/null |
        awk '/^Subcommands:/ { on = 1; next } /^[^ ]/ { on = 0 } on { sub(/,$/, "", $1); print $1 }' |
        grep -qxF -- "$1"
}

# demo BERTH DEMO-DIR FIXTURE-SCRIPT: the rootless part, as the unprivileged user.
demo() {
    berth=$1 demo=$2
    local fixtures=$3
    step "making the busybox demo images from /bin/busybox (cached in $demo/images)"
    bash "$fixtures" "$demo/images"
    local store=$demo/store image=oci:$demo/images/oci-gzip:latest
    step "as $(id -un) (uid $(id -u)), with the store in $store"
    # The image is unsigned: signatures need a key the user trusts, which a
    # locally built image does not have. Without this flag berth refuses it.
    local id
    id=$(show "$berth" --root "$store" --insecure-options=image fetch "$image")
    echo "$id"
    show "$berth" --root "$store" image list
    if has_command run; then
        show "$berth" --root "$store" --insecure-options=image run --rm "$id" echo hello from berth
    else
        echo "(berth run is not there yet: the image is imported and listed above.)"
    fi
}

if [[ ${1:-} == --demo ]]; then
    shift
    demo "$@"
    exit
fi

step "installing missing packages"
bash "$src/contrib/install-deps.sh" try

# As root, the test user exists before the build so that the compiler cache
# can be shared with it: contrib/test.sh then reuses this build's work.
if [[ $(id -u) -eq 0 ]]; then
    ensure_test_user
fi
share_ccache

step "building in build/"
if [[ ! -f $src/build/build.ninja ]]; then
    meson setup "$src/build" "$src" >/dev/null
fi
# Only the programs: berth and the engine it hands all but a warm run to
# (the unit tests are contrib/test.sh's business).
ninja -C "$src/build" src/cli/berth src/cli/berth-engine
built=$src/build/src/cli/berth

if [[ $(id -u) -ne 0 ]]; then
    mkdir -p "$src/build/try"
    demo "$built" "$src/build/try" "$src/tests/fixtures/make-busybox-images.sh"
    exit
fi

# As root: hand the rootless part to the test user. The programs are static
# apart from system libraries, so copies run anywhere; the source tree may be
# somewhere that user cannot enter (/root), so the fixture scripts are copied
# too.
dir=$(user_workdir try "$src")
# mirror FILE...: copy source files to the same places under $dir.
mirror() {
    local f
    for f in "$@"; do
        install -o "$BERTH_TEST_USER" -g "$BERTH_TEST_USER" -m 0755 -D "$src/$f" "$dir/$f"
    done
}
mirror contrib/try.sh contrib/lib.sh tests/fixtures/make-busybox-images.sh tests/fixtures/mktar.py
# berth finds berth-engine beside itself, as in the build tree.
install -o "$BERTH_TEST_USER" -g "$BERTH_TEST_USER" -m 0755 -D "$built" "$dir/bin/berth"
install -o "$BERTH_TEST_USER" -g "$BERTH_TEST_USER" -m 0755 -D "$built-engine" "$dir/bin/berth-engine"
as_test_user "$dir" bash "$dir/contrib/try.sh" --demo "$dir/bin/berth" "$dir" "$dir/tests/fixtures/make-busybox-images.sh"
