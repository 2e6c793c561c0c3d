"""User-input speed: assert_sym_equal against `sympy.simplify(a - b) == 0`, and parsing 2,000-character expressions.

    .venv/bin/python benchmarks/bench_user.py            # prints both figures side by side
    from benchmarks.bench_user import bench; bench()     # the same figures as a dict

Pairs: for every catalog problem present and every part, each form of the result along the derivation
(derivatives and matrix forms excluded) against the result itself, with the named quantities unfolded
so that neither side can win by comparing names. Every call starts cold: sympy's cache and symderiv's
decision cache are cleared before each one, for both methods alike. Parsing is timed on three kinds
of 2,000-character sums with fresh names each time, next to sympy's own (unsafe) sympify of the same
kind of text, which shows how much of the time is sympy building the expression.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sympy as sp  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402
from sympy.matrices.expressions.matexpr import MatrixElement  # noqa: E402

TARGET_SPEEDUP = 10
TARGET_PARSE_MS = 50
PARSE_CHARS = 2000
EXPRESSIONS = {  # one term each, repeated with fresh names up to PARSE_CHARS characters
    "network": "sigmoid(w{n}*x + b{n})*exp(-(x - c{n})**2/2) - log(1 + exp(-d{n}*y))*tanh(u{n}*z) + ",
    "polynomial": "a{n}*x**3 - b{n}*x**2/2 + c{n}*x*y - 7*d{n} + ",
    "quotients": "log(1 + exp(-d{n}*y))/(2 + tanh(u{n}*z)) + ",
}


def catalog_pairs() -> list[tuple[str, sp.Expr, sp.Expr]]:
    """(label, earlier form, result) for every part of every catalog problem, named quantities unfolded."""
    from symderiv import catalog
    from symderiv.model.definitions import unfold

    pairs = []
    for name in catalog.names():
        solution = catalog.solve(name)
        for part in solution.parts:
            d = part.derivation
            forms = [f for f in (d.lhs, *(s.rhs for s in d.steps)) if not f.has(sp.Derivative, MatrixElement, sp.Piecewise)]
            if not forms:
                continue
            result = unfold(forms[-1], solution.definitions)
            for n, form in enumerate(forms[:-1]):
                pairs.append((f"{name}/{part.id}/{n}", unfold(form, solution.definitions), result))
    return pairs


def long_expression(kind: str = "network", chars: int = PARSE_CHARS, start: int = 0) -> str:
    """A sum of terms of one kind, about `chars` characters long, its names numbered from `start`."""
    term, text, n = EXPRESSIONS[kind], "", start
    while len(text) + len(term.format(n=n)) < chars:
        text += term.format(n=n)
        n += 1
    return text + "1"


def parse_times(kind: str, repeats: int = 5) -> tuple[int, float, float]:
    """Characters, and median seconds to parse with symderiv and with sympify; fresh names each time, so no cache hits."""
    from symderiv.model.functions import sigmoid
    from symderiv.read.parse import parse_expr

    ours, theirs = [], []
    for repeat in range(repeats):
        text = long_expression(kind, start=1000 * (2 * repeat + 1))
        start = time.perf_counter()
        parse_expr(text)
        ours.append(time.perf_counter() - start)
        text = long_expression(kind, start=1000 * (2 * repeat + 2))
        start = time.perf_counter()
        sp.sympify(text, locals={"sigmoid": sigmoid})
        theirs.append(time.perf_counter() - start)
    return len(text), statistics.median(ours), statistics.median(theirs)


def _cold(call, repeats: int) -> list[float]:
    from symderiv.check import verify

    times = []
    for _ in range(repeats):
        clear_cache()
        getattr(verify, "_decide", None) and verify._decide.cache_clear()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def _simplify_zero(a, b):
    try:
        return sp.simplify(a - b) == 0
    except Exception as error:  # noqa: BLE001 - sympy issue 14570 and friends: record, don't stop
        return f"error: {type(error).__name__}"


def bench(repeats: int = 5) -> dict:
    """Median seconds per call for both methods on every pair, and the parse time of a long expression."""
    from symderiv.testing import assert_sym_equal

    rows = []
    for label, a, b in catalog_pairs():
        ours = statistics.median(_cold(lambda: assert_sym_equal(a, b), repeats))
        theirs = statistics.median(_cold(lambda: _simplify_zero(a, b), repeats))
        rows.append({"pair": label, "assert_sym_equal": ours, "simplify": theirs,
                     "method": assert_sym_equal(a, b).method, "simplify_says": _simplify_zero(a, b)})
    ours = statistics.median(r["assert_sym_equal"] for r in rows) if rows else float("nan")
    theirs = statistics.median(r["simplify"] for r in rows) if rows else float("nan")
    parse = {kind: dict(zip(("chars", "parse_expr", "sympify"), parse_times(kind, max(repeats, 5)))) for kind in EXPRESSIONS}
    return {"pairs": rows, "assert_sym_equal_median": ours, "simplify_median": theirs,
            "speedup": theirs / ours if rows else float("nan"), "parse": parse}


def main() -> int:
    figures = bench()
    print(f"{'pair':<36} {'assert_sym_equal':>17} {'simplify(a-b)==0':>17} {'speedup':>8}  method")
    for row in figures["pairs"]:
        print(f"{row['pair']:<36} {row['assert_sym_equal'] * 1e3:>14.2f} ms {row['simplify'] * 1e3:>14.2f} ms "
              f"{row['simplify'] / row['assert_sym_equal']:>7.1f}x  {row['method']} (simplify: {row['simplify_says']})")
    speedup = figures["speedup"]
    print(f"\nmedian per call: assert_sym_equal {figures['assert_sym_equal_median'] * 1e3:.2f} ms, "
          f"simplify(a - b) == 0 {figures['simplify_median'] * 1e3:.2f} ms: {speedup:.1f}x faster "
          f"(target >= {TARGET_SPEEDUP}x: {'met' if speedup >= TARGET_SPEEDUP else 'NOT met'})")
    print(f"\n{'parse (fresh names)':<22} {'chars':>6} {'parse_expr':>12} {'sympify':>12}  target < {TARGET_PARSE_MS} ms")
    for kind, row in figures["parse"].items():
        ms = row["parse_expr"] * 1e3
        print(f"{kind:<22} {row['chars']:>6} {ms:>9.1f} ms {row['sympify'] * 1e3:>9.1f} ms  "
              f"{'met' if ms < TARGET_PARSE_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
