#!/usr/bin/env python3
"""contrib/test-summary.py counts what did not run as failed; prints TAP.

    summary-test.py     (env: BERTH_SOURCE_ROOT)

Each case lays out the step directories contrib/test.sh leaves (testlog.json,
expected, status, why, note) and checks the summary's last line, its exit
status and the line that says why.
"""

import json
import os
import subprocess
import sys
import tempfile

SUMMARY = os.path.join(os.environ["BERTH_SOURCE_ROOT"], "contrib", "test-summary.py")


def record(name, result="OK", stdout=""):
    return json.dumps({"name": name, "result": result, "stdout": stdout})


def part(root, name, testlog=None, expected=None, status=None, why=None, note=None):
    d = os.path.join(root, name)
    os.makedirs(d)
    for file, text in (("testlog.json", testlog), ("expected", expected), ("status", status),
                       ("why", why), ("note", note)):
        if text is not None:
            with open(os.path.join(d, file), "w") as f:
                f.write(text + "\n")
    return d


def summarize(*parts):
    p = subprocess.run([sys.executable, SUMMARY, "--started", "0", *parts],
                       capture_output=True, text=True, check=False)
    return p.returncode, p.stdout.splitlines()


ROOT_LOG = "\n".join([record("berth:root / front", stdout="ok 1 a\nok 2 b\nok 3 c # skip why"),
                      record("berth:root / system-store", stdout="ok 1 d")])
ROOT_LIST = "berth:root / front\nberth:root / system-store"

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def a_step_that_never_started_counts_as_failed(tmp):
    """The rootless step exited before meson ran (it could not enter its directory)."""
    rootless = part(tmp, "rootless", status="1", why="the step run as berth-test exited with status 1")
    root = part(tmp, "root", testlog=ROOT_LOG, expected=ROOT_LIST, status="0")
    rc, out = summarize(rootless, root)
    assert out[-1] == "3 passed, 1 failed, 1 skipped", out[-1]
    assert rc == 1, rc
    assert "rootless: did not run: the step run as berth-test exited with status 1" in out, out


@case
def a_step_that_left_nothing_counts_as_failed(tmp):
    rootless = os.path.join(tmp, "rootless")  # never created: killed before it began
    root = part(tmp, "root", testlog=ROOT_LOG, expected=ROOT_LIST, status="0")
    rc, out = summarize(rootless, root)
    assert out[-1] == "3 passed, 1 failed, 1 skipped", out[-1]
    assert rc == 1, rc


@case
def listed_tests_without_a_result_count_as_failed(tmp):
    """meson stopped half way: two tests listed, one result."""
    rootless = part(tmp, "rootless", testlog=record("berth:unit / a", stdout="[doctest] test cases: 5 | 5 passed | 0 failed | 0 skipped"),
                    expected="berth:unit / a\nberth:unit / b", status="1")
    rc, out = summarize(rootless)
    assert out[-1] == "5 passed, 1 failed, 0 skipped", out[-1]
    assert rc == 1, rc
    assert any(line.startswith("rootless: 1 of its tests did not run") for line in out), out


@case
def a_clean_run_passes_and_ends_with_its_duration_and_counts(tmp):
    root = part(tmp, "root", testlog=ROOT_LOG, expected=ROOT_LIST, status="0")
    fuzz = part(tmp, "fuzz", note="contrib/fuzz.sh is not in this tree, so no fuzzer ran")
    rc, out = summarize(root, fuzz)
    assert rc == 0, rc
    assert out[-2].startswith("The run took "), out[-2]
    assert out[-1] == "3 passed, 0 failed, 1 skipped", out[-1]


@case
def a_failed_fuzz_step_with_no_log_counts_as_failed(tmp):
    fuzz = part(tmp, "fuzz", status="2", why="contrib/fuzz.sh exited with status 2")
    rc, out = summarize(fuzz)
    assert out[-1] == "0 passed, 1 failed, 0 skipped", out[-1]
    assert rc == 1, rc


def main():
    print(f"1..{len(CASES)}")
    failed = 0
    for i, fn in enumerate(CASES, 1):
        name = fn.__name__.replace("_", " ")
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fn(tmp)
                print(f"ok {i} - {name}")
            except (AssertionError, IndexError) as e:
                failed += 1
                print(f"not ok {i} - {name}")
                print(f"# {e}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
