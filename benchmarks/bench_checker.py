"""Whole-process times of what the checker costs a user: `derive softmax-jacobian -f tex` against
`python -c "import sympy"`, and every catalog problem derived and verified, each in its own process.

Run: .venv/bin/python benchmarks/bench_checker.py [--quick] [--before CHECKOUT]
With --before, the same commands also run from another checkout of symderiv (its own `python -m symderiv`,
with PYTHONPATH pointing at it), side by side in the same run.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
REPEATS = 3 if "--quick" in sys.argv else 5
PROBLEMS = ["sigmoid-derivative", "backprop", "softmax-jacobian", "softmax-vjp", "cross-entropy-grad",
            "softmax-cross-entropy"]


def wall(command: list[str], source: Path, repeats: int = REPEATS) -> float:
    """Median wall time of a command run with `source` first on the import path, its output discarded."""
    environment = {**os.environ, "PYTHONPATH": str(source)}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=source, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def figures(source: Path) -> dict:
    cli = [PYTHON, "-m", "symderiv"]
    result = {"tex": wall(cli + ["derive", "softmax-jacobian", "-f", "tex"], source)}
    result.update({name: wall(cli + ["derive", name], source, repeats=max(1, REPEATS - 2)) for name in PROBLEMS})
    return result


def main() -> None:
    before = Path(sys.argv[sys.argv.index("--before") + 1]).resolve() if "--before" in sys.argv else None
    import_sympy = wall([PYTHON, "-c", "import sympy"], ROOT)
    columns = {"now": figures(ROOT)}
    if before is not None:
        columns["before"] = figures(before)
    header = "".join(f"{name:>12}" for name in columns)
    print(f"{'whole process, median wall time':40}{header}")
    print(f"{'python -c import sympy':40}{import_sympy:11.3f}s" + " " * 12 * (len(columns) - 1))
    print(f"{'derive softmax-jacobian -f tex':40}" + "".join(f"{c['tex']:11.3f}s" for c in columns.values()))
    print(f"{'  ratio to import sympy (target <= 2.0)':40}"
          + "".join(f"{c['tex'] / import_sympy:12.2f}" for c in columns.values()))
    for name in PROBLEMS:
        print(f"{'derive ' + name:40}" + "".join(f"{c[name]:11.3f}s" for c in columns.values()))
    print(f"{'whole catalog (sum)':40}" + "".join(f"{sum(c[n] for n in PROBLEMS):11.3f}s" for c in columns.values()))


if __name__ == "__main__":
    main()
