"""The one numeric oracle: seeded random points at many scales and in every sign orthant, two working precisions.

Evidence, never proof: a link decided here is shown as ✓ numeric. A point counts as agreeing when the residual
left − right shrinks as the working precision grows from LOW to HIGH digits (rounding noise does, a real
difference does not), or is below 10^(−HIGH+10) of the largest term being cancelled. Points where a side is
undefined or out of range (a logarithm of a negative number, e^(10⁶)) are skipped; the rest decide.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import mpmath
import sympy as sp

from .functions import relu, sigmoid

LOW, HIGH, TOP = 30, 60, 240  # working precisions, in decimal digits
SHRINK = mpmath.mpf(10) ** -20  # a residual that shrinks by this much from LOW to HIGH digits is rounding noise
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
    agreed, switches = 0, _switches(difference)
    for count, point in enumerate(sample_points(variables, difference, seed)):
        point = {**fixed, **point}
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
        if not same:
            return Evidence(ok=False, witness=_witness(left, right, difference, point))
        agreed += 1
        if agreed >= needed(len(variables)) + 3 * len(switches) or not variables:
            return Evidence(ok=True, agreed=agreed)
        if count >= MAX_POINTS:
            break
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
        except Undefined as error:
            if "division by zero" in str(error):
                return None
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


def agrees(difference: sp.Expr, point: dict) -> bool:
    """Whether the residual of `difference` at `point` is rounding noise (see is_noise)."""
    def residual(digits):
        with mpmath.workdps(digits):
            evaluator = _Evaluator(point, digits)
            value = evaluator.value(difference)
            return value, max(abs(v) for v in evaluator.memo.values())

    return is_noise(residual)


def is_noise(residual) -> bool:
    """`residual(digits)` gives (left − right, the largest quantity met computing it) at that working precision.
    It is rounding noise when it is 0 or shrinks by SHRINK from one precision to the next (LOW, HIGH, then
    doubling while the two disagree without shrinking), and a real difference when it stays put."""
    low, _ = residual(LOW)
    digits = HIGH
    while True:
        high, scale = residual(digits)
        with mpmath.workdps(digits):
            if high == 0 or abs(high) <= SHRINK * abs(low):
                return True
            if abs(high - low) <= abs(high) / 1000 or digits >= TOP:
                return abs(high) <= scale * mpmath.mpf(10) ** (10 - digits)
        low, digits = high, 2 * digits


def sample_points(variables: list, expr: sp.Expr, seed: int = SEED):
    """Seeded points: signs through every orthant (random beyond six variables), magnitudes 10^u, u in [−3, 3],
    then points on both sides of each switch (relu, |·|, steps, Piecewise) of `expr`."""
    rng = random.Random(f"{seed}:{len(variables)}")
    orthants = list(range(2 ** len(variables))) if len(variables) <= ORTHANT_VARIABLES else []
    rng.shuffle(orthants)
    switches = _switches(expr)
    for n in range(MAX_POINTS + 1):
        signs = orthants[n % len(orthants)] if orthants else rng.getrandbits(max(len(variables), 1))
        point = {v: _value(v, rng, (signs >> m) & 1) for m, v in enumerate(variables)}
        if switches and n % 3 == 2:
            point = _near_switch(point, switches, rng, n // 3) or point
        yield point


def _value(variable: sp.Basic, rng: random.Random, negative: int) -> sp.Rational:
    """A random number with three significant digits: an integer in 1..40 for integer variables."""
    if getattr(variable, "is_integer", False):
        return sp.Integer(rng.randint(0 if variable.is_nonnegative and not variable.is_positive else 1, 40))
    mantissa = sp.Rational(rng.randint(100, 999), 100)
    magnitude = mantissa * sp.Rational(10) ** rng.randint(*MAGNITUDES)
    return magnitude if negative == 0 or getattr(variable, "is_positive", False) else -magnitude


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
    return [s for s in found if s.free_symbols]


def _near_switch(point: dict, switches: list, rng: random.Random, turn: int) -> dict | None:
    """`point` moved along one variable into one of the intervals that the zeros of the linear switch
    arguments cut its line into (between two zeros, or beyond the outermost ones)."""
    candidates = sorted(set(point) & set().union(*[variables_of(s) for s in switches]), key=sp.default_sort_key)
    if not candidates:
        return None
    variable = rng.choice(candidates)
    others = {v: value for v, value in point.items() if v != variable}
    roots = set()
    for switch in switches:
        slope = sp.diff(switch, variable)
        if slope == 0 or slope.free_symbols & {variable}:
            continue
        try:
            root = -(switch.xreplace({variable: sp.S.Zero}).xreplace(others)) / slope.xreplace(others)
            roots.add(root if root.is_Rational else sp.Rational(str(sp.N(root, 20))))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
    if not roots:
        return None
    roots = sorted(roots)
    spread = [sp.Rational(rng.randint(1, 9), 10) * (1 + abs(r)) for r in (roots[0], roots[-1])]
    inside = [(a + b) / 2 for a, b in zip(roots, roots[1:])]
    choices = [roots[0] - spread[0], *inside, roots[-1] + spread[1]]
    return {**point, variable: choices[turn % len(choices)]}


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


class _Evaluator:
    def __init__(self, point: dict, digits: int):
        self.point, self.digits, self.memo = point, digits, {}

    def value(self, expr: sp.Basic):
        if expr not in self.memo:
            self.memo[expr] = self._value(expr)
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
                    return self.value(value)
            raise Undefined("no piece of the Piecewise applies")
        if isinstance(expr, sp.KroneckerDelta):
            a, b = (self.value(arg) for arg in expr.args)
            return mpmath.mpf(1 if a == b else 0)
        handler = FUNCTIONS.get(type(expr))
        if handler is not None:
            return real(handler(*[self.value(arg) for arg in expr.args]))
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
}


def _guard(x):
    if abs(x) > EXP_LIMIT:
        raise OutOfRange("out of the sampled range")
    return x


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
