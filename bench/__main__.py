"""`python -m bench [--quick] [catalog checkout worker]`: each bench in its own process (its own settings,
nothing leaking from one to the next), one after the other; then the table of every row, as written to
the results file (test-artifacts/bench/results.json). Exit status 1 when a bench failed (a check it makes:
oversold, overbooked, duplicates, unexpected answers) or crashed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench import harness

BENCHES = ("catalog", "checkout", "worker")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv or harness.quick()
    chosen = [name for name in argv if not name.startswith("-")] or list(BENCHES)
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        print(f"unknown bench: {', '.join(sorted(unknown))} (choose from {', '.join(BENCHES)})", file=sys.stderr)
        return 2
    if harness.RESULTS.exists():
        harness.RESULTS.unlink()
    env = {**os.environ, "PYTHONPATH": str(harness.ROOT), **({"BENCH_QUICK": "1"} if quick else {})}
    failed = []
    began = time.monotonic()
    load_before = os.getloadavg()
    for name in chosen:
        print(f"\n===== bench.{name} =====", flush=True)
        done = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=str(harness.ROOT), env=env, check=False)
        if done.returncode != 0:
            failed.append(name)
    rows = json.loads(harness.RESULTS.read_text()) if harness.RESULTS.exists() else {}
    print(f"\n===== results ({harness.RESULTS}) =====")
    print(harness.table(rows))
    print(f"\n{harness.web_workers()} gunicorn sync workers for the app and every floor; wrk at c=16 (catalog), "
          f"c=32 (checkout); warm-up {harness.warmup_seconds():.0f} s then {harness.measure_seconds():.0f} s "
          f"measured per run; wall time {time.monotonic() - began:.0f} s; load average (1, 5, 15 min) "
          f"{' '.join(f'{x:.1f}' for x in load_before)} before, {' '.join(f'{x:.1f}' for x in os.getloadavg())} after "
          f"on {os.cpu_count()} cores (each row's `load_1m` is in the results file).")
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
