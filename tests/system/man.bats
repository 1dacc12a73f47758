#!/usr/bin/env bats
# Man pages stay in step with the CLI: every command `berth --help` lists has
# man/berth-COMMAND.1, every option a command's --help shows appears in its
# page, and every page formats without warnings.
# requires: groff

load helpers

MAN_DIR=$BERTH_SOURCE_ROOT/man

# The man tests need no store or fixtures.
setup_file() { :; }
setup() { :; }
teardown() { :; }

# section HELP-TEXT NAME: the lines of CLI11's "NAME:" section.
section() {
    awk -v want="$2:" '
        /^[A-Za-z][A-Za-z ]*:[[:space:]]*$/ { on = ($0 ~ "^" want); next }
        on && NF { print }' <<<"$1"
}

# subcommands WORDS...: the subcommands `berth WORDS --help` lists.
subcommands() {
    local help
    help=$("$BERTH" "$@" --help 2>&1) || true
    section "$help" Subcommands | awk '{ sub(/,$/, "", $1); print $1 }'
}

# long_options WORDS...: the long options `berth WORDS --help` lists, except
# --help itself, which every command has.
long_options() {
    local help
    help=$("$BERTH" "$@" --help 2>&1) || true
    section "$help" Options | awk '{ print $1 }' |
        grep -oE -- '--[A-Za-z0-9][A-Za-z0-9-]*' | grep -vx -- '--help' || true
}

# page_text PAGE: the page's source with roff's escapes for '-' and fonts
# removed, so that "\-\-root" and "\fB\-\-root\fR" both read "--root".
page_text() {
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\f\[[^]]*\]//g' "$1"
}

@test "berth.1 lists every global option and command" {
    [[ -f $MAN_DIR/berth.1 ]] || fail "man/berth.1 is missing"
    local text opt cmd missing=()
    text=$(page_text "$MAN_DIR/berth.1")
    for opt in $(long_options); do
        [[ $text == *"$opt"* ]] || missing+=("$opt")
    done
    for cmd in $(subcommands); do
        [[ $text == *"berth $cmd"* ]] || missing+=("command $cmd")
    done
    [[ ${#missing[@]} -eq 0 ]] || fail "man/berth.1 lacks: ${missing[*]}"
}

@test "every command has a page listing all its options" {
    local cmd sub page subpage text opt problems=()
    for cmd in $(subcommands); do
        page=$MAN_DIR/berth-$cmd.1
        if [[ ! -f $page ]]; then
            problems+=("man/berth-$cmd.1 is missing")
            continue
        fi
        text=$(page_text "$page")
        for opt in $(long_options "$cmd"); do
            [[ $text == *"$opt"* ]] || problems+=("$(basename "$page") lacks $opt")
        done
        # A command with subcommands (image list, ...) documents each in its
        # own page if there is one, else in the command's page.
        for sub in $(subcommands "$cmd"); do
            subpage=$MAN_DIR/berth-$cmd-$sub.1
            [[ -f $subpage ]] || subpage=$page
            [[ $(page_text "$page") == *"$sub"* ]] ||
                problems+=("$(basename "$page") does not mention '$cmd $sub'")
            text=$(page_text "$subpage")
            for opt in $(long_options "$cmd" "$sub"); do
                [[ $text == *"$opt"* ]] || problems+=("$(basename "$subpage") lacks '$cmd $sub $opt'")
            done
        done
    done
    if [[ ${#problems[@]} -gt 0 ]]; then
        printf '%s\n' "${problems[@]}"
        fail "${#problems[@]} man page problems"
    fi
}

@test "every page formats without warnings" {
    local page out bad=0
    for page in "$MAN_DIR"/*.[1-8]; do
        [[ -f $page ]] || continue
        out=$(groff -man -ww -z "$page" 2>&1)
        if [[ -n $out ]]; then
            echo "$(basename "$page"): $out"
            bad=1
        fi
    done
    [[ $bad -eq 0 ]] || fail "groff warns about some pages"
}
