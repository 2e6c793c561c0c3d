"""Benchmarks, measured side by side in one run (wall-clock medians; the machine is shared, so compare ratios).

Run: make bench   (or .venv/bin/python benchmarks/run.py [--quick])
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
REPEATS = 3 if "--quick" in sys.argv else 7


def wall(command: list[str], cwd: Path = ROOT, repeats: int = REPEATS) -> float:
    """Median wall time of a command, its output discarded."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process(function, repeats: int = 3) -> float:
    """Median time of a call in a fresh cache state (caches cleared before each call)."""
    from symderiv.check import verify

    times = []
    for _ in range(repeats):
        verify._decide.cache_clear()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def naive_jacobian_check(n: int) -> None:
    """The naive check: sympy's Jacobian of softmax, simplify(a - b) == 0 on every entry."""
    import sympy as sp

    xs = sp.symbols(f"x1:{n + 1}")
    total = sum(sp.exp(v) for v in xs)
    sigma = [sp.exp(v) / total for v in xs]
    jacobian = sp.Matrix(sigma).jacobian(xs)
    for a in range(n):
        for b in range(n):
            claimed = sigma[a] * ((1 if a == b else 0) - sigma[b])
            assert sp.simplify(jacobian[a, b] - claimed) == 0


def main() -> None:
    print("symderiv benchmarks (medians; ratios are measured side by side in this run)\n")
    cli = [PYTHON, "-m", "symderiv"]
    derive_tex = wall(cli + ["derive", "softmax-jacobian", "-f", "tex"])
    import_sympy = wall([PYTHON, "-c", "import sympy"])
    print(f"derive softmax-jacobian -f tex      {derive_tex:7.3f} s")
    print(f"python -c 'import sympy'            {import_sympy:7.3f} s")
    print(f"ratio (target <= 2.0)               {derive_tex / import_sympy:7.2f}\n")

    from symderiv.catalog import solve

    print(f"{'n':>4} {'derive+verify':>14} {'naive check':>12} {'speed-up':>9}")
    for n in (4, 8, 16, 32, 64):
        ours = in_process(lambda: solve("softmax-jacobian", {"n": str(n)}), repeats=1 if n >= 32 else 3)
        if n <= 16:
            naive = in_process(lambda: naive_jacobian_check(n), repeats=1)
            print(f"{n:>4} {ours:13.3f}s {naive:11.3f}s {naive / ours:8.1f}x")
        else:
            print(f"{n:>4} {ours:13.3f}s {'-':>12} {'-':>9}")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        print()
        subprocess.run([PYTHON, str(script)] + sys.argv[1:], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
