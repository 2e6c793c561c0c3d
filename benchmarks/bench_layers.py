"""backprop at the largest documented settings: whole-process times of the command as typed, against `import sympy`.

Each row runs `python -m symderiv derive backprop -p layers=L [-p SETTING]` in a fresh process, side by side with
`python -c "import sympy"` in the same run, and reports both the time and the ratio to `import sympy`; the last
column is t(L)/t(16), which linear growth keeps near L/16. With --split, one extra in-process run per row shows
where the time goes (planner, checker, rendering).
Run: .venv/bin/python benchmarks/bench_layers.py [--quick] [--split]
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CLI, SYMPY, side_by_side  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 1 if "--quick" in sys.argv else 3
LAYERS = (16, 32, 64)
SETTINGS = ((), ("-p", "loss=bce"), ("-p", "activation=tanh"), ("-p", "activation=relu"))
SPLIT = """
import sys, time
from symderiv.catalog import backprop
from symderiv.output import render
spent, verify = [0.0], backprop.verify
def timed(*args):
    start = time.perf_counter(); result = verify(*args); spent[0] += time.perf_counter() - start; return result
backprop.verify = timed
params = {"layers": int(sys.argv[1]), "activation": "sigmoid", "loss": "mse"}
params.update(arg.split("=") for arg in sys.argv[2:])
start = time.perf_counter(); solution = backprop.solve(params); solved = time.perf_counter() - start
start = time.perf_counter(); render.render(render.solution_data(solution), "text"); shown = time.perf_counter() - start
print(f"{solved - spent[0]:.2f} {spent[0]:.2f} {shown:.2f}")
"""


def main() -> None:
    import_sympy, sympy_cpu, _ = side_by_side([SYMPY], repeats=REPEATS)[0]
    print(f"python -c 'import sympy': {import_sympy:.3f} s wall, {sympy_cpu:.3f} s CPU (in this run; ratios are "
          f"against the wall time)\n")
    header = (f"{'setting':<18} {'L':>3} {'wall':>8} {'cpu':>8} {'/ import':>9} {'t(L)/t(16)':>11} "
              f"{'cpu(L)/cpu(16)':>15} {'exit':>5}")
    print(header + ("   planner  checker  render" if "--split" in sys.argv else ""))
    for setting in SETTINGS:
        base = base_cpu = None
        for layers in LAYERS:
            elapsed, cpu, code = side_by_side([CLI + ["derive", "backprop", "-p", f"layers={layers}", *setting]],
                                              repeats=REPEATS)[0]
            base, base_cpu = base or elapsed, base_cpu or cpu
            line = (f"{' '.join(setting[1::2]) or 'default':<18} {layers:>3} {elapsed:7.2f}s {cpu:7.2f}s "
                    f"{elapsed / import_sympy:9.1f} {elapsed / base:11.2f} {cpu / base_cpu:15.2f} {code:>5}")
            if "--split" in sys.argv:
                out = subprocess.run([sys.executable, "-c", SPLIT, str(layers), *setting[1::2]], cwd=ROOT,
                                     capture_output=True, text=True).stdout.split()
                line += "  " + "  ".join(f"{float(t):7.2f}s" for t in out) if len(out) == 3 else "  (split failed)"
            print(line, flush=True)
    print(f"\nlinear growth: t(32)/t(16) near 2 and t(64)/t(16) near 4")


if __name__ == "__main__":
    main()
