#!/usr/bin/env python3
"""Summarise one or more `meson test` runs, counting test cases.

    test-summary.py [--started EPOCH] PART...

A PART is a directory that contrib/test.sh fills for one step of a run (the
rootless suite, the fuzzers, the root suite), named after that step:

    testlog.json  meson's log of the tests that ran (missing if none did)
    expected      `meson test --list` for the same arguments: what should run
    status        the step's exit status
    why           one line: why the step did not run, or stopped
    note          one line printed as it is, counted nowhere

A PART may also be a testlog.json file alone.

meson counts one result per registered test; a doctest binary or a bats file
holds many cases, so this reads each test's output and counts those instead:
doctest's "[doctest] test cases: N | N passed | N failed | N skipped" line and
TAP lines ("ok", "not ok", "ok ... # skip"). A test whose output has neither
counts as one case with meson's verdict; a test that crashed or timed out
after printing passes still counts one failure, so nothing is hidden.

Nothing that did not run is hidden either: a test listed in "expected" with
no result counts as one failure, and so does a step that exited non-zero
without any failure to show for it (it could not build, or could not start).
Each such step gets one line saying why.

Prints one line per test, then the run's duration (with --started), and,
last, "N passed, N failed, N skipped". Exits 1 if anything failed or no test
ran.
"""

import json
import os
import re
import sys
import time

DOCTEST = re.compile(
    r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed\s*\|\s*(\d+) skipped")
TAP_OK = re.compile(r"^ok \d+\b(.*)$")
TAP_NOT_OK = re.compile(r"^not ok \d+\b")
TAP_SKIP = re.compile(r"#\s*skip\b", re.IGNORECASE)
PASS_RESULTS = {"OK", "EXPECTEDFAIL"}
SKIP_RESULTS = {"SKIP"}


def count_cases(output):
    """(passed, failed, skipped), or None when the output has no case lines."""
    found = DOCTEST.findall(output)
    if found:
        _, passed, failed, skipped = (int(x) for x in found[-1])
        return passed, failed, skipped
    passed = failed = skipped = 0
    saw_tap = False
    for line in output.splitlines():
        if TAP_NOT_OK.match(line):
            failed += 1
            saw_tap = True
            continue
        m = TAP_OK.match(line)
        if m:
            saw_tap = True
            if TAP_SKIP.search(m.group(1)):
                skipped += 1
            else:
                passed += 1
    return (passed, failed, skipped) if saw_tap else None


def skip_reason(output):
    for line in output.splitlines():
        if line.startswith("SKIP:"):
            return line[5:].strip()
    return ""


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def read_records(path):
    text = read_text(path)
    if text is None:
        return []
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            # A log cut short (the run was killed mid-write): what is cut is
            # accounted for by the expected list.
            pass
    return records


def record_row(rec):
    """(name, result, (passed, failed, skipped), note) for one meson result."""
    result = rec.get("result", "ERROR")
    output = (rec.get("stdout") or "") + "\n" + (rec.get("stderr") or "")
    if result in SKIP_RESULTS:
        counts = (0, 0, 1)
    else:
        counts = count_cases(output)
        if counts is None:
            counts = (1, 0, 0) if result in PASS_RESULTS else (0, 1, 0)
        elif result not in PASS_RESULTS and counts[1] == 0:
            # Crashed, timed out or exited non-zero after passing cases.
            counts = (counts[0], 1, counts[2])
    note = skip_reason(output) if result in SKIP_RESULTS else ""
    return rec.get("name", "?"), result, counts, note


def part_rows(path):
    """(rows, lines): the part's rows, and the lines that explain it."""
    if os.path.isfile(path):
        return [record_row(r) for r in read_records(path)], []
    name = os.path.basename(os.path.normpath(path))
    records = read_records(os.path.join(path, "testlog.json"))
    rows = [record_row(r) for r in records]
    lines = []
    note = read_text(os.path.join(path, "note"))
    if note and note.strip():
        lines.append(f"{name}: {note.strip()}")
    expected = read_text(os.path.join(path, "expected"))
    status = read_text(os.path.join(path, "status"))
    status = int(status) if status and status.strip().lstrip("-").isdigit() else None
    why = (read_text(os.path.join(path, "why")) or "").strip()

    ran = {r.get("name") for r in records}
    missing = []
    if expected is not None:
        missing = [n.strip() for n in expected.splitlines() if n.strip() and n.strip() not in ran]
    for test in missing:
        rows.append((test, "NOTRUN", (0, 1, 0), ""))
    failed = sum(r[2][1] for r in rows)
    if status is None and not records and expected is None and note is None:
        # The step left nothing at all: it never started.
        status = -1
    if status not in (None, 0) and failed == 0:
        rows.append((f"{name} (the step itself)", "ERROR", (0, 1, 0), ""))
    if missing or (status not in (None, 0) and not records):
        reason = why or (f"exited with status {status} before running its tests" if status not in (None, -1)
                         else "did not start")
        count = f"{len(missing)} of its tests did not run" if missing else "did not run"
        lines.append(f"{name}: {count}: {reason}")
    elif status not in (None, 0) and why:
        lines.append(f"{name}: {why}")
    return rows, lines


def main():
    args = sys.argv[1:]
    started = None
    if len(args) >= 2 and args[0] == "--started":
        started = float(args[1])
        args = args[2:]
    if not args:
        sys.exit("usage: test-summary.py [--started EPOCH] PART...")
    rows = []
    lines = []
    for path in args:
        part, why = part_rows(path)
        rows += part
        lines += why

    print()
    print("Test summary (cases per meson test):")
    for name, result, (p, fl, s), note in rows:
        line = f"  {result:<8} {name:<40} {p:4d} passed {fl:3d} failed {s:3d} skipped"
        if note:
            line += f"  ({note})"
        print(line)
    for line in lines:
        print(line)
    totals = [sum(r[2][i] for r in rows) for i in range(3)]
    if started is not None:
        seconds = int(time.time() - started)
        print(f"The run took {seconds // 60} min {seconds % 60} s.")
    passed, failed, skipped = totals
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed or not rows else 0)


if __name__ == "__main__":
    main()
