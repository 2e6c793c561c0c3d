"""General index calculus: derivatives by named quantities holding sums, tensors, several bounds, nested sums."""
import pytest

from symderiv.read.answers import derive_expression


@pytest.mark.parametrize("outer", ["exp", "tanh", "sigmoid"])
@pytest.mark.parametrize("other", ["u[j]*x[j]", "w[j]*u[j]"])
def test_two_named_quantities_holding_sums_derive_verified(outer, other):
    defines = [f"h1 = {outer}(Sum(w[j]*x[j], (j,1,N)))", f"h2 = {outer}(Sum({other}, (j,1,N)))"]
    derived = derive_expression("h1 + h2", "w[k]", defines)
    assert derived.derivation.verified
    assert "unknown" not in derived.derivation.rules()


# --- a corpus of index and matrix derivatives, each verified and equal to sympy on the written-out form ----------
import random  # noqa: E402

import sympy as sp  # noqa: E402

from index_corpus import CORPUS  # noqa: E402
from symderiv.model.definitions import unfold  # noqa: E402
from symderiv.read.parse import parse_expr  # noqa: E402

SIZES = [{"N": 2, "M": 3, "B": 2}, {"N": 3, "M": 2, "B": 3}]


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 40


def written_out(expr: sp.Expr, sizes: dict) -> sp.Expr:
    """Sizes put in, sums written out term by term."""
    concrete = expr.xreplace({s: sizes[s.name] for s in expr.free_symbols if s.name in sizes and s.is_positive})
    return concrete.replace(lambda n: isinstance(n, sp.Sum), lambda n: n.doit()).doit()


def numbers(expr: sp.Expr, rng: random.Random) -> dict:
    """A random value in [0.2, 0.9] for every component and scalar of `expr`."""
    atoms = expr.atoms(sp.Indexed) | {s for s in expr.free_symbols if not s.is_integer}
    return {a: sp.Rational(rng.randint(200, 900), 1000) for a in atoms}


@pytest.mark.parametrize("expr, wrt, defines", CORPUS, ids=[f"{n}:{c[1]}" for n, c in enumerate(CORPUS)])
def test_corpus_derives_verified_and_equals_sympy_on_the_written_out_form(expr, wrt, defines):
    derived = derive_expression(expr, wrt, defines)
    derivation = derived.derivation
    assert derivation.verified, [s.check.detail for _, _, s in derivation.failures()]
    assert "unknown" not in derivation.rules()
    definitions = derived.solution.definitions
    question, variable = unfold(derivation.lhs.expr, definitions), derivation.lhs.variables[0]
    result = unfold(derivation.result, definitions)
    rng = random.Random(7)
    for sizes in SIZES:
        free = sorted({s for s in variable.free_symbols | result.free_symbols | question.free_symbols
                       if isinstance(s, sp.Symbol) and s.is_integer and not s.is_positive}, key=str)
        for values in ({s: 1 for s in free}, {s: 2 for s in free}):
            at = {s: sp.Integer(v) for s, v in values.items()}
            want = sp.diff(written_out(question.xreplace(at), sizes), written_out(variable.xreplace(at), sizes))
            got = written_out(result.xreplace(at), sizes)
            point = numbers(want + got, rng)
            difference = (want - got).xreplace(point).evalf(30)
            assert abs(difference) < 1e-20, (sizes, at, want, got)
