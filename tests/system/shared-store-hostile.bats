#!/usr/bin/env bats
# One member of group berth attacks another (issue 13). As root, this file
# makes two unprivileged users in group berth, runs `berth system setup`, and
# has the attacker do what any member may: write the shared index, plant
# files in the shared blob directories, and pre-create directories in a
# world-writable place. The victim is refused one line, or carries on,
# never running what the attacker chose:
#   - a name row pointed at an image signed for another repository;
#   - a store, or a directory or link on the way to it, that the attacker owns;
#   - a malformed index record (image list and gc go on);
#   - a bad blob planted under the name of a blob the victim fetches next.
#
# As in system-store.bats, BERTH_TEST_SYSROOT moves /var/lib/berth and
# /etc/berth under a directory made here; the groups berth and berth-admin
# are removed at the end if this file created them. Keys are made by
# tests/fixtures/keys/keys.sh.
# requires: root userns newuidmap newgidmap useradd usermod userdel groupdel runuser gpg python3 jq
# shellcheck disable=SC2154 # status, output, stderr: set by bats' run
# shellcheck disable=SC2016 # the attacker's shells expand $1 and $2

load helpers

VICTIM=berthhostile-victim
ATTACKER=berthhostile-attacker
USERS=("$VICTIM" "$ATTACKER")

setup_file() {
    WORK=$(mktemp -d /tmp/berth-hostile-XXXXXX)
    chmod 0755 "$WORK"
    export WORK
    export BERTH_TEST_SYSROOT=$WORK/sysroot
    SYSTEM_STORE=$BERTH_TEST_SYSROOT/var/lib/berth
    export SYSTEM_STORE

    local g u start
    : >"$WORK/created-groups"
    for g in berth berth-admin; do
        getent group "$g" >/dev/null || echo "$g" >>"$WORK/created-groups"
    done
    for u in "${USERS[@]}"; do
        ! getent passwd "$u" >/dev/null || {
            echo "user $u exists already (left by an earlier run?); remove it with userdel" >&3
            return 1
        }
    done
    bash "$BERTH_SOURCE_ROOT/tests/fixtures/make-busybox-images.sh" "$WORK/fixtures" >&3 2>&1
    sh "$BERTH_SOURCE_ROOT/tests/fixtures/keys/keys.sh" make "$WORK/keys" >&3 2>&1
    chmod -R a+rX "$WORK/fixtures" "$WORK/keys"/*.asc "$WORK/keys"/*.fpr

    # shellcheck source=contrib/lib.sh
    source "$BERTH_SOURCE_ROOT/contrib/lib.sh"
    for u in "${USERS[@]}"; do
        useradd --user-group --no-create-home --home-dir "$WORK/home/$u" --shell /bin/sh "$u"
        install -d -m 0700 -o "$u" -g "$u" "$WORK/home/$u"
        start=$(first_free_subid /etc/subuid)
        usermod --add-subuids "$start-$((start + BERTH_SUBID_COUNT - 1))" "$u"
        start=$(first_free_subid /etc/subgid)
        usermod --add-subgids "$start-$((start + BERTH_SUBID_COUNT - 1))" "$u"
    done
    "$BERTH" system setup >&3
    for u in "${USERS[@]}"; do
        usermod -aG berth "$u"
    done
    # A place every user may write, as /tmp.
    install -d -m 1777 "$WORK/shared"
    runuser -u "$VICTIM" -- test -x "$BERTH" || {
        echo "the test users cannot execute $BERTH: make its build directory readable by all" >&3
        return 1
    }
}

teardown_file() {
    local u g
    for u in "${USERS[@]}"; do
        getent passwd "$u" >/dev/null || continue
        rm -rf "/tmp/berth-$(id -u "$u")"
        userdel "$u" 2>/dev/null || true
        sed -i "/^$u:/d" /etc/subuid /etc/subgid
    done
    if [[ -f $WORK/created-groups ]]; then
        while read -r g; do
            groupdel "$g" 2>/dev/null || true
        done <"$WORK/created-groups"
    fi
    [[ -d $WORK/keys ]] && sh "$BERTH_SOURCE_ROOT/tests/fixtures/keys/keys.sh" stop "$WORK/keys"
    rm -rf "$WORK"
}

setup() { :; }
teardown() { :; }

# as USER [-N] ARGS...: berth as USER with a login-like environment and no
# session; -N asserts the exit status.
as() {
    local user=$1 expect=
    shift
    if [[ ${1:-} =~ ^-[0-9]+$ ]]; then
        expect=$1
        shift
    fi
    run --separate-stderr runuser -u "$user" -- env -i HOME="$WORK/home/$user" USER="$user" \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin BERTH_TEST_SYSROOT="$BERTH_TEST_SYSROOT" \
        ${XDG_DATA_HOME:+XDG_DATA_HOME="$XDG_DATA_HOME"} "$BERTH" "$@"
    echo "\$ ($user) berth $*"
    echo "  exit status: $status"
    [[ -n $output ]] && printf '  stdout: %s\n' "${lines[@]}"
    [[ -n $stderr ]] && printf '  stderr: %s\n' "${stderr_lines[@]}"
    if [[ -n $expect ]]; then
        assert_status "${expect#-}"
    fi
}

# shell_as USER SCRIPT [ARGS...]: a shell command as USER (the attack itself).
shell_as() {
    local user=$1
    shift
    runuser -u "$user" -- sh -c "$@"
}

# last_error_line PATTERN: berth failed with its one line last on stderr.
last_error_line() {
    local last
    last=$(printf '%s\n' "$stderr" | sed '/^[[:space:]]*$/d' | tail -1)
    [[ $last == "berth: "* ]] || fail "the last line on stderr is not berth's error: $last"
    grep -Eq -- "$1" <<<"$last" || fail "stderr's last line does not match /$1/: $last"
}

# fetch_as USER LAYOUT: fetch the OCI layout unsigned into the system store;
# sets IMAGE_ID.
fetch_as() {
    as "$1" -0 --store=system --insecure-options=image fetch "oci:$2"
    IMAGE_ID=$(printf '%s\n' "$output" | sed '/^[[:space:]]*$/d' | tail -1)
    assert_image_id "$IMAGE_ID"
}

# manifest_of LAYOUT: the digest of the layout's (only) manifest.
manifest_of() { jq -r '.manifests[0].digest' "$1/index.json"; }

@test "a name pointed at an image signed for another repository is refused" {
    local layout=$WORK/fixtures/oci-gzip manifest fpr sig
    fetch_as "$ATTACKER" "$layout"
    manifest=$(manifest_of "$layout")
    fpr=$(cat "$WORK/keys/other.fpr")
    # A genuine signature by the attacker's key, for the attacker's own
    # repository, which the victim trusts that key for.
    printf '{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"%s"},"identity":{"docker-reference":"attacker.example/tool:latest"}},"optional":{}}' \
        "$manifest" >"$WORK/payload"
    sh "$BERTH_SOURCE_ROOT/tests/fixtures/keys/keys.sh" sign "$WORK/keys" other message \
        "$WORK/payload" "$WORK/tool.sig"
    sig=$(od -An -v -tx1 "$WORK/tool.sig" | tr -d ' \n')
    # The attacker writes the index as any member may: the image is recorded
    # as attacker.example/tool, verified by that key with that signature, and
    # the victim's name registry.example.com/prod/app points at it.
    shell_as "$ATTACKER" 'python3 - "$@" <<EOF
import json, sqlite3, sys
db, image, fpr, manifest, sig = sys.argv[1:]
c = sqlite3.connect(db)
record = json.loads(c.execute("SELECT record FROM images WHERE id = ?", (image,)).fetchone()[0])
record.update(name="attacker.example/tool", tag="latest", verifiedBy=fpr)
c.execute("UPDATE images SET record = ? WHERE id = ?", (json.dumps(record), image))
for name in ("attacker.example/tool", "registry.example.com/prod/app"):
    c.execute("INSERT OR REPLACE INTO names (name, tag, id) VALUES (?, ?, ?)", (name, "latest", image))
signatures = {"reference": "attacker.example/tool:latest", "signedDigest": manifest, "signatures": [sig]}
c.execute("INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)",
          ("simple-signing:" + manifest, json.dumps(signatures)))
c.commit()
EOF' sh "$SYSTEM_STORE/index/index.db" "$IMAGE_ID" "$fpr" "$manifest" "$sig"

    as "$VICTIM" -0 trust --prefix attacker.example --skip-fingerprint-review "$WORK/keys/other.asc"
    # The signature is genuine: under its own name the image runs.
    as "$VICTIM" -0 --store=system run attacker.example/tool echo the tool runs
    assert_contains "$output" "the tool runs"
    # Under the name the victim asked for, it does not.
    as "$VICTIM" -125 --store=system run registry.example.com/prod/app echo attacker wins
    assert_not_contains "$output" "attacker wins"
    last_error_line "image 'registry.example.com/prod/app' .*signed for 'attacker.example/tool' by key $fpr"
    assert_one_line_error
}

@test "a store, or a directory or link on the way to it, that another user owns is refused" {
    # A store the attacker made where anyone may create one.
    shell_as "$ATTACKER" 'mkdir -m 0777 "$1"' sh "$WORK/shared/store"
    as "$VICTIM" -125 --root "$WORK/shared/store" image list
    assert_one_line_error "'$WORK/shared/store' belongs to $ATTACKER"
    [[ -z $(ls -A "$WORK/shared/store") ]] || fail "the victim filled the attacker's store"

    # The default store below an XDG_DATA_HOME the attacker made.
    shell_as "$ATTACKER" 'mkdir -m 0755 "$1"' sh "$WORK/shared/data"
    XDG_DATA_HOME=$WORK/shared/data as "$VICTIM" -125 image list
    assert_one_line_error "'$WORK/shared/data', on the way to '$WORK/shared/data/berth', belongs to $ATTACKER"
    [[ ! -e $WORK/shared/data/berth ]] || fail "the victim made a store in the attacker's directory"

    # A link the attacker owns, leading (for now) to the victim's own directory.
    shell_as "$VICTIM" 'mkdir -m 0700 "$1"' sh "$WORK/home/$VICTIM/stores"
    shell_as "$ATTACKER" 'ln -s "$1" "$2"' sh "$WORK/home/$VICTIM/stores" "$WORK/shared/link"
    as "$VICTIM" -125 --root "$WORK/shared/link/store" image list
    assert_one_line_error "'$WORK/shared/link', on the way to '$WORK/shared/link/store', is a symbolic link that belongs to $ATTACKER"

    # The victim's own directory in the same sticky place is fine.
    shell_as "$VICTIM" 'mkdir -m 0700 "$1"' sh "$WORK/shared/mine"
    as "$VICTIM" -0 --root "$WORK/shared/mine" image list
}

@test "a malformed index record another member wrote does not stop image list or gc" {
    fetch_as "$VICTIM" "$WORK/fixtures/oci-gzip"
    shell_as "$ATTACKER" 'python3 - "$1" <<EOF
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO images (id, imported_at, record) VALUES (?, ?, ?)",
          ("sha256:" + "cd" * 32, 1, "{not json"))
c.commit()
EOF' sh "$SYSTEM_STORE/index/index.db"
    as "$VICTIM" -0 --store=system image list
    assert_contains "$output" "$(short_hex "$IMAGE_ID")"
    assert_one_line_error "ignoring the malformed record of image 'sha256:cdcd"
    as "$VICTIM" -0 --store=system image gc
    assert_contains "$stderr" "ignoring the malformed record of image 'sha256:cdcd"
}

@test "a bad blob planted under a blob's name does not block a correct fetch" {
    local layout=$WORK/fixtures/oci-extra manifest layer bad
    manifest=$(manifest_of "$layout")
    layer=$(jq -r '.layers[-1].digest' "$layout/blobs/sha256/${manifest#sha256:}")
    bad=$SYSTEM_STORE/blobs/sha256/${layer#sha256:}
    [[ ! -e $bad ]] || fail "the layer is in the store already"
    # Before the victim fetches the image: other bytes under the layer's name,
    # which the sticky directory keeps from the victim.
    shell_as "$ATTACKER" 'echo planted >"$1" && chmod 0444 "$1"' sh "$bad"

    fetch_as "$VICTIM" "$layout"
    as "$VICTIM" -0 --store=system --insecure-options=image run "$IMAGE_ID" cat /extra.txt
    assert_contains "$output" "a layer on top of the shared busybox layer"
    # The planted file is still there, still the attacker's: it was not used.
    [[ $(cat "$bad") == planted ]] || fail "the planted blob changed"
}
