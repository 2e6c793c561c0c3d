"""The table of `symderiv functions`: every function of the grammar with the derivative its rule gives."""
from __future__ import annotations

import sympy as sp

from symderiv.derive.planner import derive
from symderiv.output.printing import text_relation, to_text
from symderiv.read import function_names
from symderiv.read.parse import parse_expr


def function_rows() -> list[dict]:
    """One row per function: its call on x, the derivative by the planner's rule, the rule's name, its conditions
    and its aliases. Nothing here is typed in: each derivative is the planner's."""
    from symderiv.output.render import rule_names

    names, x = rule_names(), sp.Symbol("x")
    aliases: dict[str, list[str]] = {}
    for alias, name in function_names.ALIASES.items():
        aliases.setdefault(name, []).append(alias)
    rows = []
    for name, known in function_names.NAMES.items():
        call = f"{name}({known.example})"
        derivation = derive(parse_expr(call), x)
        rules = [step.rule for step in derivation.steps if step.rule not in ("algebra", "chain")]
        rule = rules[0] if rules else derivation.steps[0].rule
        rows.append({"call": call, "derivative": to_text(derivation.result), "rule": names.get(rule, rule),
                     "conditions": [text_relation(c) for c in derivation.conditions],
                     "aliases": aliases.get(name, [])})
    return rows
