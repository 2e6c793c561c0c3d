"""Hints from a derivation: the ladder of rule names it uses, in order, and a derivation cut after its first steps."""
from __future__ import annotations


def rule_ladder(derivation: dict, rule_names: dict) -> list[str]:
    """One rung per step of the derivation's data: its rule's name, and the rules of what it cites, in order."""
    rungs = []
    for step in derivation["steps"]:
        inner = list(dict.fromkeys(rule_names.get(rule, rule) for used in step["uses"] for rule in _rules(used)))
        rung = rule_names.get(step["rule"], step["rule"])
        rungs.append(rung + (f" (inside: {', '.join(inner)})" if inner else ""))
    return rungs


def _rules(derivation: dict) -> list[str]:
    """Every rule of a cited derivation, depth first, in the order a reader meets them."""
    if derivation.get("ref"):
        return []
    found = []
    for step in derivation["steps"]:
        found.append(step["rule"])
        for used in step["uses"]:
            found += _rules(used)
    return found


def with_hints(data: dict, *, ladder: bool, steps: int | None) -> dict:
    """The solution's data with each part's ladder (`ladder`) and only its first `steps` steps (None: all); what
    would tell a hidden result (the part's matrix form and remarks, the problem's remarks) is left out."""
    parts = []
    for part in data["parts"]:
        part = dict(part)
        if ladder:
            part["ladder"] = rule_ladder(part["derivation"], data["rule_names"])
        if steps is not None and steps < len(part["derivation"]["steps"]):
            part["hidden"] = len(part["derivation"]["steps"]) - steps
            part["derivation"] = {**part["derivation"], "steps": part["derivation"]["steps"][:steps], "conditions_text": []}
        parts.append(part)
    hidden = any("hidden" in part for part in parts)  # the problem's remarks may tell a result that is hidden
    return {**data, "parts": parts, "remarks": [] if hidden else data["remarks"]}
