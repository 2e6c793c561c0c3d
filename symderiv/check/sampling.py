"""The one numeric oracle: seeded random points at many scales and in every sign orthant, at rising precisions.

Evidence, never proof: a link decided here is shown as ✓ numeric. At each point the residual left − right is
computed at LOW and HIGH digits (then TOP): rounding noise shrinks as the precision grows, a real difference
stays put. A point where the residual neither shrinks nor stays put is skipped; so is a point where a side is
out of range (e^(10⁶)). A point where one side is defined and the other is not is a difference. Differences
smaller than about 10^(−LOW−30) of the terms being cancelled are below what this oracle resolves.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import mpmath
import sympy as sp

from symderiv.model.functions import Activation, relu, sigmoid

LOW, HIGH, TOP = 60, 120, 240  # working precisions, in decimal digits
AGREEING = 12  # points that must agree before the sides are taken as equal
ORTHANT_VARIABLES = 6  # up to this many variables every sign orthant is visited
MAX_POINTS = 160
MAGNITUDES = (-3, 3)  # decimal exponents of the sample magnitudes
EXP_LIMIT = 10**5  # e^u with |u| above this is out of range: the point is skipped
SEED = 20240517


class Undefined(ValueError):
    """The expression has no real value at this point (a logarithm of a negative number, a division by 0)."""


class OutOfRange(Undefined):
    """The expression's value at this point is too large to compute (e^(10⁶)): the point is skipped."""


@dataclass(frozen=True)
class Witness:
    """A point where the two sides differ, with both values."""

    point: tuple[tuple[sp.Basic, sp.Expr], ...]
    left: sp.Expr
    right: sp.Expr


@dataclass(frozen=True)
class Evidence:
    """The oracle's verdict: ok True (every point agreed), False (a witness), None (too few defined points)."""

    ok: bool | None
    agreed: int = 0
    witness: Witness | None = None

    @property
    def detail(self) -> str:
        if self.ok is None:
            return "too few points where both sides are defined"
        if self.ok:
            return (f"{self.agreed} seeded random points, magnitudes 1e-3 to 1e3 in every sign orthant, "
                    f"{LOW} and {HIGH} digits")
        return describe(self.witness)


def compare(left: sp.Expr, right: sp.Expr, *, seed: int = SEED, fixed: dict | None = None,
            conditions: tuple = ()) -> Evidence:
    """Whether left = right at seeded random points where the `conditions` hold (see the module docstring);
    `fixed` values are kept. A point where one side is defined and the other is not is a difference."""
    fixed = dict(fixed or {})
    left, right = sp.sympify(left), sp.sympify(right)
    difference = left - right
    variables = sorted((variables_of(left) | variables_of(right)) - set(fixed), key=sp.default_sort_key)
    randoms = sample_points(variables, seed)
    first = next(randoms)
    special = switch_points(_switches(difference), first) + boundary_points(variables, first)
    agreed, wanted = 0, needed(len(variables)) + len(special)
    for count, point in enumerate(itertools.chain([first], special, randoms)):
        point = {**fixed, **point}
        if count > MAX_POINTS + len(special):
            break
        if not all(_holds(condition, point) for condition in conditions):
            continue
        try:
            same = agrees(difference, point)
        except FAILURES:
            defined = _defined(left, point), _defined(right, point)
            if None in defined or defined[0] == defined[1]:
                continue
            plain = _plainer(point, lambda p: None not in (d := (_defined(left, p), _defined(right, p))) and d[0] != d[1])
            return Evidence(ok=False, witness=_one_sided(left, right, plain))  # they differ in domain
        if same is False:
            return Evidence(ok=False, witness=_witness(left, right, difference, point))
        if same is None:
            continue  # neither shrinking nor stable up to TOP digits
        agreed += 1
        if agreed >= wanted or not variables:
            return Evidence(ok=True, agreed=agreed)
    return Evidence(ok=None, agreed=agreed)


FAILURES = (Undefined, ZeroDivisionError, OverflowError, ValueError, TypeError)


def _defined(expr: sp.Expr, point: dict) -> bool | None:
    """Whether `expr` has a real value at `point`: False only for a domain error that persists at TOP digits
    (a logarithm of a negative number); None when out of range or divided by a zero that rounding made."""
    for digits in (LOW, TOP):
        try:
            evaluate(expr, point, digits)
            return True
        except (OutOfRange, ZeroDivisionError):
            return None
        except Undefined:
            continue  # a domain error: is it still one at TOP digits?
        except FAILURES:
            return None
    return False


def _holds(condition, point: dict) -> bool:
    """Whether a recorded condition (x > 0, z ≠ 0) holds at the point; conditions on other things count as held."""
    if not isinstance(condition, sp.Basic) or not condition.free_symbols <= set(point):
        return True
    try:
        return _Evaluator(point, LOW).truth(condition)
    except FAILURES:
        return True


def _one_sided(left: sp.Expr, right: sp.Expr, point: dict) -> Witness:
    """A point where exactly one side has a real value; the other is shown as nan."""
    values = []
    for side in (left, right):
        try:
            values.append(sp.Float(evaluate(side, point, HIGH), 30))
        except FAILURES:
            values.append(sp.nan)
    ordered = tuple(sorted(point.items(), key=lambda kv: sp.default_sort_key(kv[0])))
    return Witness(point=ordered, left=values[0], right=values[1])


def needed(count: int) -> int:
    """Agreeing points needed for `count` variables: one per sign orthant up to six, else AGREEING."""
    return max(AGREEING, 2**count if count <= ORTHANT_VARIABLES else AGREEING)


def agrees(difference: sp.Expr, point: dict) -> bool | None:
    """Whether the residual of `difference` at `point` is rounding noise (True), a real difference (False),
    or unclear (None); see is_noise."""
    def residual(digits):
        with mpmath.workdps(digits):
            evaluator = _Evaluator(point, digits)
            value = evaluator.value(difference)
            size = max(abs(evaluator.value(term)) for term in sp.Add.make_args(difference))
            return value, evaluator.errors[difference], size

    return is_noise(residual)


SAFETY = 10  # a residual larger than SAFETY times its rounding-error bound is a real difference


def is_noise(residual) -> bool | None:
    """`residual(digits)` is (left − right, a bound on its rounding error, the size of what it cancels) at that
    working precision. A residual beyond SAFETY times its error bound is a real difference (False). One within
    it is agreement (True) from HIGH digits on, when the bound is below 10^(−digits/2) of the sizes involved
    (at least 1); otherwise the precision rises, up to TOP (then None: this point cannot tell)."""
    for digits in (LOW, HIGH, TOP):
        value, error, size = residual(digits)
        with mpmath.workdps(digits):
            if abs(value) > SAFETY * error:
                return False
            if digits >= HIGH and error <= mpmath.mpf(10) ** (-digits // 2) * max(1, size):
                return True
    return None


def sample_points(variables: list, seed: int = SEED):
    """Seeded points: signs through every orthant (beyond six variables: all positive, all negative, then at
    random), magnitudes 10^u with u in [−3, 3], each point within two decades of its own random scale; integers
    from 1 to about 10⁴."""
    rng = random.Random(f"{seed}:{len(variables)}")
    if len(variables) <= ORTHANT_VARIABLES:
        orthants = list(range(2 ** len(variables)))
        rng.shuffle(orthants)
    else:
        everything = 2 ** len(variables) - 1
        orthants = [0, everything]
    for n in range(MAX_POINTS + 1):
        signs = orthants[n % len(orthants)] if n < len(orthants) or len(variables) <= ORTHANT_VARIABLES \
            else rng.getrandbits(len(variables))
        scale = rng.uniform(*MAGNITUDES)  # each point at its own scale: all small, all large, or between
        yield {v: _value(v, rng, (signs >> m) & 1, scale) for m, v in enumerate(variables)}


def _value(variable: sp.Basic, rng: random.Random, negative: int, scale: float = 0.0) -> sp.Rational:
    """A random number with three significant digits within a decade of 10^scale; a whole number for integers."""
    nonnegative = getattr(variable, "is_nonnegative", False)
    if getattr(variable, "is_integer", False):
        low = 0 if nonnegative and not variable.is_positive else 1
        r = rng.random()
        return sp.Integer(rng.randint(low, 12) if r < 0.5 else rng.randint(13, 100) if r < 0.8
                          else int(10 ** rng.uniform(2, 4)))
    if nonnegative and not getattr(variable, "is_positive", False) and rng.random() < 0.25:
        return sp.S.Zero  # a rest of a sum, or any nonnegative quantity, may be empty
    exponent = min(max(scale + rng.uniform(-1, 1), MAGNITUDES[0]), MAGNITUDES[1])
    magnitude = sp.Rational(f"{10 ** exponent:.3g}")
    return magnitude if negative == 0 or nonnegative else -magnitude


def _switches(expr: sp.Expr) -> list:
    """The arguments at which `expr` switches branch: of Heaviside, sign, |·|, relu, Max/Min, Piecewise conditions."""
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Heaviside, sp.sign, sp.Abs, relu)):
            found.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)) and len(node.args) == 2:
            found.append(node.args[0] - node.args[1])
        elif isinstance(node, sp.Piecewise):
            found += [c.lhs - c.rhs for _, c in node.args if isinstance(c, sp.core.relational.Relational)]
    return list(dict.fromkeys(s for s in found if variables_of(s)))


def boundary_points(variables: list, base: dict) -> list:
    """`base` with each nonnegative variable at 0 in turn, then all of them at once: an empty rest of a sum,
    a zero gap between two indices."""
    zero = [v for v in variables if getattr(v, "is_nonnegative", False) and not getattr(v, "is_positive", False)]
    points = [{**base, v: sp.S.Zero} for v in zero]
    return points + ([{**base, **{v: sp.S.Zero for v in zero}}] if len(zero) > 1 else [])


SCAN = [sp.Integer(0)] + [sign * sp.Rational(f"{10 ** (u / 4):.3g}") for u in range(-36, 49) for sign in (1, -1)]
MAX_SCANNED = 12  # switches scanned for zeros along each variable; more are sampled only through the orthants


def switch_points(switches: list, base: dict) -> list:
    """Points of `base` moved along one variable into each interval cut by the zeros of the switch arguments
    (found exactly when linear, else by a sign scan of ±10^(−9…12) and bisection), and beyond the outermost."""
    points = []
    real = sorted({v for s in switches for v in variables_of(s) if v in base and not getattr(v, "is_integer", False)},
                  key=sp.default_sort_key)
    for variable in real:
        others = {v: value for v, value in base.items() if v != variable}
        roots = sorted({r for s in switches[:MAX_SCANNED] if variable in variables_of(s)
                        for r in _zeros(s.xreplace(others), variable)})
        if not roots:
            continue
        outer = [roots[0] - (1 + abs(roots[0])) / 7, roots[-1] + (1 + abs(roots[-1])) / 7]
        inside = [(a + b) / 2 for a, b in zip(roots, roots[1:])]
        points += [{**base, variable: value} for value in [outer[0], *inside, outer[1]]
                   if value >= 0 or not getattr(variable, "is_nonnegative", False)]
    return points


def _zeros(expr: sp.Expr, variable) -> list:
    """Real zeros of a function of one variable: exact for a linear one, else sign changes on SCAN, bisected."""
    slope = sp.diff(expr, variable)
    if slope != 0 and not slope.free_symbols & {variable} and not variables_of(slope):
        root = -expr.xreplace({variable: sp.S.Zero}) / slope
        return [_rational(root)] if root.is_number and root.is_real else []
    values = []
    for x in sorted(set(SCAN)):
        try:
            values.append((x, evaluate(expr, {variable: x}, 30)))
        except FAILURES:
            continue
    zeros = []
    for (a, fa), (b, fb) in zip(values, values[1:]):
        if fa == 0:
            zeros.append(a)
        elif fa * fb < 0:
            zeros.append(_bisect(expr, variable, a, b, fa))
    return zeros


def _bisect(expr, variable, a, b, fa):
    for _ in range(60):
        middle = (a + b) / 2
        try:
            value = evaluate(expr, {variable: middle}, 30)
        except FAILURES:
            break
        if value == 0:
            return middle
        a, b, fa = (middle, b, value) if value * fa > 0 else (a, middle, fa)
    return _rational((a + b) / 2)


def _rational(value: sp.Expr) -> sp.Rational:
    return value if value.is_Rational else sp.Rational(str(sp.N(value, 20)))


def variables_of(expr: sp.Expr) -> set:
    """The free symbols and components x[1] of `expr`, without the labels of its vectors or bound indices."""
    labels = {node.base.label for node in expr.atoms(sp.Indexed)}
    bound = {limit[0] for node in expr.atoms(sp.Sum) for limit in node.limits}
    return {s for s in expr.free_symbols if isinstance(s, (sp.Symbol, sp.Indexed)) and s not in labels
            and not (isinstance(s, sp.Indexed) and s.free_symbols & bound)}


# --- evaluation at a fixed working precision ---------------------------------------------------------------

def evaluate(expr: sp.Expr, point: dict, digits: int) -> mpmath.mpf:
    """The real value of `expr` at `point`, computed at `digits` working digits; Undefined if it has none."""
    with mpmath.workdps(digits):
        return _Evaluator(point, digits).value(expr)


def evaluate_tracked(expr: sp.Expr, point: dict, digits: int) -> tuple:
    """The value of `expr` at `point` at `digits` working digits, and a bound on its rounding error."""
    with mpmath.workdps(digits):
        evaluator = _Evaluator(point, digits)
        return evaluator.value(expr), evaluator.errors[expr]


class Unclear(OutOfRange):
    """Rounding error could put the argument of a switch (relu, |·|, a case) on either side: skip the point."""


def rounding_error(kind, args, errors, result, digits: int):
    """A first-order bound on the absolute rounding error of kind(*args) = result, from the errors of its
    arguments and one rounding at `digits` digits."""
    eps = mpmath.mpf(10) ** (1 - digits)
    own = eps * abs(result)
    if kind is sp.Add:
        return mpmath.fsum(errors) + own
    if kind is sp.Mul:  # |Π(a + δ) − Π a| ≤ Π(|a| + e) − Π|a|, also when several factors are 0
        return mpmath.fprod(abs(a) + e for a, e in zip(args, errors)) - mpmath.fprod(abs(a) for a in args) + own
    if kind is sp.Pow:
        (base, exponent), (e_base, e_exponent) = args, errors
        if base == 0:
            return e_base ** exponent if exponent > 0 and e_base else own
        spread = abs(exponent) * e_base / abs(base) + (abs(mpmath.log(abs(base))) * e_exponent if e_exponent else 0)
        return abs(result) * spread + own
    slope = SLOPES.get(kind)
    if slope is not None:  # one argument (Heaviside's second is its constant value at 0)
        u, e = args[0], errors[0]
        if kind in SWITCHING and e and abs(u) <= e:
            raise Unclear("rounding could put this argument on either side of its switch")
        return abs(slope(u, result)) * e + own
    if kind in (sp.Max, sp.Min):
        return max(errors) + own
    if any(errors):
        raise Unclear(f"no error bound for {kind}")
    return own


class _Evaluator:
    def __init__(self, point: dict, digits: int):
        self.point, self.digits, self.memo = point, digits, {}
        self.errors: dict = {}  # a bound on the absolute rounding error of each node's value

    def value(self, expr: sp.Basic):
        if expr not in self.memo:
            self.memo[expr] = self._value(expr)
            self.errors.setdefault(expr, mpmath.mpf(10) ** (1 - self.digits) * abs(self.memo[expr]))
        return self.memo[expr]

    def _value(self, expr: sp.Basic):
        if expr in self.point:
            return _mpf_of(self.point[expr], self.digits)
        if expr.is_Number or expr in (sp.pi, sp.E):
            if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                raise Undefined(f"{expr} is not a real number")
            return _mpf_of(expr, self.digits)
        if isinstance(expr, (sp.Symbol, sp.Indexed)):
            raise Undefined(f"no value for {expr}")
        if isinstance(expr, sp.Piecewise):
            for value, condition in expr.args:
                if self.truth(condition):
                    result = self.value(value)
                    self.errors[expr] = self.errors[value]
                    return result
            raise Undefined("no piece of the Piecewise applies")
        if isinstance(expr, Activation):  # through its elementary definition, with that definition's error bound
            definition = type(expr).definition(*expr.args)
            result = self.value(definition)
            self.errors[expr] = self.errors[definition]
            return result
        if isinstance(expr, sp.KroneckerDelta):
            a, b = (self.value(arg) for arg in expr.args)
            return mpmath.mpf(1 if a == b else 0)
        handler = FUNCTIONS.get(type(expr))
        if handler is not None:
            args = [self.value(arg) for arg in expr.args]
            errors = [self.errors[arg] for arg in expr.args]
            if isinstance(expr, sp.Pow) and args[0] == 0 and args[1] < 0 and errors[0] > 0:
                raise Unclear("a division by a zero that rounding may have made")
            result = real(handler(*args))
            self.errors[expr] = rounding_error(type(expr), args, errors, result, self.digits)
            return result
        return self._fallback(expr)

    def truth(self, condition) -> bool:
        if condition in (sp.true, True):
            return True
        if condition in (sp.false, False):
            return False
        if isinstance(condition, sp.And):
            return all(self.truth(c) for c in condition.args)
        if isinstance(condition, sp.Or):
            return any(self.truth(c) for c in condition.args)
        if isinstance(condition, sp.Not):
            return not self.truth(condition.args[0])
        if isinstance(condition, sp.ITE):
            chosen = condition.args[1] if self.truth(condition.args[0]) else condition.args[2]
            return self.truth(chosen)
        if isinstance(condition, sp.Xor):
            return sum(self.truth(c) for c in condition.args) % 2 == 1
        if isinstance(condition, sp.core.relational.Relational):
            left, right = self.value(condition.lhs), self.value(condition.rhs)
            margin = self.errors[condition.lhs] + self.errors[condition.rhs]
            if margin and abs(left - right) <= margin:
                raise Unclear("rounding could decide this condition either way")
            return bool(RELATIONS[condition.rel_op](left, right))
        raise Undefined(f"cannot decide the condition {condition}")

    def _fallback(self, expr: sp.Basic):
        """Any other node: sympy's own evalf at the working precision, on the values of its variables."""
        values = {v: sp.Float(self.value(v), self.digits) if not getattr(v, "is_integer", False) else self.point[v]
                  for v in variables_of(expr) if v in self.point}
        result = sp.N(expr.xreplace(values), self.digits)
        if not result.is_number or not result.is_real or result.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise Undefined(f"{expr} is not a real number here")
        return _mpf_of(result, self.digits)


def _mpf_of(number: sp.Expr, digits: int):
    if number.is_Rational:
        return mpmath.mpf(number.p) / number.q
    return mpmath.mpf(sp.Float(number, digits + 5)._mpf_)


def real(value):
    """A real mpmath number, or Undefined for a complex or infinite one."""
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            raise Undefined("not a real number")
        value = value.real
    if not mpmath.isfinite(value):
        raise OutOfRange("not a finite number")
    return value


def _exp(u):
    if abs(u) > EXP_LIMIT:
        raise OutOfRange("e^u out of the sampled range")
    return mpmath.exp(u)


def _power(base, exponent):
    if base == 0 and exponent < 0:
        raise Undefined("division by zero")
    if base < 0 and exponent != mpmath.floor(exponent):
        raise Undefined("a negative base to a fractional power")
    if base != 0 and abs(exponent * mpmath.log(abs(base))) > EXP_LIMIT:
        raise OutOfRange("a power out of the sampled range")
    return mpmath.power(base, exponent)


def _log(x, base=None):
    if x <= 0 or (base is not None and (base <= 0 or base == 1)):
        raise Undefined("the logarithm of a number that is not positive")
    return mpmath.log(x) if base is None else mpmath.log(x) / mpmath.log(base)


def _domain(function, low=None, high=None, strict=False):
    """`function`, defined only where low ≤ x ≤ high (strictly inside when `strict`)."""
    def bounded(x):
        outside = (low is not None and (x < low or strict and x == low)) or (
            high is not None and (x > high or strict and x == high))
        if outside:
            raise Undefined("outside the domain")
        return function(x)
    return bounded


def _heaviside(x, at_zero=None):
    if x == 0:
        if at_zero is None:
            raise Undefined("the step at 0")
        return at_zero
    return mpmath.mpf(1 if x > 0 else 0)


FUNCTIONS = {
    sp.Add: lambda *xs: mpmath.fsum(xs), sp.Mul: lambda *xs: mpmath.fprod(xs), sp.Pow: _power,
    sp.exp: _exp, sp.log: _log, sp.sin: mpmath.sin, sp.cos: mpmath.cos, sp.tan: mpmath.tan,
    sp.sinh: lambda x: mpmath.sinh(_guard(x)), sp.cosh: lambda x: mpmath.cosh(_guard(x)), sp.tanh: mpmath.tanh,
    sp.asin: _domain(mpmath.asin, -1, 1), sp.acos: _domain(mpmath.acos, -1, 1), sp.atan: mpmath.atan,
    sp.asinh: mpmath.asinh, sp.acosh: _domain(mpmath.acosh, 1), sp.atanh: _domain(mpmath.atanh, -1, 1, strict=True),
    sp.Abs: abs, sp.sign: mpmath.sign, sp.Heaviside: _heaviside, sp.erf: mpmath.erf,
    sp.Max: lambda *xs: max(xs), sp.Min: lambda *xs: min(xs),
    sigmoid: lambda u: 1 / (1 + _exp(-u)), relu: lambda u: u if u > 0 else mpmath.mpf(0),
    sp.sec: mpmath.sec, sp.csc: mpmath.csc, sp.cot: mpmath.cot,
    sp.coth: lambda x: mpmath.coth(_guard(x)), sp.sech: lambda x: mpmath.sech(_guard(x)),
    sp.csch: lambda x: mpmath.csch(_guard(x)), sp.acot: mpmath.acot,
    sp.asec: lambda x: _outside_unit(mpmath.asec, x), sp.acsc: lambda x: _outside_unit(mpmath.acsc, x),
}


def _outside_unit(function, x):
    """asec and acsc are real only for |x| ≥ 1."""
    if abs(x) < 1:
        raise Undefined("outside the domain")
    return function(x)


def _guard(x):
    if abs(x) > EXP_LIMIT:
        raise OutOfRange("out of the sampled range")
    return x


SLOPES = {  # |f′(u)| in terms of u and f(u), for the error bound of f(u)
    sp.exp: lambda u, f: f, sp.log: lambda u, f: 1 / u, sp.sin: lambda u, f: 1, sp.cos: lambda u, f: 1,
    sp.tan: lambda u, f: 1 + f * f, sp.sinh: lambda u, f: mpmath.cosh(u), sp.cosh: lambda u, f: mpmath.sinh(u),
    sp.tanh: lambda u, f: 1 - f * f, sp.atan: lambda u, f: 1 / (1 + u * u), sp.asinh: lambda u, f: 1,
    sp.asin: lambda u, f: 1 / mpmath.sqrt(max(1 - u * u, mpmath.eps)),
    sp.acos: lambda u, f: 1 / mpmath.sqrt(max(1 - u * u, mpmath.eps)),
    sp.acosh: lambda u, f: 1 / mpmath.sqrt(max(u * u - 1, mpmath.eps)),
    sp.atanh: lambda u, f: 1 / max(1 - u * u, mpmath.eps), sp.erf: lambda u, f: 2,
    sigmoid: lambda u, f: f * (1 - f), relu: lambda u, f: 1 if u > 0 else 0, sp.Abs: lambda u, f: 1,
    sp.sign: lambda u, f: 0, sp.Heaviside: lambda u, f: 0,
    sp.sec: lambda u, f: abs(f * mpmath.tan(u)), sp.csc: lambda u, f: abs(f * mpmath.cot(u)),
    sp.cot: lambda u, f: 1 + f * f, sp.coth: lambda u, f: abs(1 - f * f), sp.sech: lambda u, f: abs(f * mpmath.tanh(u)),
    sp.csch: lambda u, f: abs(f * mpmath.coth(u)), sp.acot: lambda u, f: 1 / (1 + u * u),
    sp.asec: lambda u, f: 1 / (abs(u) * mpmath.sqrt(max(u * u - 1, mpmath.eps))),
    sp.acsc: lambda u, f: 1 / (abs(u) * mpmath.sqrt(max(u * u - 1, mpmath.eps))),
}
SWITCHING = (relu, sp.Abs, sp.sign, sp.Heaviside)

RELATIONS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
             ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


# --- presenting a witness ----------------------------------------------------------------------------------

SIMPLE = tuple(sp.Rational(v) for v in ("1/2", "2", "3/2", "3", "1/4", "5/2", "3/4", "5/4"))


def _witness(left: sp.Expr, right: sp.Expr, difference: sp.Expr, point: dict) -> Witness:
    """The differing point made plain, with both values there."""
    def differs(candidate):
        try:
            return not agrees(difference, candidate)
        except FAILURES:
            return False

    point = _plainer(point, differs)
    try:
        values = [sp.Float(evaluate(side, point, HIGH), 30) for side in (left, right)]
    except FAILURES:
        values = [sp.Float(evaluate(difference, point, HIGH), 30), sp.Integer(0)]  # shown as left − right and 0
    return Witness(point=tuple(sorted(point.items(), key=lambda kv: sp.default_sort_key(kv[0]))), left=values[0],
                   right=values[1])


def _plainer(point: dict, differs) -> dict:
    """Each coordinate replaced by a simple number (½, 2, …, then itself rounded) where `differs` still holds."""
    for m, variable in enumerate(sorted(point, key=sp.default_sort_key)):
        if getattr(variable, "is_integer", False):
            continue
        simple = SIMPLE[m % len(SIMPLE):] + SIMPLE[:m % len(SIMPLE)]
        candidates = [*simple, *(-v for v in simple), _rounded(point[variable], 1), _rounded(point[variable], 2)]
        for value in candidates:
            if value < 0 and getattr(variable, "is_positive", False):
                continue
            if differs({**point, variable: value}):
                point = {**point, variable: value}
                break
    return point


def _rounded(value: sp.Expr, digits: int) -> sp.Expr:
    if value.is_Integer or value == 0:
        return value
    return sp.Rational(f"{float(value):.{digits}g}")


def describe(witness: Witness) -> str:
    """`at x = 0.5: left side 1.5, right side -1.5`, with the difference when the values print alike."""
    left, right = shown(witness.left), shown(witness.right)
    text = f"left side {left}, right side {right}"
    if left == right and "undefined" not in left:
        text += f" (they differ by {shown(witness.left - witness.right)})"
    return f"at {where(witness.point)}: {text}" if witness.point else text


def where(point) -> str:
    """`x = 0.5, y = 2` for a point given as pairs."""
    return ", ".join(f"{name} = {number(value)}" for name, value in point)


def number(value: sp.Expr) -> str:
    """A coordinate as a short decimal where exact (0.5, -0.03), else a fraction; a computed value to 8 digits."""
    if value.is_Integer:
        return str(value)
    if value.is_Rational:
        q = value.q
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        return f"{float(value):g}" if q == 1 and abs(value) >= sp.Rational(1, 10**4) else str(value)
    return shown(value)


def shown(value) -> str:
    """A value to 8 significant digits; "undefined" where it has no real value."""
    return "undefined" if value == sp.nan or value is sp.nan else f"{float(value):.8g}"
