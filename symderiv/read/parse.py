"""User text to sympy: a whitelist walk over Python's AST; nothing the user types is ever evaluated."""
from __future__ import annotations

import ast
import difflib
import keyword
import math
import operator
import re
import warnings

import sympy as sp

from symderiv.model import symbols
from symderiv.model.errors import ParseError
from symderiv.model.functions import relu, sigmoid, softmax_component
from symderiv.read import function_names
from symderiv.model.limits import UNDEFINED as _UNDEFINED, MAX_DIGITS, MAX_EXPONENT, digits  # noqa: F401 (MAX_* re-exported)

MAX_LENGTH = 5000  # characters of input
MAX_NODES = 3000  # expression nodes in the syntax tree
MAX_DEPTH = 60  # nesting of brackets, and of operators (a chain a+b+c counts once)

FUNCTIONS = {name: function_names.lookup(name).build for name in function_names.all_names()}
SPECIAL = {"Sum": "_sum", "KroneckerDelta": "_delta", "softmax": "_softmax", "Piecewise": "_piecewise"}
CONSTANTS = {"pi": sp.pi, "E": sp.E}
RESERVED = set(FUNCTIONS) | set(SPECIAL) | set(CONSTANTS) | {"N"}
DUMMIES = ("j", "m", "n", "l")  # softmax sums over the first of these that the text does not use

_FORBIDDEN = dict(  # node type -> what the error says is not allowed
    Attribute="attribute access is", Lambda="lambda is", JoinedStr="f-strings are", FormattedValue="f-strings are",
    Compare="comparisons are", BoolOp="'and' and 'or' are", IfExp="conditional expressions are",
    NamedExpr="assignments are", List="lists are", Tuple="tuples are", Set="sets are", Dict="dicts are",
    ListComp="comprehensions are", SetComp="comprehensions are", DictComp="comprehensions are",
    GeneratorExp="generators are", Starred="'*' arguments are", Slice="slices are", Await="'await' is",
    Yield="'yield' is", YieldFrom="'yield' is")
_OPERATORS = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
              ast.BitOr: "|", ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not"}
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}  # of indices
_FAMILY = {ast.Add: "+", ast.Sub: "+", ast.Mult: "*", ast.Div: "*"}  # operators that chain: a+b-c, a*b/c
_SYNTAX = [  # Python's SyntaxError message -> ours
    (re.compile(r"'(.)' was never closed"), "'{}' is never closed"),
    (re.compile(r"unmatched '(.)'"), "unmatched '{}'"),
    (re.compile(r"unterminated"), "strings are not allowed"),
    (re.compile(r"literal|leading zeros|Exceeds the limit"), "invalid number"),
    (re.compile(r"'else'"), "conditional expressions are not allowed"),
]
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\*\*|//|[<>=!]=|\S")
_DECIMAL = re.compile(r"([\d_]*)(?:\.([\d_]*))?(?:[eE]([+-]?[\d_]+))?\Z")
_EQUATION = re.compile(r"\s*(\w+)\s*=(?!=)")
_SPACE = " \t\r\n"


def parse_expr(text: str, keep_order: bool = False) -> sp.Expr:
    """Parse one expression of the grammar into sympy, or raise ParseError saying what and where; with
    `keep_order`, sums (and a minus before one) are built unevaluated, in the order typed (to print the question)."""
    parser = _Parser(text)
    parser.keep_order = keep_order
    return parser.parse()


def parse_equation(text: str) -> tuple[str, sp.Expr]:
    """Parse `NAME = EXPR` into the validated name and the parsed expression."""
    _check_text(text)
    match = _EQUATION.match(text)
    if not match:
        raise ParseError("expected 'NAME = EXPR'", column=1, token=text.strip()[:40] or None)
    name, column = match[1], match.start(1) + 1
    if not symbols.NAME_PATTERN.match(name) or name in RESERVED:
        raise ParseError(f"{name!r} cannot be defined: use letters, digits and _, starting with a letter, "
                         "and not the name of a function or constant", column=column, token=name)
    parser = _Parser(text, start=match.end())
    expr = parser.parse()
    if name in parser.names:
        raise ParseError(f"{name!r} is defined in terms of itself", column=column, token=name)
    return name, expr


def _check_text(text: str) -> None:
    """Input is a string of printable ASCII, tabs and newlines, at most MAX_LENGTH long."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"input is too long: {len(text)} characters (at most {MAX_LENGTH})", column=MAX_LENGTH + 1)
    bad = re.search(r"[^\x20-\x7e\t\r\n]", text)
    if bad:
        raise ParseError(f"character {bad[0]!r} is not allowed (write ASCII: - for minus, * for times, "
                         "sigmoid for the Greek sigma)", column=bad.start() + 1, token=bad[0])


def _is_name(node: ast.AST, *excluded: str) -> bool:
    """Whether `node` is a plain name of the grammar, other than the excluded ones."""
    return isinstance(node, ast.Name) and bool(symbols.NAME_PATTERN.match(node.id)) and node.id not in excluded


def _carets_as_powers(body: str) -> tuple[str, list[int]]:
    """`^` means power with the precedence of `**` (x^2 + 1 is x² + 1): each becomes `**`; also returns
    the position of every inserted character, so that error columns point into the user's text."""
    pieces, inserted, position = body.split("^"), [], 0
    for piece in pieces[:-1]:
        position += len(piece) + 2
        inserted.append(position - 1)
    return "**".join(pieces), inserted


class _Parser:
    """One parse of one text: the caps, the AST walk, and the column each error points at."""

    def __init__(self, text: str, start: int = 0):
        _check_text(text)
        self.text = text
        self.base = len(text) - len(text[start:].lstrip())  # where the expression starts
        self.lines = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text[self.base:])]
        self.names, self.index_names, self.vector_names = set(), set(), set()
        self.carets: list[int] = []
        self.keep_order = False

    def parse(self) -> sp.Expr:
        body, self.carets = _carets_as_powers(self.text[self.base:])
        self.lines = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", body)]
        if not body.strip():
            raise ParseError("empty expression", column=len(self.text) + 1)
        depth = 0
        for offset, char in enumerate(body):
            depth += (char in "([{") - (char in ")]}")
            if depth > MAX_DEPTH:
                raise ParseError(f"brackets are nested too deeply (at most {MAX_DEPTH})",
                                 column=self.base + offset + 1, token=char)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning for 2(x) and the like
                tree = ast.parse(body, mode="eval")
        except SyntaxError as err:
            raise self._syntax_error(err) from None
        except (RecursionError, MemoryError, ValueError):
            raise ParseError("expression is nested too deeply", column=self.base + 1) from None
        self._survey(tree.body)
        self.dummy = symbols.index(next(d for d in (*DUMMIES, *(f"j{k}" for k in range(len(self.names) + 1)))
                                        if d not in self.names))
        return self.visit(tree.body)

    # --- where: columns, tokens and errors --------------------------------------------------------
    def _span(self, node: ast.AST) -> tuple[int, int]:
        return (self._original(self.lines[node.lineno - 1] + node.col_offset),
                self._original(self.lines[node.end_lineno - 1] + node.end_col_offset))

    def _original(self, position: int) -> int:
        """A position in the parsed body (where each ^ became **) as a position in the user's text."""
        return self.base + position - sum(1 for extra in self.carets if extra <= position)

    def _fail(self, message: str, node: ast.AST, *, at: int | None = None, token: str | None = None) -> ParseError:
        start, end = self._span(node)
        token = token or self.text[start:end]
        return ParseError(message, column=(start if at is None else at) + 1,
                          token=token if len(token) <= 40 else token[:37] + "...")

    def _skip(self, position: int, chars: str, step: int = 1) -> int:
        while 0 <= position < len(self.text) and self.text[position] in chars:
            position += step
        return position

    def _syntax_error(self, err: SyntaxError) -> ParseError:
        end = len(self.text.rstrip())
        known = err.offset and 1 <= (err.lineno or 0) <= len(self.lines)
        at = self._skip(self._original(self.lines[err.lineno - 1] + err.offset - 1) if known else end, _SPACE)
        if at >= end:
            return ParseError("unexpected end of input", column=end + 1)
        token, before = _TOKEN.match(self.text, at)[0], self.text[:at].rstrip()[-1:]
        found = [message.format(*match.groups()) for pattern, message in _SYNTAX if (match := pattern.search(err.msg))]
        found += [f"{token!r} is a reserved word"] * keyword.iskeyword(token)
        found += ["missing operator (write * for a product)"] * (
            (before.isalnum() or before in "_)]") and (token[0].isalnum() or token in "(_"))
        return ParseError((found or [f"unexpected {token!r}"])[0], column=at + 1, token=token)

    # --- before building: caps, and the role of each name ----------------------------------------
    def _survey(self, root: ast.expr) -> None:
        """Count expressions and their depth (a chain a+b-c counts once; operators and contexts count nothing);
        find the names used as indices and vectors. Errors point at the nearest enclosing expression."""
        count, stack = 0, [(root, 1, root)]
        while stack:
            node, depth, where = stack.pop()
            if isinstance(node, ast.expr):
                count, where = count + 1, node
                if count > MAX_NODES:
                    raise self._fail(f"expression is too large (at most {MAX_NODES} parts)", node)
                if depth > MAX_DEPTH:
                    raise self._fail(f"expression is nested too deeply (at most {MAX_DEPTH} levels)", node)
            if isinstance(node, ast.Name):
                self.names.add(node.id)
            for child in ast.iter_child_nodes(node):
                chain = (isinstance(node, ast.BinOp) and child is node.left and isinstance(child, ast.BinOp)
                         and _FAMILY.get(type(node.op), 1) == _FAMILY.get(type(child.op), 2))
                nested = isinstance(child, ast.expr) and not chain
                stack.append((child, depth + nested, where))
            indices, vector = self._roles(node)
            self.index_names.update(n.id for i in indices for n in ast.walk(i) if isinstance(n, ast.Name))
            if isinstance(vector, ast.Name):
                self.vector_names.add(vector.id)

    @staticmethod
    def _roles(node: ast.AST) -> tuple[list[ast.AST], ast.AST | None]:
        """The subtrees of `node` in index position, and its subtree in vector position."""
        if isinstance(node, ast.Subscript):
            return [node.slice], node.value
        name = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
        if name == "KroneckerDelta":
            return node.args, None
        if name in ("Sum", "softmax") and node.args:
            return node.args[1:], node.args[0] if name == "softmax" else None
        return [], None

    # --- the walk --------------------------------------------------------------------------------
    def visit(self, node: ast.AST) -> sp.Expr:
        handler, symbol = _HANDLERS.get(type(node)), _OPERATORS.get(type(getattr(node, "op", None)))
        if handler is None:
            raise self._forbidden(node)
        if symbol:
            at = self._operator_at(node) if isinstance(node, ast.BinOp) else None
            raise self._fail(f"operator {symbol!r} is not allowed", node, at=at, token=symbol)
        try:
            value = getattr(self, handler)(node)
        except (TypeError, ValueError, ArithmeticError, NotImplementedError) as err:
            raise self._fail(f"cannot build this expression ({err})", node) from None
        if isinstance(node, (ast.Call, ast.BinOp)) and value.has(*_UNDEFINED, sp.I):
            problem = "not a real number" if value.has(sp.I) else "undefined (division by zero?)"
            raise self._fail(f"the expression is {problem} here", node)
        for part in (value, *value.args):
            if part.is_Rational and digits(part) > MAX_DIGITS:
                raise self._fail(f"a number here has more than {MAX_DIGITS} digits", node)
            if part.is_Pow and part.exp.is_Rational and max(abs(part.exp.p), part.exp.q) > MAX_EXPONENT:
                raise self._fail(f"exponent {part.exp} is too large (at most {MAX_EXPONENT})", node)
        return value

    def _forbidden(self, node: ast.AST) -> ParseError:
        what = _FORBIDDEN.get(type(node).__name__, f"{type(node).__name__} is") + " not allowed"
        if not isinstance(node, ast.Attribute):
            return self._fail(what, node)
        while isinstance(node.value, ast.Attribute):
            node = node.value
        return self._fail(what, node, at=self._skip(self._span(node.value)[1], _SPACE + ")"))

    def _constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = {str: "strings are", bytes: "strings are", complex: "imaginary numbers are"}
            raise self._fail(kind.get(type(value), f"{value!r} is") + " not allowed", node)
        if isinstance(value, float):  # exact: 0.1 is 1/10, from the text rather than the binary float
            start, end = self._span(node)
            whole, fraction, exponent = _DECIMAL.match(self.text[start:end].replace("_", "")).groups()
            if len(whole + (fraction or "")) > MAX_DIGITS or abs(int(exponent or 0)) > MAX_DIGITS:
                raise self._fail(f"number literal is too long (at most {MAX_DIGITS} digits)", node)
            number = sp.Rational(int(whole + (fraction or "") or 0), 10 ** len(fraction or ""))
            return number * sp.Integer(10) ** int(exponent or 0)
        if value.bit_length() > 4 * MAX_DIGITS or digits(sp.Integer(value)) > MAX_DIGITS:
            raise self._fail(f"number literal has more than {MAX_DIGITS} digits", node)
        return sp.Integer(value)

    def _name(self, node: ast.Name) -> sp.Expr:
        name = self._checked(node)
        if name in CONSTANTS or name == "N":
            return CONSTANTS.get(name, symbols.N)
        if name in RESERVED:
            raise self._fail(f"{name!r} is a function: write {name}(...)", node)
        if name in self.vector_names:
            raise self._fail(f"{name!r} is a vector here: write {name}[i]", node)
        return symbols.index(name) if name in self.index_names else symbols.scalar(name)

    def _checked(self, node: ast.Name) -> str:
        if not symbols.NAME_PATTERN.match(node.id):
            raise self._fail(f"name {node.id!r} is not allowed: names start with a letter", node)
        return node.id

    def _unary(self, node: ast.UnaryOp) -> sp.Expr:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.USub) and self.keep_order:
            return sp.Mul(sp.S.NegativeOne, value, evaluate=False) if value.is_Add else -value
        return -value if isinstance(node.op, ast.USub) else value

    def _binop(self, node: ast.BinOp) -> sp.Expr:
        family = _FAMILY.get(type(node.op))
        if family is None:
            return self._power(node)
        terms = []
        for operand, inverse in self._chain(node, (ast.Mult, ast.Div) if family == "*" else (ast.Add, ast.Sub)):
            sign, inner = 1, operand
            while family == "*" and isinstance(inner, ast.UnaryOp) and type(inner.op) in (ast.USub, ast.UAdd):
                sign, inner = sign * (-1 if isinstance(inner.op, ast.USub) else 1), inner.operand
            value = self.visit(inner)
            if family == "*" and inverse and value == 0:
                raise self._fail("division by zero", operand)
            terms += [sp.S.NegativeOne] * (sign < 0)
            terms.append(-value if inverse and family == "+" else 1 / value if inverse else value)
        if family == "*" and sum(digits(term.as_coeff_Mul()[0]) for term in terms) > MAX_DIGITS:
            raise self._fail(f"this product has more than {MAX_DIGITS} digits", node)
        return sp.Add(*terms, evaluate=not self.keep_order) if family == "+" else sp.Mul(*terms)

    @staticmethod
    def _chain(node: ast.BinOp, ops: tuple[type, type]) -> list[tuple[ast.expr, bool]]:
        """The operands of a chain a*b/c or a+b-c, each with whether it divides or is subtracted.

        A product in a denominator is part of the chain: -a/(2*b) is -1, a, 1/2 and 1/b, as sympy prints it."""
        operands, stack = [], [(node, False, True)]
        while stack:
            node, inverse, spine = stack.pop()
            if isinstance(node, ast.BinOp) and type(node.op) in ops and (spine or inverse and ops[1] is ast.Div):
                stack += [(node.right, inverse != (type(node.op) is ops[1]), False), (node.left, inverse, spine)]
            else:
                operands.append((node, inverse))
        return operands

    def _power(self, node: ast.BinOp) -> sp.Expr:
        """a**b (and a^b, read as a**b); the exponent and the size of a numeric result are checked first."""
        base, exponent = self.visit(node.left), self.visit(node.right)
        if exponent.is_Rational and max(abs(exponent.p), exponent.q) > MAX_EXPONENT:
            raise self._fail(f"exponent {exponent} is too large (at most {MAX_EXPONENT})", node.right)
        if exponent.is_Rational and abs(exponent) * sum(map(digits, base.atoms(sp.Rational))) > MAX_DIGITS:
            raise self._fail(f"this power has more than {MAX_DIGITS} digits", node)
        return sp.Pow(base, exponent)

    def _operator_at(self, node: ast.BinOp) -> int:
        return self._skip(self._span(node.left)[1], _SPACE + ")")

    def _call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            self.visit(node.func)
            raise self._fail("only named functions can be called (write * for a product)", node.func)
        name = self._checked(node.func)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._forbidden(arg)
        if node.keywords:
            raise self._fail("keyword arguments are not allowed", node.keywords[0])
        if name not in FUNCTIONS and name not in SPECIAL:
            close = function_names.spelling_of(name, tuple(SPECIAL))
            hint = f"; did you mean {close!r}?" if close else f"; for a product write {name}*(...)"
            raise self._fail(f"unknown function {name!r}{hint}", node.func)
        if name == "Piecewise":
            return self._piecewise(node)
        count, at_least = (2, name == "Sum") if name in SPECIAL else (1, False)
        known = function_names.lookup(name)
        least, most = (known.least, known.most) if known else (count, None if at_least else count)
        if len(node.args) < least or (most is not None and len(node.args) > most):
            wanted = known.arity() if known else f"{'at least ' * at_least}{count} arguments"
            raise self._fail(f"{name}() takes {wanted}, "
                             f"got {len(node.args)}", node.func)
        if name in SPECIAL:
            return getattr(self, SPECIAL[name])(node)
        return FUNCTIONS[name](*(self.visit(arg) for arg in node.args))

    def _piecewise(self, node: ast.Call) -> sp.Expr:
        """Piecewise((expr, condition), ...): each condition a comparison such as x > 0 or 0 <= x < 1, or True."""
        if not node.args:
            raise self._fail("Piecewise() takes at least one (expression, condition) pair", node.func)
        pieces = []
        for pair in node.args:
            if not (isinstance(pair, ast.Tuple) and len(pair.elts) == 2):
                raise self._fail("each piece is written (expression, condition), as in (x**2, x > 0)", pair)
            pieces.append((self.visit(pair.elts[0]), self._condition(pair.elts[1])))
        try:
            return sp.Piecewise(*pieces)
        except (TypeError, ValueError) as err:
            raise self._fail(f"cannot build these cases ({err})", node) from None

    def _condition(self, node: ast.expr) -> sp.Basic:
        """A case's condition: True, a comparison (chained ones too), or 'and'/'or' of conditions."""
        if isinstance(node, ast.Constant) and node.value is True:
            return sp.true
        if isinstance(node, ast.BoolOp):
            parts = [self._condition(value) for value in node.values]
            return sp.And(*parts) if isinstance(node.op, ast.And) else sp.Or(*parts)
        if not isinstance(node, ast.Compare):
            raise self._fail("a condition is a comparison such as x > 0, or True", node)
        relations = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge}
        sides, parts = [self.visit(node.left), *(self.visit(c) for c in node.comparators)], []
        for n, op in enumerate(node.ops):
            if type(op) not in relations:
                raise self._fail("a condition compares with <, <=, > or >=", node)
            parts.append(relations[type(op)](sides[n], sides[n + 1]))
        return sp.And(*parts)

    def _sum(self, node: ast.Call) -> sp.Expr:
        """Sum(f, (j, a, b), ...): j a name other than N, a and b indices."""
        body = self.visit(node.args[0])
        for limit in node.args[1:]:
            if not (isinstance(limit, ast.Tuple) and len(limit.elts) == 3 and _is_name(limit.elts[0], "N")):
                raise self._fail("Sum limits must be written (j, 1, N), with a name j other than N", limit)
        return sp.Sum(body, *(tuple(map(self._index, limit.elts)) for limit in node.args[1:]))

    def _delta(self, node: ast.Call) -> sp.Expr:
        return sp.KroneckerDelta(*map(self._index, node.args))

    def _softmax(self, node: ast.Call) -> sp.Expr:
        """softmax(x, i) is e^{x_i} / Sum(e^{x_j}, (j, 1, N)), with a dummy j that the text does not use."""
        vector, i = node.args
        if not _is_name(vector, *RESERVED):
            raise self._fail("softmax takes a vector name and an index, as in softmax(x, i)", vector)
        return softmax_component(symbols.vector(vector.id), self._index(i), symbols.N, self.dummy)

    def _subscript(self, node: ast.Subscript) -> sp.Expr:
        if not _is_name(node.value, *RESERVED):
            raise self._fail("only a vector name can be subscripted, as in x[i]", node.value)
        if isinstance(node.slice, (ast.Slice, ast.Tuple)):
            raise self._fail("a vector takes one index, as in x[i]", node.slice)
        return symbols.vector(node.value.id)[self._index(node.slice)]

    def _index(self, node: ast.expr) -> sp.Expr:
        """An index is a name, an integer, or +, - and * of indices, as in i+1."""
        if isinstance(node, ast.Name):
            if self._checked(node) in RESERVED - {"N"} or node.id in self.vector_names:
                raise self._fail(f"{node.id!r} cannot be an index", node)
            return symbols.index(node.id)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return self._constant(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -self._index(node.operand) if isinstance(node.op, ast.USub) else self._index(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return _ARITHMETIC[type(node.op)](self._index(node.left), self._index(node.right))
        raise self._fail("an index must be a name, an integer, or a sum such as i+1", node)


_HANDLERS = {ast.Constant: "_constant", ast.Name: "_name", ast.UnaryOp: "_unary", ast.BinOp: "_binop",
             ast.Call: "_call", ast.Subscript: "_subscript"}
