"""Textbook LaTeX and one-line Unicode text for derivation expressions; printers lay out, never compute."""
from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter, greek_letters_set, tex_greek_dictionary
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

MINUS = "\u2212"
_LOWER = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega"
GREEK = {name: chr(0x3B1 + n + (n > 16)) for n, name in enumerate(_LOWER.split())}  # skip final sigma ς
GREEK.update({name.capitalize(): letter.upper() for name, letter in GREEK.items()})
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_NAME = re.compile(r"\A([A-Za-z]+)(\d*)\Z")
_RELATIONS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def built_unevaluated(expr: sp.Basic) -> bool:
    """An Add or Mul whose args differ from its canonical evaluation was built on purpose: keep its order."""
    return expr.func(*expr.args).args != expr.args


def ordered_factors(mul: sp.Expr) -> list[sp.Expr]:
    """A built product keeps its order; else the number, plain factors, function calls, then bracketed sums."""
    if built_unevaluated(mul):
        return list(mul.args)
    factors = mul.as_ordered_factors()
    is_sum = [f.is_Add or (f.is_Pow and f.base.is_Add and f.exp.is_positive) for f in factors]
    plain = [f for f, s in zip(factors, is_sum) if not s and not f.is_Number]
    plain.sort(key=lambda f: isinstance(f.as_base_exp()[0], sp.Function))  # t_i ln z_i, a_j δ_jk
    slots = [n for n, f in enumerate(plain) if _numbered(f)]  # σ_6·σ_64, not sympy's σ_64·σ_6
    for n, f in zip(slots, sorted((plain[n] for n in slots), key=_numbered)):
        plain[n] = f
    return [f for f in factors if f.is_Number] + plain + [f for f, s in zip(factors, is_sum) if s]


def _numbered(factor: sp.Expr) -> tuple | None:
    """(name, number) for a component with a concrete index such as σ_64, else None."""
    base = factor.as_base_exp()[0]
    if isinstance(base, sp.Indexed) and all(i.is_Integer for i in base.indices):
        return (str(base.base), *(int(i) for i in base.indices))
    return None


def signed_factors(mul: sp.Expr) -> tuple[bool, list[sp.Expr]]:
    """A leading negative number becomes the sign of the product; a bare −1 disappears."""
    factors = ordered_factors(mul)
    first = factors[0]
    if len(factors) > 1 and first.is_Number and first.is_extended_negative:
        return True, factors[1:] if first == -1 else [-first, *factors[1:]]
    return False, factors


def negated(term: sp.Expr) -> sp.Expr:
    """−term, keeping the factor order of a built product."""
    if term.is_Mul and term.args[0].is_Number and term.args[0].is_extended_negative:
        rest = term.args[1:] if term.args[0] == -1 else (-term.args[0], *term.args[1:])
        return rest[0] if len(rest) == 1 else term.func(*rest, evaluate=False)
    return -term


def ordered_terms(add: sp.Expr, default: list[sp.Expr]) -> list[sp.Expr]:
    """A built sum keeps its order; no leading minus when some term is positive (z − d, not −d + z)."""
    terms = list(add.args) if add.is_Add and built_unevaluated(add) else list(default)
    if terms and terms[0].could_extract_minus_sign():
        positive = next((n for n, t in enumerate(terms) if not t.could_extract_minus_sign()), 0)
        terms.insert(0, terms.pop(positive))
    return terms


def is_named(expr: sp.Expr) -> bool:
    """A symbol, indexed symbol, matrix symbol or function call: written inside ∂f/∂v, not after it."""
    return isinstance(expr, (sp.Symbol, sp.Indexed, sp.MatrixSymbol, sp.Function))


def pretty_name(name: str) -> str:
    """Greek names become letters and trailing digits subscripts: sigma → σ, w1 → w₁."""
    return _NAME.sub(lambda m: GREEK.get(m[1], m[1]) + m[2].translate(_SUBSCRIPT), name)


LONG_NAME = 40  # characters of one part of a name above which LaTeX shows only its two ends


def latex_name(part: str) -> str:
    """Greek names become letters; others print as written (no hat, bold, scr … modifiers), a long one as its two ends."""
    if part in tex_greek_dictionary:
        return tex_greek_dictionary[part]
    if part.lower() in greek_letters_set:
        return "\\" + part.lower()
    return part if len(part) <= LONG_NAME else part[:18] + r"\ldots " + part[-18:]


def truncated_cells(matrix, max_size: int, show, dots: tuple[str, str, str]) -> list[list[str]]:
    """Printed entries; past max_size, the first max_size − 2 rows (columns), a row (column) of dots, the last."""
    if max_size < 3:
        raise ValueError(f"max_size must be at least 3, not {max_size}")
    kept = lambda size: list(range(size)) if size <= max_size else [*range(max_size - 2), None, size - 1]  # noqa: E731
    hdots, vdots, ddots = dots
    return [
        [(ddots if c is None else vdots) if r is None else (hdots if c is None else show(matrix[r, c])) for c in kept(matrix.cols)]
        for r in kept(matrix.rows)
    ]


class _TextbookRules:
    """The layout rules both printers share; each printer supplies its notation as format strings."""

    PAREN = DIAG = TRANSPOSE = DELTA = CASE = OTHERWISE = CASES = CASE_SEPARATOR = TIGHT = LOOSE = "{}"
    DOTS = ("", "", "")

    def __init__(self, settings=None):
        super().__init__(settings)
        self._term_order = self._settings.get("order")

    def _as_ordered_terms(self, expr, order=None):
        """Terms in built or sympy order (the `order` setting), never with a needless leading minus."""
        order = order or self._term_order
        return ordered_terms(expr, list(expr.args) if order == "none" else expr.as_ordered_terms(order=order))

    def _joined(self, factors, show) -> str:
        """Factors joined TIGHT, or LOOSE beside a derivative (not after a leading number) or between two numbers."""
        text = ""
        for n, factor in enumerate(factors):
            if n:
                before = factors[n - 1]
                loose = isinstance(before, sp.Derivative) or (isinstance(factor, sp.Derivative) and not before.is_Number)
                text += self.LOOSE if loose or (before.is_Number and factor.is_Number) else self.TIGHT
            text += show(n, factor)
        return text

    def _print_Idx(self, expr):
        """An index prints as its label, without its range."""
        return self._print(expr.label)

    def _print_Indexed(self, expr):
        """x[i] → x_i, sigma[i] → σ_i."""
        return self._subscripted(self._print(expr.base), expr.indices)

    def _print_KroneckerDelta(self, expr, exp=None):
        """KroneckerDelta(i, k) → δ_ik."""
        text = self._subscripted(self.DELTA, expr.args[:2])
        return self.PAREN.format(text) + f"^{{{exp}}}" if exp is not None else text

    def _print_Heaviside(self, expr, exp=None):
        """Heaviside(p, 0) → H(p), the unit step (the value at 0 is stated where it matters)."""
        text = "H" + self.PAREN.format(self._print(expr.args[0]))
        return self.PAREN.format(text) + f"^{{{exp}}}" if exp is not None else text

    def _print_MatrixElement(self, expr):
        """M[i, k] → M_ik for a matrix symbol, (M)_ik for a compound M."""
        parent = self._print(expr.parent)
        return self._subscripted(parent if isinstance(expr.parent, sp.MatrixSymbol) else self.PAREN.format(parent), (expr.i, expr.j))

    def _print_DiagMatrix(self, expr):
        """DiagMatrix(v) and DiagMatrix(vᵀ) → diag(v)."""
        vector = expr.args[0].arg if isinstance(expr.args[0], sp.Transpose) else expr.args[0]
        return self.DIAG.format(self._print(vector))

    def _print_Transpose(self, expr):
        """vᵀ; a compound matrix is parenthesized."""
        text = self._print(expr.arg)
        return self.TRANSPOSE.format(text if isinstance(expr.arg, sp.MatrixSymbol) else self.PAREN.format(text))

    def _print_Piecewise(self, expr):
        """Cases "a if k = i" and a final "b otherwise"."""
        cases = [self.OTHERWISE.format(self._print(e)) if c is sp.true else self.CASE.format(self._print(e), self._print(c))
                 for e, c in expr.args]
        return self.CASES.format(self.CASE_SEPARATOR.join(cases))

    def _print_MatrixBase(self, expr):
        """An explicit matrix, cut to max_matrix_size rows and columns."""
        return self._matrix(truncated_cells(expr, self._settings["max_matrix_size"], self._print, self.DOTS))


class TextbookLatexPrinter(_TextbookRules, LatexPrinter):
    """sympy's LatexPrinter with textbook factor order, ∂ fractions, δ_{ik}, diag(σ), σ^⊤ and cases."""

    _default_settings = {**LatexPrinter._default_settings, "ln_notation": True, "max_matrix_size": 8,
                         "inv_trig_style": "full"}  # \arcsin x, as textbooks write it

    def _split_super_sub(self, name: str):
        """A symbol's name, superscripts and subscripts (split at _ and __), each printed by `latex_name`."""
        base, supers, subs = split_super_sub(name)
        return latex_name(base), [latex_name(s) for s in supers], [latex_name(s) for s in subs]
    PAREN, DIAG, TRANSPOSE, DELTA = r"\left({}\right)", r"\operatorname{{diag}}\left({}\right)", r"{}^{{\top}}", r"\delta"
    CASE, OTHERWISE, CASES = r"{} & \text{{if }} {}", r"{} & \text{{otherwise}}", r"\begin{{cases}} {} \end{{cases}}"
    CASE_SEPARATOR, TIGHT, LOOSE, DOTS = r" \\ ", " ", r" \cdot ", (r"\cdots", r"\vdots", r"\ddots")

    def _print_Add(self, expr, order=None):
        """Terms joined by + and −; a subtracted built product keeps its order."""
        tex = ""
        for n, term in enumerate(self._as_ordered_terms(expr, order=order)):
            if n and term.could_extract_minus_sign():
                tex, term = tex + " - ", negated(term)
            elif n:
                tex += " + "
            tex += self.PAREN.format(self._print(term)) if self._needs_add_brackets(term) else self._print(term)
        return tex

    def _print_Mul(self, expr):
        """Products in `ordered_factors` order, laid out (fractions too) by sympy; \\cdot beside a derivative."""
        if not expr.is_Mul:
            return super()._print_Mul(expr)
        negative, factors = signed_factors(expr)
        sign = "- " if negative else ""
        if len(factors) == 1:
            tex = self._print(factors[0])
            return sign + (self.PAREN.format(tex) if negative and factors[0].is_Add else tex)
        body = expr.func(*factors, evaluate=False)
        if any(isinstance(f, sp.Derivative) or f.is_Mul for f in factors):  # the parent would flatten a nested Mul
            numer, denom = sp.fraction(body, exact=True)
            tex = self._juxtaposed([numer] if numer in factors else sp.Mul.make_args(numer))
            return sign + (tex if denom == 1 else rf"\frac{{{tex}}}{{{self._print(denom)}}}")
        saved, self._settings["order"] = self._settings["order"], "none"  # the parent keeps our factor order
        try:
            return sign + super()._print_Mul(body)
        finally:
            self._settings["order"] = saved

    def _juxtaposed(self, factors) -> str:
        """Factors side by side, bracketed as sympy would."""
        last = len(factors) - 1
        return self._joined(factors, lambda n, f: self.PAREN.format(self._print(f))
                            if self._needs_mul_brackets(f, first=n == 0, last=n == last) else self._print(f))

    def _print_Derivative(self, expr):
        """Always ∂: \\frac{\\partial f}{\\partial v} for a named f, else \\frac{\\partial}{\\partial v} \\left(f\\right)."""
        order = sum(count for _, count in expr.variable_count)
        top = r"\partial" if order == 1 else rf"\partial^{{{self._print(order)}}}"
        bottom = " ".join(
            rf"\partial {self._print(v)}" if c == 1 else rf"\partial {self.parenthesize_super(self._print(v))}^{{{self._print(c)}}}"
            for v, c in reversed(expr.variable_count)
        )
        if is_named(expr.expr):
            return rf"\frac{{{top} {self._print(expr.expr)}}}{{{bottom}}}"
        return rf"\frac{{{top}}}{{{bottom}}} " + self.PAREN.format(self._print(expr.expr))

    def _subscripted(self, base: str, indices) -> str:
        """base_{ik} for single-letter indices, base_{i, j + 1} otherwise; a base with its own script is braced."""
        texts = [self._print(i) for i in indices]
        letters = all(isinstance(i, sp.Symbol) and len(t) == 1 for i, t in zip(indices, texts))
        base = "{" + base + "}" if re.search(r"[_^]", base) and not base.startswith(r"\left(") else base
        return f"{base}_{{{('' if letters else ', ').join(texts)}}}"

    def _matrix(self, cells) -> str:
        """A bmatrix, or a bracketed array past amsmath's 10 columns."""
        body, columns = r" \\ ".join(" & ".join(row) for row in cells), len(cells[0]) if cells else 0
        if columns <= 10:
            return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"
        return rf"\left[\begin{{array}}{{{'c' * columns}}} {body} \end{{array}}\right]"


class TextbookTextPrinter(_TextbookRules, StrPrinter):
    """One-line Unicode: σ_i·(1 − σ_i), ∂σ_i/∂x_k, Σ_j e^(x_j), with the LaTeX printer's order rules."""

    printmethod = "_symderiv_text"  # not "_sympystr": Indexed's own method would print x[i]
    _default_settings = {**StrPrinter._default_settings, "max_matrix_size": 8}
    PAREN, DIAG, TRANSPOSE, DELTA = "({})", "diag({})", "{}ᵀ", "δ"
    CASE, OTHERWISE, CASES, CASE_SEPARATOR = "{} if {}", "{} otherwise", "{{{}}}", "; "
    TIGHT, LOOSE, DOTS = "·", " · ", ("⋯", "⋮", "⋱")

    def _print_Symbol(self, expr):
        """sigma → σ, w1 → w₁; a Dummy prints its bare name."""
        return pretty_name(expr.name)

    _print_Dummy = _print_MatrixSymbol = _print_Symbol

    def _print_IndexedBase(self, expr):
        """The label of a vector, Greek-lettered."""
        return self._print(expr.label)

    def _print_Integer(self, expr):
        """Numbers (p/q for rationals) use the minus sign U+2212; e, ∞ and −∞ are written so."""
        text = {"E": "e", "oo": "∞", "pi": "π"}.get(str(expr).lstrip("-"), str(expr).lstrip("-"))
        text = "-" + text if str(expr).startswith("-") else text
        return (f"{expr.p}/{expr.q}" if expr.is_Rational and not expr.is_Integer else text).replace("-", MINUS)

    _print_Zero = _print_Float = _print_Rational = _print_Exp1 = _print_Pi = _print_Infinity = _print_NegativeInfinity = _print_Integer

    def _print_Add(self, expr, order=None):
        """Terms joined by + and −; a subtracted sum is parenthesized."""
        text = ""
        for n, term in enumerate(self._as_ordered_terms(expr, order)):
            negative = term.could_extract_minus_sign()
            term = negated(term) if negative else term
            part = self.PAREN.format(self._print(term)) if negative and term.is_Add else self._print(term)
            text += (MINUS if negative else "") + part if n == 0 else f" {MINUS if negative else '+'} {part}"
        return text

    def _factor(self, factor, enclose_derivative=False, alone_below=False) -> str:
        """A factor; sums, Σ, negatives, derivatives near a /, and products or fractions alone below a / get parentheses."""
        text, level = self._print(factor), precedence(factor)
        wrap = level < PRECEDENCE["Mul"] or isinstance(factor, sp.Sum) or (alone_below and level == PRECEDENCE["Mul"])
        return self.PAREN.format(text) if wrap or (enclose_derivative and isinstance(factor, sp.Derivative)) else text

    def _fraction(self, negative: bool, factors) -> str:
        """Numerator factors, then /denominator; rationals and negative powers go below the bar."""
        numer, denom = [], []
        for f in factors:
            if f.is_Rational and not f.is_Integer:
                numer += [sp.Integer(f.p)] if f.p != 1 else []
                denom.append(sp.Integer(f.q))
            elif f.is_Pow and f.exp.could_extract_minus_sign():
                denom.append(f.base if f.exp == -1 else sp.Pow(f.base, -f.exp, evaluate=False))
            else:
                numer.append(f)
        sign = MINUS if negative else ""
        if len(numer) == 1 and not denom and isinstance(numer[0], sp.Sum):
            return sign + self._print(numer[0])  # −Σ_i t_i·ln(z_i)
        text = self._joined(numer, lambda n, f: self._factor(f, bool(denom))) if numer else "1"
        if len(denom) == 1:
            return f"{sign}{text}/{self._factor(denom[0], enclose_derivative=True, alone_below=True)}"
        return sign + text + (f"/({self._joined(denom, lambda n, f: self._factor(f, True))})" if denom else "")

    def _print_Mul(self, expr):
        """Products (matrix products too) in `ordered_factors` order, · between factors, a/b for division."""
        return self._fraction(*signed_factors(expr))

    _print_MatMul = _print_Mul

    def _print_Pow(self, expr, rational=False):
        """x² for integer powers, √x, 1/x for negative powers, x^n or x^(…) otherwise."""
        base, exponent = expr.base, expr.exp
        if exponent.could_extract_minus_sign():
            return self._fraction(False, [expr])
        simple = (is_named(base) and not isinstance(base, sp.exp)) or (base.is_Integer and base.is_positive)
        text = self._print(base) if simple else self.PAREN.format(self._print(base))
        if exponent == sp.S.Half:
            return "√" + (text if isinstance(base, sp.Symbol) or base.is_Integer else self.PAREN.format(self._print(base)))
        return text + self._superscript(exponent)

    def _superscript(self, exponent) -> str:
        """²³… for integers, ^n for a symbol, ^(…) otherwise."""
        if exponent.is_Integer and exponent.is_nonnegative:
            return str(exponent).translate(_SUPERSCRIPT)
        return "^" + self._print(exponent) if isinstance(exponent, sp.Symbol) else f"^({self._print(exponent)})"

    def _print_exp(self, expr):
        """e^x for a symbol or number, e^(…) otherwise."""
        arg = expr.args[0]
        simple = isinstance(arg, sp.Symbol) or (arg.is_Integer and arg.is_nonnegative)
        return "e^" + (self._print(arg) if simple else self.PAREN.format(self._print(arg)))

    def _print_Function(self, expr):
        """sigmoid → σ(p), log → ln(x), Heaviside → H(u); an undefined function's name is Greek-lettered."""
        name = {"sigmoid": "σ", "log": "ln", "Heaviside": "H", **INVERSE_NAMES}.get(expr.func.__name__,
                                                                                    pretty_name(expr.func.__name__))
        return f"{name}({', '.join(self._print(a) for a in (expr.args[:1] if name == 'H' else expr.args))})"

    _print_Heaviside = _print_Function

    def _print_Abs(self, expr):
        """|x|."""
        return f"|{self._print(expr.args[0])}|"

    def _print_Derivative(self, expr):
        """∂f/∂v for a named f, ∂/∂v (f) otherwise; ∂²f/∂x∂y for higher orders."""
        order = sum(count for _, count in expr.variable_count)
        top = "∂" + ("" if order == 1 else self._superscript(order))
        bottom = "".join(f"∂{self._print(v)}" + ("" if c == 1 else self._superscript(c)) for v, c in reversed(expr.variable_count))
        if is_named(expr.expr):
            return f"{top}{self._print(expr.expr)}/{bottom}"
        return f"{top}/{bottom} " + self.PAREN.format(self._print(expr.expr))

    def _print_Sum(self, expr):
        """Σ_j f when j runs over 1..N, Σ_{j=a}^{b} f otherwise; a sum summand is parenthesized."""
        heads = [
            f"Σ_{self._print(j)}" if low == 1 and isinstance(high, sp.Symbol) and high.name == "N"
            else f"Σ_{{{self._print(j)}={self._print(low)}}}^{{{self._print(high)}}}"
            for j, low, high in reversed(expr.limits)
        ]
        body = self._print(expr.function)
        return " ".join(heads) + " " + (self.PAREN.format(body) if precedence(expr.function) <= PRECEDENCE["Add"] else body)

    def _subscripted(self, base: str, indices) -> str:
        """base_ik for single letters or one atomic index, base_(i, j + 1) otherwise."""
        texts = [self._print(i) for i in indices]
        if all(isinstance(i, sp.Symbol) and len(t) == 1 for i, t in zip(indices, texts)):
            return f"{base}_{''.join(texts)}"
        if len(indices) == 1 and indices[0].is_Atom and not texts[0].startswith(MINUS):
            return f"{base}_{texts[0]}"
        return f"{base}_({', '.join(texts)})"

    def _print_Relational(self, expr):
        """k = i, z_i ≠ 0, p > 0, x ≤ y."""
        return f"{self._print(expr.lhs)} {_RELATIONS[expr.rel_op]} {self._print(expr.rhs)}"

    def _print_And(self, expr):
        """Conditions joined by "and"."""
        return " and ".join(self._print(a) for a in expr.args)

    def _matrix(self, cells) -> str:
        """[a, b; c, d] on one line."""
        return "[" + "; ".join(", ".join(row) for row in cells) + "]"


INVERSE_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "acot": "arccot", "asec": "arcsec",
                 "acsc": "arccsc", "asinh": "arsinh", "acosh": "arcosh", "atanh": "artanh",
                 "acoth": "arcoth"}  # the names textbooks print (each also reads back)


def to_latex(expr, **settings) -> str:
    """Textbook LaTeX (math mode, without delimiters) of a sympy expression."""
    if settings or not _cacheable(expr):
        return TextbookLatexPrinter(settings).doprint(expr)
    return _latex(expr)


@lru_cache(maxsize=8192)
def _latex(expr) -> str:
    """Printed once per expression: a deep network's derivation cites the same factors in every part."""
    return TextbookLatexPrinter({}).doprint(expr)


def _cacheable(expr) -> bool:
    """A sympy object without floats (2.0 == 2 in sympy, yet they print differently)."""
    return isinstance(expr, sp.Basic) and not expr.has(sp.Float)


def latex_relation(relation) -> str:
    """A side condition in LaTeX: z_{i} \\neq 0, k = i, p > 0."""
    return to_latex(relation)


def to_latex_matrix(matrix, max_size: int = 8) -> str:
    """A bmatrix of an explicit Matrix, showing the first max_size − 2, dots, and the last rows and columns."""
    return to_latex(sp.ImmutableMatrix(matrix), max_matrix_size=max_size)


def to_text(expr, **settings) -> str:
    """One-line Unicode text of a sympy expression, for terminals."""
    if settings or not _cacheable(expr):
        return TextbookTextPrinter(settings).doprint(expr)
    return _text(expr)


@lru_cache(maxsize=8192)
def _text(expr) -> str:
    """Printed once per expression, as to_latex."""
    return TextbookTextPrinter({}).doprint(expr)


def text_relation(relation) -> str:
    """A side condition in Unicode: z_i ≠ 0, k = i, p > 0."""
    return to_text(relation)


def to_text_matrix(matrix, max_size: int = 8) -> str:
    """An explicit Matrix on several lines, right-aligned columns between ⎡⎢⎣ ⎤⎥⎦ (or [ ] for one row)."""
    cells = truncated_cells(matrix, max_size, TextbookTextPrinter().doprint, TextbookTextPrinter.DOTS)
    if not cells or not cells[0]:
        return "[]"
    widths = [max(len(row[c]) for row in cells) for c in range(len(cells[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in cells]
    if len(lines) == 1:
        return f"[ {lines[0]} ]"
    edges = [("⎡", "⎤")] + [("⎢", "⎥")] * (len(lines) - 2) + [("⎣", "⎦")]
    return "\n".join(f"{left} {line} {right}" for (left, right), line in zip(edges, lines))
