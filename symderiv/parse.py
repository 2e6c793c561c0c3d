"""User text to sympy: a whitelist walk over Python's AST; nothing the user types is ever evaluated."""
from __future__ import annotations

import ast
import difflib
import keyword
import math
import re
import warnings

import sympy as sp

from . import symbols
from .errors import ParseError
from .functions import relu, sigmoid, softmax_component

MAX_LENGTH = 5000  # characters of input
MAX_NODES = 3000  # expression nodes in the syntax tree
MAX_DEPTH = 60  # nesting of brackets, and of operators (a chain a+b+c counts once)
MAX_LITERAL_DIGITS = 50  # digits of a number literal, and the size of its e-exponent
MAX_EXPONENT = 1000  # numerator and denominator of a numeric exponent
MAX_NUMBER_DIGITS = 200  # digits of any number the expression computes, such as 2**600

FUNCTIONS = {"exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos,
             "tan": sp.tan, "tanh": sp.tanh, "sigmoid": sigmoid, "relu": relu, "abs": sp.Abs, "Abs": sp.Abs}
SPECIAL = {"Sum": "_sum", "KroneckerDelta": "_delta", "softmax": "_softmax"}
CONSTANTS = {"pi": sp.pi, "E": sp.E}
RESERVED = set(FUNCTIONS) | set(SPECIAL) | set(CONSTANTS)
DUMMIES = ("j", "m", "n", "l")  # the summation index of softmax: the first one the text does not use

_FORBIDDEN = {
    ast.Attribute: "attribute access is not allowed", ast.Lambda: "lambda is not allowed",
    ast.JoinedStr: "f-strings are not allowed", ast.FormattedValue: "f-strings are not allowed",
    ast.Compare: "comparisons are not allowed", ast.BoolOp: "'and' and 'or' are not allowed",
    ast.IfExp: "conditional expressions are not allowed", ast.NamedExpr: "assignments are not allowed",
    ast.List: "lists are not allowed", ast.Tuple: "tuples are not allowed here", ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed", ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed", ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generators are not allowed", ast.Starred: "'*' arguments are not allowed",
    ast.Slice: "slices are not allowed", ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed", ast.YieldFrom: "yield is not allowed",
}
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.BitXor: "^",
              ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
              ast.BitOr: "|", ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not"}
_FAMILY = {ast.Add: "+", ast.Sub: "+", ast.Mult: "*", ast.Div: "*"}
_SYNTAX = [  # Python's SyntaxError message -> ours
    (re.compile(r"'(.)' was never closed"), lambda m: f"'{m[1]}' is never closed"),
    (re.compile(r"unmatched '(.)'"), lambda m: f"unmatched '{m[1]}'"),
    (re.compile(r"unterminated|EOL|EOF"), lambda m: "strings are not allowed"),
    (re.compile(r"literal|leading zeros|Exceeds the limit"), lambda m: "invalid number"),
    (re.compile(r"'else'"), lambda m: "conditional expressions are not allowed"),
]
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\*\*|//|[<>=!]=|\S")
_DECIMAL = re.compile(r"([\d_]*)(?:\.([\d_]*))?(?:[eE]([+-]?[\d_]+))?\Z")
_EQUATION = re.compile(r"\s*(\w+)\s*=(?!=)")
_UNDEFINED = (sp.zoo, sp.nan, sp.oo, -sp.oo)


def parse_expr(text: str) -> sp.Expr:
    """Parse one expression of the grammar into sympy, or raise ParseError saying what and where."""
    return _Parser(text).parse()


def parse_equation(text: str) -> tuple[str, sp.Expr]:
    """Parse `NAME = EXPR` into the validated name and the parsed expression."""
    _check_text(text)
    match = _EQUATION.match(text)
    if not match:
        raise ParseError("expected 'NAME = EXPR'", column=1, token=text.strip()[:40] or None)
    name, column = match[1], match.start(1) + 1
    if not symbols.NAME_PATTERN.match(name) or name in RESERVED or name == "N":
        raise ParseError(f"{name!r} cannot be defined: use a name of letters, digits and _, starting with a letter, "
                         "that is not a function or constant", column=column, token=name)
    parser = _Parser(text, start=match.end())
    expr = parser.parse()
    if name in parser.names:
        raise ParseError(f"{name!r} is defined in terms of itself", column=column, token=name)
    return name, expr


def _check_text(text: str) -> None:
    """Input must be a string of printable ASCII (plus tabs and newlines), at most MAX_LENGTH long."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"input is too long: {len(text)} characters (at most {MAX_LENGTH})", column=MAX_LENGTH + 1)
    bad = re.search(r"[^\x20-\x7e\t\r\n]", text)
    if bad:
        raise ParseError(f"character {bad[0]!r} is not allowed: use ASCII, e.g. - * sigmoid",
                         column=bad.start() + 1, token=bad[0])


class _Parser:
    """One parse of one text: the AST walk, the caps, and where each error points."""

    def __init__(self, text: str, start: int = 0):
        _check_text(text)
        self.text = text
        self.base = start + len(text[start:]) - len(text[start:].lstrip())
        body = text[self.base:]
        self.lines = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", body)]
        self.names: set[str] = set()
        self.index_names: set[str] = set()
        self.vector_names: set[str] = set()

    def parse(self) -> sp.Expr:
        body = self.text[self.base:]
        if not body.strip():
            raise ParseError("empty expression", column=len(self.text) + 1)
        self._check_brackets(body)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(body, mode="eval")
        except SyntaxError as err:
            raise self._syntax_error(err) from None
        except (RecursionError, MemoryError, ValueError):
            raise ParseError("expression is nested too deeply", column=self.base + 1) from None
        self._survey(tree.body)
        self.dummy = symbols.index(next(d for d in DUMMIES + tuple(f"j{k}" for k in range(len(self.names) + 1))
                                        if d not in self.names))
        return self.visit(tree.body)

    # --- where: columns, tokens and errors --------------------------------------------------------
    def _offset(self, lineno: int, col: int) -> int:
        return self.base + self.lines[lineno - 1] + col

    def _span(self, node: ast.AST) -> tuple[int, int]:
        return self._offset(node.lineno, node.col_offset), self._offset(node.end_lineno, node.end_col_offset)

    def _fail(self, message: str, node: ast.AST | None = None, *, at: int | None = None, token: str | None = None):
        if node is not None:
            start, end = self._span(node)
            at = start if at is None else at
            token = token or self.text[start:end]
        token = token if token is None or len(token) <= 40 else token[:37] + "..."
        return ParseError(message, column=None if at is None else at + 1, token=token)

    def _skip(self, position: int, chars: str, step: int = 1) -> int:
        while 0 <= position < len(self.text) and self.text[position] in chars:
            position += step
        return position

    def _syntax_error(self, err: SyntaxError) -> ParseError:
        end = len(self.text.rstrip())
        at = self._offset(err.lineno, err.offset - 1) if err.offset and 1 <= (err.lineno or 0) <= len(self.lines) else end
        at = self._skip(at, " \t\r\n")
        if at >= end:
            return ParseError("unexpected end of input", column=end + 1)
        token = _TOKEN.match(self.text, at)[0]
        for pattern, message in _SYNTAX:
            if pattern.search(err.msg):
                return ParseError(message(pattern.search(err.msg)), column=at + 1, token=token)
        if keyword.iskeyword(token):
            return ParseError(f"{token!r} is a reserved word", column=at + 1, token=token)
        before = self.text[:at].rstrip()[-1:]
        if (before.isalnum() or before in "_)]") and (token[0].isalnum() or token in "(_"):
            return ParseError("missing operator (write * for a product)", column=at + 1, token=token)
        return ParseError(f"unexpected {token!r}", column=at + 1, token=token)

    # --- caps and roles, before anything is built ------------------------------------------------
    def _check_brackets(self, body: str) -> None:
        depth = 0
        for offset, char in enumerate(body):
            depth += (char in "([{") - (char in ")]}")
            if depth > MAX_DEPTH:
                raise ParseError(f"brackets are nested too deeply (at most {MAX_DEPTH})",
                                 column=self.base + offset + 1, token=char)

    def _survey(self, root: ast.expr) -> None:
        """Count nodes and depth (a chain a+b+c counts once); find the names used as indices and vectors."""
        count, stack = 0, [(root, 1)]
        while stack:
            node, depth = stack.pop()
            count += isinstance(node, ast.expr)
            if count > MAX_NODES:
                raise self._fail(f"expression is too large (at most {MAX_NODES} parts)", node)
            if depth > MAX_DEPTH:
                raise self._fail(f"expression is nested too deeply (at most {MAX_DEPTH} levels)", node)
            if isinstance(node, ast.Name):
                self.names.add(node.id)
            for child in ast.iter_child_nodes(node):
                chain = (isinstance(node, ast.BinOp) and child is node.left and isinstance(child, ast.BinOp)
                         and _FAMILY.get(type(node.op), 1) == _FAMILY.get(type(child.op), 2))
                stack.append((child, depth + (not chain)))
            indices, vector = self._roles(node)
            self.index_names.update(n.id for i in indices for n in ast.walk(i) if isinstance(n, ast.Name))
            if isinstance(vector, ast.Name):
                self.vector_names.add(vector.id)

    @staticmethod
    def _roles(node: ast.AST) -> tuple[list[ast.AST], ast.AST | None]:
        """The subtrees of `node` in index position, and the node in vector position."""
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
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise self._forbidden(node)
        try:
            value = getattr(self, handler)(node)
        except (TypeError, ValueError, ArithmeticError, NotImplementedError) as err:
            raise self._fail(f"cannot build this expression ({err})", node) from None
        if isinstance(node, (ast.Call, ast.BinOp)) and value.has(*_UNDEFINED):
            raise self._fail("the expression is undefined here (division by zero?)", node)
        if isinstance(node, (ast.Call, ast.BinOp)) and value.has(sp.I):
            raise self._fail("the expression is not a real number here", node)
        if max((_digits(a) for a in (value, *value.args) if a.is_Rational), default=0) > MAX_NUMBER_DIGITS:
            raise self._fail(f"a number here has more than {MAX_NUMBER_DIGITS} digits", node)
        return value

    def _forbidden(self, node: ast.AST) -> ParseError:
        if isinstance(node, ast.Attribute):
            while isinstance(node.value, ast.Attribute):
                node = node.value
            return self._fail(_FORBIDDEN[ast.Attribute], node, at=self._skip(self._span(node.value)[1], " \t)"))
        return self._fail(_FORBIDDEN.get(type(node), f"{type(node).__name__} is not allowed"), node)

    def _constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or value is None or value is ...:
            raise self._fail(f"{value!r} is not allowed", node)
        if isinstance(value, (str, bytes)):
            raise self._fail("strings are not allowed", node)
        if isinstance(value, complex):
            raise self._fail("imaginary numbers are not allowed", node)
        if isinstance(value, int):
            if abs(value) >= 10**MAX_LITERAL_DIGITS:
                raise self._fail(f"number literal has more than {MAX_LITERAL_DIGITS} digits", node)
            return sp.Integer(value)
        start, end = self._span(node)
        whole, fraction, exponent = _DECIMAL.match(self.text[start:end].replace("_", "")).groups()
        digits, exponent = (whole or "") + (fraction or ""), int(exponent or 0)
        if len(digits.lstrip("0")) > MAX_LITERAL_DIGITS or abs(exponent) > MAX_LITERAL_DIGITS:
            raise self._fail(f"number literal is too large (at most {MAX_LITERAL_DIGITS} digits)", node)
        return sp.Rational(int(digits or 0), 10 ** len(fraction or "")) * sp.Integer(10) ** exponent

    def _name(self, node: ast.Name) -> sp.Expr:
        name = self._checked(node)
        if name in CONSTANTS:
            return CONSTANTS[name]
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
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise self._fail(f"operator {_OPERATORS[type(node.op)]!r} is not allowed", node,
                             token=_OPERATORS[type(node.op)])
        value = self.visit(node.operand)
        return -value if isinstance(node.op, ast.USub) else value

    def _binop(self, node: ast.BinOp) -> sp.Expr:
        family = _FAMILY.get(type(node.op))
        if family is None and not isinstance(node.op, (ast.Pow, ast.BitXor)):
            symbol = _OPERATORS[type(node.op)]
            raise self._fail(f"operator {symbol!r} is not allowed", node, at=self._operator_at(node), token=symbol)
        if family is None:
            return self._power(node)
        chain = []
        while isinstance(node, ast.BinOp) and _FAMILY.get(type(node.op)) == family:
            chain.append((node.op, node.right))
            node = node.left
        terms = [self.visit(node)]
        for op, right in reversed(chain):
            value = self.visit(right)
            if isinstance(op, ast.Div) and value == 0:
                raise self._fail("division by zero", right)
            terms.append(-value if isinstance(op, ast.Sub) else 1 / value if isinstance(op, ast.Div) else value)
        if family == "+":
            return sp.Add(*terms)
        if sum(_digits(t.as_coeff_Mul()[0]) for t in terms) > MAX_NUMBER_DIGITS:
            raise self._fail(f"this product has more than {MAX_NUMBER_DIGITS} digits", node)
        return sp.Mul(*terms)

    def _power(self, node: ast.BinOp) -> sp.Expr:
        if isinstance(node.op, ast.BitXor) and not (self._atomic(node.left) and self._atomic(node.right, True)):
            raise self._fail("'^' needs parentheses here, or write '**' ('^' binds more loosely than + - * / "
                        "and unary minus)", node, at=self._operator_at(node), token="^")
        base, exponent = self.visit(node.left), self.visit(node.right)
        if exponent.is_Rational and max(abs(exponent.p), exponent.q) > MAX_EXPONENT:
            raise self._fail(f"exponent {exponent} is too large (at most {MAX_EXPONENT})", node.right)
        if exponent.is_Rational and abs(exponent) * sum(map(_digits, base.atoms(sp.Rational))) > MAX_NUMBER_DIGITS:
            raise self._fail(f"this power has more than {MAX_NUMBER_DIGITS} digits", node)
        return sp.Pow(base, exponent)

    def _atomic(self, node: ast.expr, right: bool = False) -> bool:
        """An operand of ^ whose grouping Python and mathematics agree on."""
        if isinstance(node, (ast.Name, ast.Constant, ast.Call, ast.Subscript)):
            return True
        start, end = self._span(node)
        before, after = self._skip(start - 1, " \t\r\n", -1), self._skip(end, " \t\r\n")
        if before >= self.base and self.text[before] == "(" and self.text[after:after + 1] == ")":
            return True
        return right and (isinstance(node, ast.UnaryOp) and self._atomic(node.operand, True)
                          or isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow))

    def _operator_at(self, node: ast.BinOp) -> int:
        return self._skip(self._span(node.left)[1], " \t\r\n)")

    def _call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            self.visit(node.func)
            raise self._fail("only named functions can be called", node.func)
        name = self._checked(node.func)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._forbidden(arg)
        if node.keywords:
            raise self._fail("keyword arguments are not allowed", node.keywords[0])
        if name in SPECIAL:
            return getattr(self, SPECIAL[name])(node)
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, [*FUNCTIONS, *SPECIAL], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; for a product write {name}*(...)"
            raise self._fail(f"unknown function {name!r}{hint}", node.func)
        self._arity(node, 1)
        return FUNCTIONS[name](self.visit(node.args[0]))

    def _arity(self, node: ast.Call, count: int, at_least: bool = False) -> None:
        if len(node.args) < count or (len(node.args) > count and not at_least):
            plural = "s" if count > 1 else ""
            raise self._fail(f"{node.func.id}() takes {'at least ' * at_least}{count} argument{plural}, "
                             f"got {len(node.args)}", node.func)

    def _sum(self, node: ast.Call) -> sp.Expr:
        self._arity(node, 2, at_least=True)
        limits = []
        for limit in node.args[1:]:
            if not (isinstance(limit, ast.Tuple) and len(limit.elts) == 3 and isinstance(limit.elts[0], ast.Name)
                    and limit.elts[0].id != "N"):
                raise self._fail("Sum limits must be written (j, 1, N), with a name j other than N", limit)
            limits.append(tuple(self._index(e) for e in limit.elts))
        return sp.Sum(self.visit(node.args[0]), *limits)

    def _delta(self, node: ast.Call) -> sp.Expr:
        self._arity(node, 2)
        return sp.KroneckerDelta(*(self._index(arg) for arg in node.args))

    def _softmax(self, node: ast.Call) -> sp.Expr:
        self._arity(node, 2)
        vector, i = node.args
        if not isinstance(vector, ast.Name) or self._checked(vector) in RESERVED | {"N"}:
            raise self._fail("softmax takes a vector name and an index, as in softmax(x, i)", vector)
        return softmax_component(symbols.vector(vector.id), self._index(i), symbols.N, self.dummy)

    def _subscript(self, node: ast.Subscript) -> sp.Expr:
        if not isinstance(node.value, ast.Name):
            raise self._fail("only a vector name can be subscripted, as in x[i]", node.value)
        if self._checked(node.value) in RESERVED | {"N"}:
            raise self._fail(f"{node.value.id!r} is not a vector", node.value)
        if isinstance(node.slice, (ast.Slice, ast.Tuple)):
            raise self._fail("a vector takes one index, as in x[i]", node.slice)
        return symbols.vector(node.value.id)[self._index(node.slice)]

    def _index(self, node: ast.expr) -> sp.Expr:
        """An index is a name, an integer, or +, - and * of indices, as in i+1."""
        if isinstance(node, ast.Name) and self._checked(node) not in RESERVED and node.id not in self.vector_names:
            return symbols.index(node.id)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return self._constant(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -self._index(node.operand) if isinstance(node.op, ast.USub) else self._index(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            left, right = self._index(node.left), self._index(node.right)
            return left + right if isinstance(node.op, ast.Add) else left - right if isinstance(
                node.op, ast.Sub) else left * right
        raise self._fail("an index must be a name, an integer, or a sum such as i+1", node)


def _digits(number: sp.Rational) -> float:
    """About how many decimal digits a rational number's numerator and denominator have."""
    return (math.log10(abs(number.p)) if number.p else 0) + math.log10(number.q)


_HANDLERS = {ast.Constant: "_constant", ast.Name: "_name", ast.UnaryOp: "_unary", ast.BinOp: "_binop",
             ast.Call: "_call", ast.Subscript: "_subscript"}
