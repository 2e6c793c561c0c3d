"""An expression printed as it was typed: the safe parser checks the text, then its syntax tree is printed as LaTeX
in the writer's own order, without evaluation (-(y - y*p - p + y*p)*x stays that, it does not become -x(y - p))."""
from __future__ import annotations

import ast
import warnings

import sympy as sp

from symderiv.output.printing import to_latex
from symderiv.read.parse import FUNCTIONS, _carets_as_powers, parse_expr

HEADS = {  # function name -> LaTeX around its printed argument
    "exp": "e^{{{}}}", "log": r"\ln\left({}\right)", "ln": r"\ln\left({}\right)", "sqrt": r"\sqrt{{{}}}",
    "sin": r"\sin\left({}\right)", "cos": r"\cos\left({}\right)", "tan": r"\tan\left({}\right)",
    "tanh": r"\tanh\left({}\right)", "sigmoid": r"\sigma\left({}\right)", "relu": r"\operatorname{{relu}}\left({}\right)",
    "abs": r"\left|{}\right|", "Abs": r"\left|{}\right|",
}
ADD, MUL, UNARY, POWER, ATOM = range(1, 6)  # binding strength of what a node prints as


def verbatim_latex(text: str) -> str:
    """LaTeX of `text` in its own order; the text must be an expression the safe parser accepts (else ParseError)."""
    parse_expr(text)  # every cap and the whitelist apply before anything is printed
    body, _ = _carets_as_powers(text.strip())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(body, mode="eval")
    return _Printer(body).show(tree.body)[0]


class _Printer:
    """One walk of a checked syntax tree; each node prints as (LaTeX, binding strength)."""

    def __init__(self, source: str):
        self.source = source

    def show(self, node: ast.expr) -> tuple[str, int]:
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.UnaryOp):
            inner, strength = self.show(node.operand)
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            return sign + (_paren(inner) if strength <= ADD else inner), UNARY
        if isinstance(node, ast.Call) and node.func.id in HEADS and node.func.id in FUNCTIONS and len(node.args) == 1:
            return HEADS[node.func.id].format(self.show(node.args[0])[0]), ATOM
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            return ast.get_source_segment(self.source, node).replace("_", ""), ATOM
        if isinstance(node, ast.Name) and node.id != "pi":  # E is a name as typed (an error E), not e
            return to_latex(sp.Symbol(node.id)), ATOM
        return to_latex(parse_expr(ast.get_source_segment(self.source, node))), ATOM  # x[i], Sum, softmax, δ

    def _binop(self, node: ast.BinOp) -> tuple[str, int]:
        (left, ls), (right, rs) = self.show(node.left), self.show(node.right)
        if isinstance(node.op, ast.Div):
            return rf"\frac{{{left}}}{{{right}}}", ATOM
        if isinstance(node.op, ast.Pow):
            plain = isinstance(node.left, (ast.Name, ast.Subscript)) or (
                isinstance(node.left, ast.Constant) and not isinstance(node.left.value, float))
            return f"{left if plain else _paren(left)}^{{{right}}}", POWER
        if isinstance(node.op, (ast.Add, ast.Sub)):
            sign = " + " if isinstance(node.op, ast.Add) else " - "
            return left + sign + (_paren(right) if rs <= UNARY and rs != MUL else right), ADD
        left = _paren(left) if ls == ADD else left
        right = _paren(right) if rs <= UNARY else right
        joint = r" \cdot " if right[:1].isdigit() or right.startswith("-") else " "
        return left + joint + right, MUL


def _paren(tex: str) -> str:
    return rf"\left({tex}\right)"
