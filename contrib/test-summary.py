#!/usr/bin/env python3
"""Summarise a `meson test` run from its testlog.json, counting test cases.

    test-summary.py BUILD/meson-logs/testlog.json

meson counts one result per registered test; a doctest binary or a bats file
holds many cases, so this reads each test's output and counts those instead:
doctest's "[doctest] test cases: N | N passed | N failed | N skipped" line and
bats' TAP lines ("ok", "not ok", "ok ... # skip"). A test whose output has
neither counts as one case with meson's verdict; a test that crashed or timed
out after printing passes still counts one failure, so nothing is hidden.

Prints one line per test and, last, "N passed, N failed, N skipped".
Exits 1 if anything failed or no test ran.
"""

import json
import re
import sys

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


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test-summary.py testlog.json")
    totals = [0, 0, 0]
    rows = []
    try:
        with open(sys.argv[1]) as f:
            records = [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        records = []
    for rec in records:
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
        for i in range(3):
            totals[i] += counts[i]
        note = skip_reason(output) if result in SKIP_RESULTS else ""
        rows.append((rec.get("name", "?"), result, counts, note))

    print()
    print("Test summary (cases per meson test):")
    for name, result, (p, fl, s), note in rows:
        line = f"  {result:<8} {name:<40} {p:4d} passed {fl:3d} failed {s:3d} skipped"
        if note:
            line += f"  ({note})"
        print(line)
    passed, failed, skipped = totals
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed or not records else 0)


if __name__ == "__main__":
    main()
