"""The function corpus as typed: whole-process `derive --expr` times, against `import sympy`, with and without folds.

For every entry of symderiv/testing/function_corpus.py, `python -m symderiv derive --expr EXPR --wrt VAR` runs in a
fresh process (folded, then with --no-fold), interleaved with `python -c "import sympy"` in the same run. Reported:
the median over the corpus of each entry's median time, its ratio to the median `import sympy` (target ≤ 2.5×),
and what the textbook folds add (target ≤ 10%). Every run must exit 0 (verified).
Run: .venv/bin/python benchmarks/bench_functions.py [--quick]   (--quick: one run per entry instead of three)
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symderiv.testing.function_corpus import CORPUS  # noqa: E402

REPEATS = 1 if "--quick" in sys.argv else 3
TARGET_RATIO, TARGET_FOLD = 2.5, 0.10


def wall(command: list[str]) -> tuple[float, int, str]:
    """Wall time of one run of a command (standard output discarded), its exit code and the last line of stderr."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - start, done.returncode, (done.stderr.strip().splitlines() or [""])[-1]


def main() -> int:
    imports, folded, raw, failed = [], [], [], []
    for expr, wrt, _ in CORPUS:
        runs = {"import": [], "fold": [], "raw": []}
        for _ in range(REPEATS):
            runs["import"].append(wall([sys.executable, "-c", "import sympy"])[0])
            derive = [sys.executable, "-m", "symderiv", "derive", "--expr", expr, "--wrt", wrt]
            for key, command in (("fold", derive), ("raw", derive + ["--no-fold"])):
                elapsed, code, said = wall(command)
                runs[key].append(elapsed)
                if code != 0:
                    failed.append(f"{expr} by {wrt}{' (--no-fold)' * (key == 'raw')}: exit {code}: {said}")
        imports.append(statistics.median(runs["import"]))
        folded.append(statistics.median(runs["fold"]))
        raw.append(statistics.median(runs["raw"]))
    base, with_fold, without = (statistics.median(v) for v in (imports, folded, raw))
    added = with_fold / without - 1
    print(f"corpus: {len(CORPUS)} expressions, {REPEATS} run(s) each, medians over the corpus")
    print(f"python -c 'import sympy'     {base:6.3f} s")
    print(f"derive --expr (textbook)     {with_fold:6.3f} s   {with_fold / base:4.2f}× import   (target ≤ {TARGET_RATIO}×)")
    print(f"derive --expr --no-fold      {without:6.3f} s   {without / base:4.2f}× import")
    print(f"the folds add                {100 * added:5.1f} %          (target ≤ {100 * TARGET_FOLD:.0f} %)")
    slowest = sorted(zip(folded, CORPUS), reverse=True)[:3]
    print("slowest: " + "; ".join(f"{e} by {v} {t:.2f} s" for t, (e, v, _) in slowest))
    for line in failed:
        print(f"FAILED {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
