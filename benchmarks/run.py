"""Benchmarks: whole-process times of the commands users wait for, side by side with `python -c "import sympy"`.

Every figure is a fresh process running the command as typed (start-up, imports, solving, checking, rendering
and printing included), measured in the same run as `import sympy`, interleaved, so that the ratios hold on a
shared machine whose speed drifts. Wall time is the median of the repeats; CPU time (user + system of the child)
is shown beside it, being steadier when other work shares the machine. No cache is involved: symderiv keeps no
verdicts between runs.

Run: make bench   (or .venv/bin/python benchmarks/run.py [--quick]); the other scripts here follow.
"""
from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
REPEATS = 3 if "--quick" in sys.argv else 7
CLI = [PYTHON, "-m", "symderiv"]
SYMPY = [PYTHON, "-c", "import sympy"]
BASELINE = 'python -c "import sympy"'
TARGETS = (  # (command, target: a ratio to `import sympy` (float) or seconds (str), what the target is)
    (["derive", "softmax-jacobian", "-f", "tex"], 2.0, "<= 2.0x import sympy"),
    (["derive", "backprop", "-p", "layers=16"], "1.5", "< 1.5 s"),
    (["derive", "softmax-jacobian", "-p", "n=64", "-f", "json"], "2.0", "< 2.0 s"),
)
NAIVE = """
import sys, sympy as sp
n = int(sys.argv[1])
xs = sp.symbols(f"x1:{n + 1}")
total = sum(sp.exp(v) for v in xs)
sigma = [sp.exp(v) / total for v in xs]
jacobian = sp.Matrix(sigma).jacobian(xs)
for a in range(n):
    for b in range(n):
        assert sp.simplify(jacobian[a, b] - sigma[a] * ((1 if a == b else 0) - sigma[b])) == 0
"""


def once(command: list[str]) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system) and exit code of one run of `command`, its output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), code


def wall(command: list[str], cwd: Path = ROOT, repeats: int = REPEATS) -> float:
    """Median wall time of a command run in `cwd`, its output discarded (bench_pdf's timing)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def side_by_side(commands: list[list[str]], repeats: int = REPEATS) -> list[tuple[float, float, int]]:
    """Median wall and CPU time of each command, the commands interleaved in every round."""
    runs = [[] for _ in commands]
    for _ in range(repeats):
        for n, command in enumerate(commands):
            runs[n].append(once(command))
    return [(statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs), rs[-1][2]) for rs in runs]


def targets() -> None:
    """The three figures issue targets name, each against `import sympy` in the same rounds."""
    measured = side_by_side([SYMPY] + [CLI + args for args, _, _ in TARGETS])
    (sympy_wall, sympy_cpu, _), rest = measured[0], measured[1:]
    print(f"{'command':<48} {'wall':>7} {'cpu':>7} {'/ sympy':>8}  target            met")
    print(f"{BASELINE:<48} {sympy_wall:6.3f}s {sympy_cpu:6.3f}s {1:8.2f}")
    for (args, target, wording), (wall, cpu, code) in zip(TARGETS, rest):
        met = wall / sympy_wall <= target if isinstance(target, float) else wall < float(target)
        status = "exit %d" % code if code else ("yes" if met else "no")
        print(f"{'symderiv ' + ' '.join(args):<48} {wall:6.3f}s {cpu:6.3f}s {wall / sympy_wall:8.2f}  {wording:<17} {status}")
    print()


def explicit_matrices() -> None:
    """`derive softmax-jacobian -p n=N -f json` against the naive check in its own process, both whole."""
    print(f"{'n':>4} {'derive -p n=N -f json':>22} {'naive simplify check':>21} {'speed-up':>9}")
    for n in (4, 8, 16, 32, 64):
        commands = [CLI + ["derive", "softmax-jacobian", "-p", f"n={n}", "-f", "json"]]
        if n <= 16:
            commands.append([PYTHON, "-c", NAIVE, str(n)])
        times = side_by_side(commands, repeats=1 if n >= 32 else max(1, REPEATS // 2))
        ours = times[0][0]
        naive = f"{times[1][0]:20.3f}s {times[1][0] / ours:8.1f}x" if n <= 16 else f"{'-':>21} {'-':>9}"
        print(f"{n:>4} {ours:21.3f}s {naive}")
    print()


def main() -> None:
    print("symderiv benchmarks: whole processes, medians, ratios measured side by side in this run\n")
    targets()
    explicit_matrices()
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        subprocess.run([PYTHON, str(script)] + sys.argv[1:], cwd=ROOT, check=False)
        print()


if __name__ == "__main__":
    main()
