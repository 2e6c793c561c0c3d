"""PDF speed, side by side: `derive -f pdf` against `import sympy` plus one bare pdflatex run of the same
.tex, and a second `symderiv build` of the unchanged example sheet (served from the build cache).

Run: .venv/bin/python benchmarks/bench_pdf.py [--quick]
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


def main() -> None:
    if shutil.which("pdflatex") is None:
        print("PDF benchmarks skipped: pdflatex is not installed (make setup-tex).")
        return
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        cli = [PYTHON, "-m", "symderiv"]
        subprocess.run(cli + ["derive", "softmax-jacobian", "-f", "tex", "-o", str(work / "doc.tex")],
                       cwd=ROOT, check=True, capture_output=True)
        ours = wall(cli + ["derive", "softmax-jacobian", "-f", "pdf", "-o", str(work / "ours.pdf")], ROOT)
        sympy_import = wall([PYTHON, "-c", "import sympy"], ROOT)
        bare = wall(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], work)
        print(f"derive softmax-jacobian -f pdf         {ours:7.3f} s")
        print(f"import sympy + one bare pdflatex run   {sympy_import + bare:7.3f} s"
              f"  ({sympy_import:.3f} + {bare:.3f})")
        print(f"ratio (target <= 1.5)                  {ours / (sympy_import + bare):7.2f}\n")
        if SHEET.exists():
            build = cli + ["build", str(SHEET), "-o", str(work / "sheet")]
            start = time.perf_counter()
            done = subprocess.run(build, cwd=ROOT, capture_output=True, text=True, check=False)
            first = time.perf_counter() - start
            if done.returncode != 0:
                print(f"symderiv build failed, so it is not timed: {done.stderr.strip().splitlines()[-1]}")
                return
            second = wall(build, ROOT)
            print(f"symderiv build (first, empty cache)    {first:7.3f} s")
            print(f"symderiv build (unchanged sheet)       {second:7.3f} s  (target < 0.5 s)")


if __name__ == "__main__":
    main()
