"""Roster builds, whole processes: `symderiv build examples/lecture-homework.toml --roster` for 30 students, first
(empty cache) and cached, against one build of the sheet alone and `python -c "import sympy"` in the same run, and
the first build pinned to one core (taskset) for the speed-up from using both.

Targets: a cached rebuild under 1 s; a first build no slower than 30 × one sheet ÷ 1.6.
Run: .venv/bin/python benchmarks/bench_roster.py [--quick]
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import wall  # the same timing as the main benchmark

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SHEET = ROOT / "examples" / "lecture-homework.toml"
STUDENTS = 30


def timed(command: list[str]) -> float:
    """Wall time of one run, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr.strip()[-400:]}")
    return time.perf_counter() - start


def main() -> None:
    if shutil.which("pdflatex") is None:
        print("roster benchmark skipped: pdflatex is not installed (make setup-tex).")
        return
    cli = [PYTHON, "-m", "symderiv", "build", str(SHEET)]
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        roster = work / "roster.csv"
        roster.write_text("id,name\n" + "".join(f"s{n:03d},Student {n}\n" for n in range(1, STUDENTS + 1)))
        sympy_import = wall([PYTHON, "-c", "import sympy"], ROOT)
        one_sheet = timed(cli + ["-o", str(work / "single"), "--no-cache"])
        first = timed(cli + ["--roster", str(roster), "-o", str(work / "both")])
        cached = wall(cli + ["--roster", str(roster), "-o", str(work / "both")], ROOT)
        pinned = None
        if shutil.which("taskset") and "--quick" not in sys.argv:
            pinned = timed(["taskset", "-c", "0"] + cli + ["--roster", str(roster), "-o", str(work / "one")])
    budget = STUDENTS * one_sheet / 1.6
    print(f"python -c 'import sympy'                         {sympy_import:7.3f} s")
    print(f"build, the sheet alone (no cache)                {one_sheet:7.3f} s")
    print(f"build --roster, {STUDENTS} students, first            {first:7.3f} s  "
          f"(target <= {STUDENTS} x sheet / 1.6 = {budget:.1f} s: {'met' if first <= budget else 'NOT met'})")
    print(f"build --roster, {STUDENTS} students, cached           {cached:7.3f} s  "
          f"(target < 1 s: {'met' if cached < 1 else 'NOT met'}; {cached / sympy_import:.2f} x import sympy)")
    if pinned is not None:
        print(f"build --roster, {STUDENTS} students, first, one core  {pinned:7.3f} s  "
              f"(both cores: {pinned / first:.2f}x faster)")


if __name__ == "__main__":
    main()
