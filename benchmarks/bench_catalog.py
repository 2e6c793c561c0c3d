"""The catalog's speed: backprop derive+verify against the number of layers, and the whole catalog at once.

Each backprop size runs in a fresh process (no warm caches), timed inside it around `catalog.solve`.
Run: .venv/bin/python benchmarks/bench_catalog.py [--quick]
"""
from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 1 if "--quick" in sys.argv else 3
SOLVE = ("import sys, time; import sympy; from symderiv import catalog; t = time.perf_counter(); "
         "s = catalog.solve('backprop', {'layers': sys.argv[1]}); "
         "print(time.perf_counter() - t if s.verified else 'unverified')")
WHOLE = ("import time; import sympy; from symderiv import catalog; t = time.perf_counter(); "
         "ok = all(catalog.solve(name).verified for name in catalog.names()); "
         "print(time.perf_counter() - t if ok else 'unverified')")


def timed(code: str, *args: str) -> float:
    """Median of the time a fresh process reports for `code`."""
    runs = [subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True)
            for _ in range(REPEATS)]
    return statistics.median(float(run.stdout.strip()) for run in runs)


def main() -> None:
    print(f"{'layers L':>9} {'derive+verify':>14}")
    times = {}
    for layers in (2, 4, 8, 16, 32):
        times[layers] = timed(SOLVE, str(layers))
        print(f"{layers:>9} {times[layers]:13.3f}s")
    print(f"t(32)/t(16) = {times[32] / times[16]:.2f}   (linear growth: near 2; target L = 16 under 2 s)\n")
    print(f"whole catalog, derive+verify in one process: {timed(WHOLE):.3f} s")


if __name__ == "__main__":
    main()
