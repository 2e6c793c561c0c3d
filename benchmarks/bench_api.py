"""The Python API and the emitted gradient code, side by side in one run:
`import symderiv` against `import sympy` (whole processes), and the emitted numpy grad of softmax-jacobian at
N = 1000 against the hand-written np.diag(s) - np.outer(s, s) (per call, and as whole processes).

The emitted module does not depend on N (it reads N from its input), so it is generated once without -p
(`-p n` only adds the explicit matrix, for n up to 64) and called on a vector of length 1000.

Run: .venv/bin/python benchmarks/bench_api.py [--quick]
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from run import wall  # the same timing as the main benchmark

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
N = 1000
HAND = '''import numpy as np


def grad(x):
    s = np.exp(x) / np.sum(np.exp(x))
    return np.diag(s) - np.outer(s, s)
'''
CALL = f'''
import numpy as np, sys, timeit
sys.path.insert(0, sys.argv[1])
module = __import__(sys.argv[2])
x = np.random.default_rng(0).normal(size={N})
number = 200
print(min(timeit.repeat(lambda: module.grad(x), number=number, repeat=7)) / number)
'''
WHOLE = f"import sys; sys.path.insert(0, sys.argv[1]); import numpy as np; m = __import__(sys.argv[2]); m.grad(np.ones({N}))"


def per_call(folder: Path, name: str) -> float:
    done = subprocess.run([PYTHON, "-c", CALL, str(folder), name], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def main() -> None:
    ours = wall([PYTHON, "-c", "import symderiv"])
    sympy_import = wall([PYTHON, "-c", "import sympy"])
    api = wall([PYTHON, "-c", "import symderiv; symderiv.verify"])
    print(f"python -c 'import symderiv'                 {ours:7.3f} s")
    print(f"python -c 'import symderiv; symderiv.verify' {api:6.3f} s  (the API itself: sympy, the checker)")
    print(f"python -c 'import sympy'                    {sympy_import:7.3f} s")
    print(f"ratio import symderiv / import sympy         {ours / sympy_import:6.2f}  (target <= 1.15)\n")
    try:
        import numpy  # noqa: F401
    except ImportError:
        print("gradient code not timed: numpy is not installed (pip install 'symderiv[numpy]').")
        return
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        subprocess.run([PYTHON, "-m", "symderiv", "derive", "softmax-jacobian", "-f", "numpy", "-o",
                        str(work / "emitted.py")], cwd=ROOT, check=True, capture_output=True)
        (work / "hand.py").write_text(HAND)
        emitted, hand = per_call(work, "emitted"), per_call(work, "hand")
        print(f"grad of softmax at N = {N}, per call (best of 7 x 200 calls)")
        print(f"  emitted by symderiv -f numpy    {emitted * 1e3:8.3f} ms")
        print(f"  np.diag(s) - np.outer(s, s)     {hand * 1e3:8.3f} ms")
        print(f"  ratio (target <= 1.2)           {emitted / hand:8.2f}")
        whole_emitted = wall([PYTHON, "-c", WHOLE, str(work), "emitted"])
        whole_hand = wall([PYTHON, "-c", WHOLE, str(work), "hand"])
        print(f"  whole process, emitted          {whole_emitted:8.3f} s")
        print(f"  whole process, by hand          {whole_hand:8.3f} s")
        print(f"  ratio                           {whole_emitted / whole_hand:8.2f}")


if __name__ == "__main__":
    main()
