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


CASES = [pytest.param(*c, id=f"{n}:{c[1]}") for n, c in enumerate(CORPUS)]


@pytest.mark.parametrize("expr, wrt, defines", CASES)
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


# --- mutation: every step of the new rules' derivations can fail -------------------------------------------------
from mutation import mutate, step_at, step_paths  # noqa: E402
from symderiv.check.verify import decide, verify  # noqa: E402

MUTATED = [CORPUS[n] for n in (9, 11, 20, 35, 37)]  # quadratic form, bilinear form, attention, layer via y, batch


@pytest.mark.parametrize("expr, wrt, defines", MUTATED, ids=[c[1] + ":" + c[0][:20] for c in MUTATED])
def test_a_flipped_sign_in_any_step_is_rejected_there(expr, wrt, defines):
    derived = derive_expression(expr, wrt, defines)
    tree, definitions = derived.derivation, derived.solution.definitions
    rejected = 0
    for path, _, _ in step_paths(tree):
        original = step_at(tree, path).rhs
        if sp.expand(2 * original) == 0:
            continue
        checked = verify(mutate(tree, path, lambda e: -e), definitions)
        assert step_at(checked, path).check.ok is False, (path, step_at(checked, path).check)
        assert not checked.verified
        rejected += 1
    assert rejected >= 3


# --- soundness: near misses over several sizes, tensors and nested sums are rejected, never accepted --------------
NEAR_MISSES = [
    ("Sum(Sum(W[i,j]*x[j], (j,1,M))*KroneckerDelta(i,a), (i,1,N))", "Sum(W[j,a]*x[j], (j,1,M))"),  # transpose
    ("Sum(W[i,k]*d[i], (i,1,N))", "Sum(W[k,i]*d[i], (i,1,N))"),  # Wᵀd for Wd
    ("Sum(x[j]*KroneckerDelta(j,k), (j,1,M))", "Sum(x[j]*KroneckerDelta(j,k), (j,1,N))"),  # M for N
    ("Sum(x[j], (j,1,M))", "Sum(x[j], (j,1,N))"),  # M for N
    ("Sum(x[j], (j,1,N-1))", "Sum(x[j], (j,1,N))"),  # off by one
    ("Sum(x[j]*x[j+1], (j,1,N-1))", "Sum(x[j]*x[j+1], (j,1,N))"),  # off by one
    ("Sum(1, (j,1,M))", "N"),
    ("Sum(Sum(A[i,j]*x[i]*y[j], (j,1,N)), (i,1,N))", "Sum(Sum(A[i,j]*x[j]*y[i], (j,1,N)), (i,1,N))"),  # Aᵀ
    ("Sum(Sum(W[i,j]*x[j], (j,1,M))**2, (i,1,N))", "Sum(Sum(W[i,j]**2*x[j]**2, (j,1,M)), (i,1,N))"),
    ("Sum(Sum(W[i,j]*KroneckerDelta(j,c), (j,1,M))*KroneckerDelta(i,a), (i,1,N))", "W[c,a]"),  # transpose
    ("Sum(Sum(A[i,j]*KroneckerDelta(i,j), (j,1,N)), (i,1,N))", "Sum(A[i,i], (i,1,N)) + 1"),
    ("Sum(tanh(Sum(W[i,j]*x[j], (j,1,M))), (i,1,N))", "Sum(tanh(Sum(W[j,i]*x[j], (j,1,M))), (i,1,N))"),
]


@pytest.mark.parametrize("left, right", NEAR_MISSES)
def test_a_near_miss_is_never_accepted(left, right):
    a = parse_expr(left)
    b = parse_expr(right)
    names = {str(s): s for s in a.free_symbols | b.free_symbols if s.is_positive}
    a, b = (e.xreplace({s: names[str(s)] for s in e.free_symbols if str(s) in names}) for e in (a, b))
    check = decide(a, b)
    assert check.ok is not True, check


@pytest.mark.parametrize("left, right", NEAR_MISSES[:7] + NEAR_MISSES[9:11])
def test_a_near_miss_is_refuted_with_a_counterexample(left, right):
    a, b = parse_expr(left), parse_expr(right)
    names = {str(s): s for s in a.free_symbols | b.free_symbols if s.is_positive}
    a, b = (e.xreplace({s: names[str(s)] for s in e.free_symbols if str(s) in names}) for e in (a, b))
    check = decide(a, b)
    assert check.ok is False and "at " in check.detail, check


TRUE_IDENTITIES = [
    ("Sum(Sum(W[i,j]*x[j], (j,1,M))*KroneckerDelta(i,a), (i,1,N))", "Sum(W[a,j]*x[j], (j,1,M))"),
    ("Sum(x[j]*KroneckerDelta(j,k), (j,1,M))", "x[k]"),
    ("Sum(1, (j,1,M))", "M"),
    ("Sum(Sum(W[i,j]*KroneckerDelta(j,c), (j,1,M))*KroneckerDelta(i,a), (i,1,N))", "W[a,c]"),
    ("Sum(Sum(A[i,j]*KroneckerDelta(i,j), (j,1,N)), (i,1,N))", "Sum(A[i,i], (i,1,N))"),
]


@pytest.mark.parametrize("left, right", TRUE_IDENTITIES)
def test_true_identities_over_several_sizes_are_proved(left, right):
    a, b = parse_expr(left), parse_expr(right)
    names = {str(s): s for s in a.free_symbols | b.free_symbols if s.is_positive}
    a, b = (e.xreplace({s: names[str(s)] for s in e.free_symbols if str(s) in names}) for e in (a, b))
    check = decide(a, b)
    assert check.ok is True and check.method in {"index", "exact", "structural"}, check


def test_an_indexed_definition_does_not_capture_a_summation_index():
    derived = derive_expression("Sum(v[i]*h[i], (i,1,N))", "W[a,c]", ["h[i] = sigmoid(Sum(W[i,j]*x[j], (j,1,M)))"])
    assert derived.derivation.verified
    h = derived.solution.definitions[0]
    j = next(s for s in h.expr.free_symbols | {l[0] for s in h.expr.atoms(sp.Sum) for l in s.limits} if str(s) == "j")
    assert h.at({h.params[0]: j}).has(sp.Indexed("W", j, sp.Symbol("j", integer=True))) is False
