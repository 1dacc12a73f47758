#!/usr/bin/env bats
# berth's command-line contract (issue 2): its own failures exit 125 with one
# line on stderr; results go to stdout.
# requires: unprivileged

load helpers

@test "berth version prints the version and what it detected" {
    run_berth -0 version
    assert_contains "$output" "0."
}

@test "an unknown global flag exits 125 with one line" {
    run_berth -125 --no-such-flag image list
    assert_one_line_error "no-such-flag"
}

@test "an unknown command flag exits 125 with one line" {
    run_berth -125 image list --no-such-flag
    assert_one_line_error "no-such-flag"
}

@test "an unknown command exits 125 with one line" {
    run_berth -125 no-such-command
    assert_one_line_error "no-such-command"
}

@test "a mistyped subcommand is named, with the help to read" {
    run_berth -125 image lsit
    assert_one_line_error "unknown command 'image lsit' \\(see 'berth image --help'\\)"
    run_berth -125 system setpu
    assert_one_line_error "unknown command 'system setpu'"
}

@test "a bad --insecure-options value exits 125 with one line" {
    run_berth -125 --insecure-options=bogus image list
    assert_one_line_error "bogus"
}

@test "fetch of a missing ACI file exits 125 with one line naming it" {
    run_berth -125 "$INSECURE" fetch "$BATS_TEST_TMPDIR/missing.aci"
    assert_one_line_error "missing\.aci"
}

@test "fetch of a missing OCI layout exits 125 with one line naming it" {
    run_berth -125 "$INSECURE" fetch "oci:$BATS_TEST_TMPDIR/no-layout"
    assert_one_line_error "no-layout"
}

@test "fetch of a missing oci-archive exits 125 with one line naming it" {
    run_berth -125 "$INSECURE" fetch "oci-archive:$BATS_TEST_TMPDIR/missing.tar"
    assert_one_line_error "missing\.tar"
}

@test "fetch of a missing source says it is missing, signed or not" {
    run_berth -125 fetch "oci:$BATS_TEST_TMPDIR/no-layout"
    assert_one_line_error "no-layout.*No such file or directory"
    run_berth -125 fetch "$BATS_TEST_TMPDIR/missing.aci"
    assert_one_line_error "missing\.aci.*No such file or directory"
}

@test "an unknown run flag before the image is named as an option, not taken for an image" {
    run_berth -125 run --no-such-flag "$BATS_TEST_TMPDIR/x" true
    assert_one_line_error "unknown option '--no-such-flag' \\(see 'berth run --help'\\)"
    run_berth -125 run --rm busybox true --- --bogus busybox true
    assert_one_line_error "app 2: "
}

@test "a name that is not in the store exits 125 with one line" {
    run_berth -125 image inspect example.com/not-there
    assert_one_line_error "not-there"
}

@test "image list on an empty store prints no images" {
    run_berth -0 image list --no-legend
    [[ -z $output ]] || fail "expected nothing, got: $output"
    run_berth -0 image list --format json
    [[ $(jq length <<<"$output") -eq 0 ]] || fail "expected an empty JSON list"
}

@test "--quiet fetch prints only the image ID" {
    run_berth -0 --quiet "$INSECURE" fetch "$FIXTURES/busybox.aci"
    [[ ${#lines[@]} -eq 1 ]] || fail "expected one line on stdout"
    [[ ${lines[0]} == "$ACI_ID" ]] || fail "expected $ACI_ID"
}

# info_line PREFIX TEXT: the one line of TEXT (berth info's output) that
# starts with PREFIX.
info_line() {
    local found
    found=$(awk -v p="$1" 'index($0, p) == 1' <<<"$2")
    [[ -n $found && $(wc -l <<<"$found") -eq 1 ]] ||
        fail "expected one line starting with '$1', got: $found"
    printf '%s\n' "$found"
}

@test "berth info names the store and what chose it, the system store and keys, the id-map source" {
    local sys=$BATS_TEST_TMPDIR/sysroot line
    mkdir -p "$sys"
    export BERTH_TEST_SYSROOT=$sys
    run_berth -0 info
    line=$(info_line "store: " "$output")
    [[ $line == "store: $STORE (your own; chosen by --root)" ]] || fail "$line"
    # No system store under the sysroot yet: one line saying who creates it.
    line=$(info_line "system store: " "$output")
    [[ $line == "system store: unavailable: the system store '$sys/var/lib/berth' does not exist; an administrator creates it with 'sudo berth system setup'" ]] ||
        fail "$line"
    line=$(info_line "system trusted keys: " "$output")
    [[ $line == *"$sys/etc/berth/trustedkeys does not exist"*"berth system setup"* ]] ||
        fail "$line"
    # Where the subordinate ranges come from, as subordinate_ranges.cpp decides.
    line=$(info_line "id map: " "$output")
    local service
    service=$(sed -n 's/^[[:space:]]*subid:[[:space:]]*\([^[:space:]#]*\).*/\1/p' /etc/nsswitch.conf |
        head -1)
    if [[ -z $service || $service == files ]]; then
        [[ $line == *"from /etc/subuid and /etc/subgid, read by berth"* ]] || fail "$line"
    else
        [[ $line == *"libsubid"*"'subid: $service'"* ]] || fail "$line"
    fi

    # Keys this user may write, then may not: the line says which group to join.
    mkdir -p "$sys/etc/berth/trustedkeys"
    run_berth -0 info
    line=$(info_line "system trusted keys: " "$output")
    [[ $line == "system trusted keys: $sys/etc/berth/trustedkeys: you may change them (trust --system)" ]] ||
        fail "$line"
    chmod a-w "$sys/etc/berth/trustedkeys"
    run_berth -0 info
    line=$(info_line "system trusted keys: " "$output")
    [[ $line == *": read-only for you; to change them join group 'berth-admin' (sudo usermod -aG berth-admin $(id -un))"* ]] ||
        fail "$line"

    # Without --root: the store that BERTH_STORE or berth.conf chooses, and
    # the reason given is that choice.
    run --separate-stderr env BERTH_STORE=user "$BERTH" info
    assert_status 0
    line=$(info_line "store: " "$output")
    [[ $line == "store: $XDG_DATA_HOME/berth (your own; chosen by BERTH_STORE=user)" ]] ||
        fail "$line"
    chmod u+w "$sys/etc/berth"
    echo "store = system" >"$sys/etc/berth/berth.conf"
    run --separate-stderr "$BERTH" info
    assert_status 0
    line=$(info_line "store: " "$output")
    [[ $line == "store: unavailable: the system store '$sys/var/lib/berth' does not exist;"*"(chosen by 'store = system' in $sys/etc/berth/berth.conf)" ]] ||
        fail "$line"
}

@test "berth info tries an overlay mount, says which method run will use and a remedy for what is missing" {
    run_berth -0 info
    local choice kernel fuse
    choice=$(info_line "overlay: " "$output")
    kernel=$(info_line "  kernel overlayfs: " "$output")
    fuse=$(info_line "  fuse-overlayfs: " "$output")
    # Each method line is one fact, with a remedy when the method cannot be used.
    [[ $kernel == *"a test mount in $STORE worked" || $kernel == *"refused"*"remedy: "* ]] ||
        fail "$kernel"
    [[ $fuse == *"/dev/fuse opens read-write" || $fuse == *"remedy: "* ]] || fail "$fuse"
    # The choice follows from the two lines.
    if [[ $kernel == *worked ]]; then
        [[ $choice == "overlay: kernel overlayfs in a user namespace" ]] || fail "$choice"
    elif [[ $fuse == *read-write ]]; then
        [[ $choice == "overlay: fuse-overlayfs, as the kernel refuses"* ]] || fail "$choice"
    else
        [[ $choice == "overlay: none: run will fail; remedy: "* ]] || fail "$choice"
    fi
    # The test mount was made in a directory of its own, removed afterwards.
    [[ -z $(find "$STORE" -maxdepth 1 -name 'info-overlay-*') ]] ||
        fail "info left its test directory: $(ls -a "$STORE")"
    # A kernel that mounts overlayfs in a user namespace: run really uses it.
    if [[ $kernel == *worked ]]; then
        run_berth -0 "$INSECURE" run --rm "oci:$FIXTURES/oci-gzip" sh -c 'grep " / " /proc/mounts'
        assert_contains "$output" "overlay / overlay"
    fi

    BERTH_OVERLAY=fuse run_berth -0 info
    choice=$(info_line "overlay: " "$output")
    [[ $choice == "overlay: fuse-overlayfs, as BERTH_OVERLAY=fuse asks"* ]] || fail "$choice"
}

# Not a contract of the command line, but of its speed: OpenSSL's EVP layer,
# once linked in, initialises itself and reads openssl.cnf on first use
# (about 2 ms of every run). The front hashes with the plain SHA functions;
# anything that pulls EVP in brings these two symbols with it.
@test "the front links nothing that loads OpenSSL's configuration" {
    command -v nm >/dev/null || skip "nm (binutils) is not installed"
    local symbols
    symbols=$({
        nm "$BERTH" 2>/dev/null || true
        nm -D "$BERTH" 2>/dev/null || true
    } | awk '{ print $NF }')
    [[ -n $symbols ]] || skip "$BERTH has no symbol table (stripped)"
    local found
    found=$(grep -xE 'OPENSSL_init_crypto|CONF_modules_load_file' <<<"$symbols" | sort -u || true)
    [[ -z $found ]] || fail "the front links ${found//$'\n'/ }: keep EVP out of it (see src/cli/front_main.cpp)"
}
