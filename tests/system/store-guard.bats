#!/usr/bin/env bats
# A user's own store is private, and a store others could change is refused
# (issue 13). Rendered trees hold an image's files owned by the user's ids:
# another local user who can reach them can run the image's setuid files as
# the user, or edit what the user's next container runs. So the store and
# the directories berth makes for it are 0700, an existing store readable by
# others is made private (saying so once), and a store, or a directory on
# the way to it, that others may write is refused with one line. Stores
# owned by another user are tested in shared-store-hostile.bats (root).
# Also: one malformed index record does not stop image list or image gc.
# requires: unprivileged python3 jq
# shellcheck disable=SC2154,SC2030,SC2031 # bats sets status/output/stderr; each @test is a subshell

load helpers

mode() { stat -c %a "$1"; }

@test "a new store and the directories made for it are private (0700)" {
    use_test_home
    unset XDG_DATA_HOME
    run --separate-stderr "$BERTH" image list
    show_run "berth image list (HOME=$HOME, no store yet)"
    assert_status 0
    local d
    for d in .local .local/share .local/share/berth .local/share/berth/trees; do
        [[ $(mode "$HOME/$d") == 700 ]] || fail "$d has mode $(mode "$HOME/$d"), not 700"
    done
    # Nothing said about a store that was private from the start.
    [[ -z $stderr ]] || fail "unexpected stderr: $stderr"
}

@test "an existing store readable by others is made private, saying so once" {
    run_berth -0 image list
    chmod 0755 "$STORE"
    run_berth -0 image list
    assert_one_line_error "made '$STORE' private to you \(mode 0755 -> 0700\)"
    [[ $(mode "$STORE") == 700 ]] || fail "mode $(mode "$STORE")"
    run_berth -0 image list
    [[ -z $stderr ]] || fail "said it again: $stderr"
}

@test "a store writable by others is refused with one line and left as it was" {
    mkdir -m 0700 "$STORE"
    chmod 0777 "$STORE"
    run_berth -125 image list
    assert_one_line_error "'$STORE' is writable by other users \(mode 0777\).*chmod 0700"
    [[ $(mode "$STORE") == 777 ]] || fail "the store was changed: mode $(mode "$STORE")"
    [[ -z $(ls -A "$STORE") ]] || fail "the store was filled: $(ls -A "$STORE")"
}

@test "a store below a directory others may write is refused; below sticky /tmp-like it is fine" {
    local open=$BATS_TEST_TMPDIR/open
    mkdir "$open"
    chmod 0777 "$open"
    STORE=$open/store
    run_berth -125 image list
    assert_one_line_error "'$open', on the way to '$STORE', is writable by other users.*chmod go-w"
    [[ ! -e $STORE ]] || fail "the store was made in $open"

    # Sticky: others may add entries there but never remove or rename ours.
    chmod 1777 "$open"
    run_berth -0 image list
    [[ $(mode "$STORE") == 700 ]] || fail "mode $(mode "$STORE")"

    # The same check for XDG_DATA_HOME (the default store's place).
    chmod 0777 "$open"
    export XDG_DATA_HOME=$open/data
    run --separate-stderr "$BERTH" image list
    show_run "berth image list (XDG_DATA_HOME=$XDG_DATA_HOME)"
    assert_status 125
    assert_one_line_error "'$open', on the way to '$XDG_DATA_HOME/berth', is writable by other users"
}

@test "a store reached through a symbolic link is checked where the link leads" {
    local real=$BATS_TEST_TMPDIR/real
    mkdir -p "$real/stores"
    ln -s "$real/stores" "$BATS_TEST_TMPDIR/link"
    STORE=$BATS_TEST_TMPDIR/link/store
    run_berth -0 image list
    [[ $(mode "$real/stores/store") == 700 ]] || fail "mode $(mode "$real/stores/store")"
    # Where the link leads, a directory others may write.
    chmod 0777 "$real"
    run_berth -125 image list
    assert_one_line_error "'$real', on the way to '$real/stores/store', is writable by other users"
}

@test "a malformed index record is reported and skipped by image list and image gc" {
    fetch "oci:$FIXTURES/oci-gzip"
    local good=$IMAGE_ID
    # What any member of a shared store could write: a record that is not one.
    python3 - "$STORE/index.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO images (id, imported_at, record) VALUES (?, ?, ?)",
           ("sha256:" + "ab" * 32, 1, '{"id": "sha256:' + "ab" * 32 + '", "format": 7}'))
db.commit()
EOF
    run_berth -0 image list
    assert_contains "$output" "$(short_hex "$good")"
    assert_one_line_error "ignoring the malformed record of image 'sha256:abab"
    run_berth -0 image gc
    assert_contains "$stderr" "ignoring the malformed record of image 'sha256:abab"
    # The good image kept its blobs.
    local layer
    layer=$(jq -r '.layers[0].digest' "$FIXTURES/oci-gzip/blobs/sha256/${OCI_GZIP_MANIFEST#sha256:}")
    [[ -f $STORE/blobs/sha256/${layer#sha256:} ]] || fail "gc removed the good image's layer"
    run_berth -0 image inspect "$good"
}
