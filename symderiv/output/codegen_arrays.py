"""Index expressions as array code (numpy or jax.numpy), with sympy's NumPy printer for everything elementwise.

An expression is printed for a list of axes, one per free index: x[i] becomes x[:, None] when the axes are
(i, k), a bound index of Σ_j gets a further axis that the sum removes, and an index used as a number (in δ_ik,
in i = k) becomes `_index(N, axis, rank)`, the values 1..N along its axis. Every printed expression broadcasts
to N along each of its axes. A matrix form (diag(σ) − σᵀσ)_ik is printed as matrix operations.
"""
from __future__ import annotations

import keyword
import re

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from symderiv.model.symbols import N

RESERVED = {"np", "jnp", "N", "_sigmoid", "_index", "_sum", "_full"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Unsupported(Exception):
    """This expression has no array code here (the reason is the message)."""


def python_name(name: str, strict: bool = False) -> str:
    """A Python identifier for a part id or a symbol (strict: refuse instead of rewriting)."""
    if strict:
        if not _IDENTIFIER.match(name) or keyword.iskeyword(name) or name in RESERVED:
            raise Unsupported(f"the name {name!r} cannot be a Python variable in the code")
        return name
    cleaned = re.sub(r"\W", "_", name)
    return cleaned if _IDENTIFIER.match(cleaned) and not keyword.iskeyword(cleaned) else f"part_{cleaned}"


def indices_of(expr: sp.Basic) -> tuple[sp.Symbol, ...]:
    """The free indices of `expr` (integer symbols that are not sizes such as N, and not bound by a sum), in order
    of appearance."""
    bound = {limit[0] for node in expr.atoms(sp.Sum) for limit in node.limits}
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Symbol) and node.is_integer and not node.is_positive and node not in bound \
                and node not in found:
            found.append(node)
    return tuple(found)


class ArrayPrinter(NumPyPrinter):
    """sympy's NumPy printer, with axes for indices, vectorized sums and δ, and the network functions."""

    def __init__(self, module: str, axes: tuple, sizes=None):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})
        self.prefix = module
        self.axes = list(axes)
        self.sizes = sizes  # codegen_sizes.Sizes: how far each free index runs
        self.bound: dict = {}  # a summed index: the code of its upper limit

    def code(self, expr: sp.Basic) -> str:
        """The array code of `expr`, or Unsupported."""
        try:
            text = self.doprint(expr)
        except (NotImplementedError, TypeError, ValueError, AttributeError) as error:
            raise Unsupported(f"the array printer cannot express {expr} ({type(error).__name__})") from None
        if "# Not supported" in text or "Not supported in Python" in text:
            raise Unsupported(f"the array printer cannot express {expr}")
        return text

    def _module_format(self, fqn, register=True):
        text = super()._module_format(fqn, register)
        return re.sub(r"^(jax\.numpy|numpy)\.", self.prefix + ".", text)

    def _print_Symbol(self, expr):
        if expr in self.axes:
            return f"_index({self._size(expr)}, {self.axes.index(expr)}, {len(self.axes)})"
        if expr.is_integer and expr.is_positive:  # a size: N, M, set from an input's shape
            return python_name(expr.name, strict=expr != N)
        if expr.is_integer:
            raise Unsupported(f"the index {expr} is neither free nor bound by a sum")
        return python_name(expr.name, strict=True)

    def _size(self, index) -> str:
        if index in self.bound:
            return self.bound[index]
        if self.sizes is None:
            return "N"
        return self.sizes.code(index, self.prefix)

    def _print_Indexed(self, expr):
        """x[i] along i's axis; W[i, j] transposed when j's axis comes first; x[1] a number."""
        base = python_name(str(expr.base.label), strict=True)
        fixed = [f"{int(p) - 1}" if p.is_Integer else ":" for p in expr.indices]
        free = [p for p in expr.indices if not p.is_Integer]
        if any(p not in self.axes for p in free) or len(set(free)) != len(free):
            raise Unsupported(f"the component {expr}: each index must be free or summed, and written once")
        code = base if all(f == ":" for f in fixed) else f"{base}[{', '.join(fixed)}]"
        places = [self.axes.index(p) for p in free]
        if places != sorted(places):
            order = sorted(range(len(places)), key=places.__getitem__)
            code = f"{self.prefix}.transpose({code}, {tuple(order)})"
        if sorted(places) == list(range(len(self.axes))):
            return code
        return f"{code}[{', '.join(':' if axis in free else 'None' for axis in self.axes)}]"

    def _print_Sum(self, expr):
        added = []
        for variable, low, high in expr.limits:
            if low != 1 or not (high.is_Symbol and high.is_integer and high.is_positive):
                raise Unsupported(f"the sum {expr} does not run from 1 to a size such as N")
            self.bound[variable] = self._print(high)
            added.append(variable)
        self.axes.extend(added)
        try:
            code = self._print(expr.function)
        finally:
            del self.axes[len(self.axes) - len(added):]
        for variable in reversed(added):
            code = f"_sum({code}, {self.bound.pop(variable)})"
        return code

    def _print_KroneckerDelta(self, expr):
        a, b = (self._print(arg) for arg in expr.args)
        return f"({a} == {b})"

    def _print_sigmoid(self, expr):
        return f"_sigmoid({self._print(expr.args[0])})"

    def _print_relu(self, expr):
        return f"{self.prefix}.maximum({self._print(expr.args[0])}, 0.0)"

    def _print_Heaviside(self, expr):
        at_zero = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return f"{self.prefix}.heaviside({self._print(expr.args[0])}, {self._print(at_zero)})"

    def _print_Derivative(self, expr):
        raise Unsupported(f"{expr} is not evaluated")

    def _print_MatrixElement(self, expr):
        row, col = expr.i, expr.j
        if self.axes == [row, col]:
            return f"({matrix_code(expr.parent, self)})"
        if self.axes == [col, row]:
            return f"({matrix_code(expr.parent, self)}).T"
        raise Unsupported(f"the matrix entry {expr} is not indexed by the result's own indices")


def matrix_code(expr: sp.Basic, printer: ArrayPrinter) -> str:
    """A matrix expression over row vectors (1×N MatrixSymbols, computed as 1-D arrays) as matrix operations."""
    m = printer.prefix
    if isinstance(expr, sp.MatrixSymbol):
        if expr.shape[0] != 1:
            raise Unsupported(f"the matrix {expr.name} is not a row vector")
        return f"{python_name(expr.name, strict=True)}[None, :]"
    if isinstance(expr, sp.matrices.expressions.diagonal.DiagMatrix):
        inner = expr.args[0]
        if not isinstance(inner, sp.MatrixSymbol):
            raise Unsupported(f"diag of {inner}")
        return f"{m}.diag({python_name(inner.name, strict=True)})"
    if isinstance(expr, sp.Transpose):
        return f"{_grouped(expr.arg, printer)}.T"
    if isinstance(expr, sp.MatAdd):
        terms = sorted(expr.args, key=lambda term: _negative(term) is not None)
        code = ""
        for term in terms:
            negative = _negative(term)
            if negative is None:
                code += (" + " if code else "") + matrix_code(term, printer)
            else:
                code += (" - " if code else "-") + _grouped(negative, printer)
        return code
    if isinstance(expr, sp.MatMul):
        scalars = [arg for arg in expr.args if not arg.is_Matrix]
        factors = [arg for arg in expr.args if arg.is_Matrix]
        if not scalars and len(factors) == 2 and _row(factors[1]) and isinstance(factors[0], sp.Transpose) \
                and _row(factors[0].arg):  # uᵀv of two row vectors: the outer product
            return f"{m}.outer({python_name(factors[0].arg.name, strict=True)}, {python_name(factors[1].name, strict=True)})"
        matrices = " @ ".join(_grouped(arg, printer) for arg in expr.args if arg.is_Matrix)
        return f"{printer.code(sp.Mul(*scalars))} * {matrices}" if scalars else matrices
    raise Unsupported(f"the matrix expression {expr}")


def _row(expr: sp.Basic) -> bool:
    return isinstance(expr, sp.MatrixSymbol) and expr.shape[0] == 1


def _negative(term: sp.Basic):
    """For −A (a MatMul with coefficient −1): A; otherwise None."""
    if isinstance(term, sp.MatMul) and term.args and term.args[0] == -1:
        return sp.MatMul(*term.args[1:])
    return None


def _grouped(expr: sp.Basic, printer: ArrayPrinter) -> str:
    """Matrix code in parentheses when it is a sum or a scaled product."""
    code = matrix_code(expr, printer)
    return f"({code})" if isinstance(expr, sp.MatAdd) or (isinstance(expr, sp.MatMul) and " * " in code) else code
