"""mlp and dense-layer: whole-process times of the commands as typed, against `import sympy` in the same run.

Each row runs `python -m symderiv derive mlp -p layers=L` in a fresh process; the targets are L = 8 under 3 s and
near-linear growth, t(16)/t(8) ≤ 2.3. The last line runs `derive dense-layer` against `python -c "import sympy"`.
Run: .venv/bin/python benchmarks/bench_mlp.py [--quick]
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 1 if "--quick" in sys.argv else 3
LAYERS = (2, 4, 8, 16)


def wall(command: list[str]) -> tuple[float, int]:
    """Median wall time of a command (output discarded) and its exit code."""
    times, code = [], 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        code = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        times.append(time.perf_counter() - start)
    return statistics.median(times), code


def main() -> None:
    import_sympy, _ = wall([sys.executable, "-c", "import sympy"])
    print(f"python -c 'import sympy': {import_sympy:.3f} s (measured in this run; ratios are against it)\n")
    print(f"{'derive mlp':<14} {'time':>9} {'/ import':>9} {'exit':>5}")
    times = {}
    for layers in LAYERS:
        times[layers], code = wall([sys.executable, "-m", "symderiv", "derive", "mlp", "-p", f"layers={layers}"])
        print(f"{'layers=' + str(layers):<14} {times[layers]:8.2f}s {times[layers] / import_sympy:9.1f} {code:>5}",
              flush=True)
    print(f"t(16)/t(8) = {times[16] / times[8]:.2f}   (targets: L = 8 under 3 s, t(16)/t(8) <= 2.3)\n")
    dense, code = wall([sys.executable, "-m", "symderiv", "derive", "dense-layer"])
    print(f"derive dense-layer        {dense:7.3f} s   exit {code}")
    print(f"python -c 'import sympy'  {import_sympy:7.3f} s")
    print(f"ratio                     {dense / import_sympy:7.2f}")


if __name__ == "__main__":
    main()
