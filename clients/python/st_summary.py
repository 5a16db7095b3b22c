"""Reads schemathesis' JSON report and says what failed, in a few lines.

    python python/st_summary.py REPORT.json BACKEND

Exits 1 when the run failed (a check failed, an error, a warning that fails the run) or when a
phase did not run: the stateful phase needs links between operations, and a run that skipped
it tested less than it claims.
"""

from __future__ import annotations

import json
import sys

PHASES = ("examples", "coverage", "fuzzing", "stateful")
FAILING_WARNINGS = ("missing_test_data", "validation_mismatch")


def main(path: str, backend: str) -> int:
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    bad = False
    print(
        f"schemathesis {report['schemathesis_version']} on {backend}, seed {report['seed']}: "
        f"{report['test_cases']['generated']} cases in {report['running_time']:.0f} s, exit code {report['exit_code']}"
    )
    for phase in PHASES:
        status = (report["phases"].get(phase) or {}).get("status")
        reason = (report["phases"].get(phase) or {}).get("skip_reason")
        line = f"  phase {phase}: {status}" + (f" ({reason})" if reason else "")
        if status not in ("success", "failure", "errored"):
            bad = True
            line += "  <- did not run"
        print(line)
    for failure in report["failures"]:
        bad = True
        print(f"  FAIL {failure['code']} {failure['title']} ({failure['count']}): {', '.join(failure['operations'])}")
    for error in report["errors"]:
        bad = True
        print(f"  ERROR {json.dumps(error)[:300]}")
    for kind in FAILING_WARNINGS:
        operations = report["warnings"].get(kind) or []
        if operations:
            bad = True
            print(f"  WARNING {kind} ({len(operations)}), fails the run:")
            for op in operations:
                rates = report.get("valid_rates", {}).get(op, {})
                seen = "; ".join(
                    f"{phase} {r['accepted']} accepted/{r['rejected']} rejected/{r['conflicts']} conflicts"
                    for phase, r in rates.items()
                )
                print(f"    {op}" + (f"  [{seen}]" if seen else ""))
    for kind, operations in report["warnings"].items():
        if kind not in FAILING_WARNINGS and operations:
            print(f"  note: warning {kind}: {operations}")
    if report["exit_code"] != 0:
        bad = True
    print(f"schemathesis on {backend}: {'FAILED' if bad else 'passed'}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: st_summary.py REPORT.json BACKEND", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
