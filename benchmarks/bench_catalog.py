"""The whole catalog as users run it: `symderiv derive NAME` for every problem, each in a fresh process.

Whole-process wall and CPU times (medians), side by side with `python -c "import sympy"` in the same rounds.
Run: .venv/bin/python benchmarks/bench_catalog.py [--quick]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BASELINE, CLI, SYMPY, side_by_side  # noqa: E402

REPEATS = 1 if "--quick" in sys.argv else 3


def main() -> None:
    from symderiv.catalog import names

    problems = names()
    measured = side_by_side([SYMPY] + [CLI + ["derive", name] for name in problems], repeats=REPEATS)
    (sympy_wall, sympy_cpu, _), rest = measured[0], measured[1:]
    print(f"{'command':<44} {'wall':>7} {'cpu':>7} {'/ sympy':>8} {'exit':>5}")
    print(f"{BASELINE:<44} {sympy_wall:6.3f}s {sympy_cpu:6.3f}s {1:8.2f}")
    for name, (wall, cpu, code) in zip(problems, rest):
        print(f"{'symderiv derive ' + name:<44} {wall:6.3f}s {cpu:6.3f}s {wall / sympy_wall:8.2f} {code:>5}")
    total = sum(wall for wall, _, _ in rest)
    print(f"{'the whole catalog, one process each':<44} {total:6.3f}s")


if __name__ == "__main__":
    main()
