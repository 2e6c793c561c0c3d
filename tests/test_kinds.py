"""Step kinds: each kind's instance_of accepts the planner's own steps and rejects every relabelled one."""
import collections
import dataclasses
import json
from functools import lru_cache

import pytest
import sympy as sp

from mutation import links_with_facts, step_at, step_paths
from symderiv import catalog
from symderiv.check.verify import verify
from symderiv.derive.kinds import STEP_KINDS, Facts, registry
from symderiv.derive.planner import STRATEGY, derive
from symderiv.model.definitions import Definition
from symderiv.model.steps import Derivation, Step
from symderiv.output import render
from symderiv.read.parse import parse_expr

CATALOG = [
    ("sigmoid-derivative", {}, "auto"), ("sigmoid-derivative", {}, "quotient"),
    ("softmax-jacobian", {}, "auto"), ("softmax-jacobian", {}, "quotient"), ("softmax-jacobian", {}, "reciprocal"),
    ("softmax-vjp", {}, "auto"), ("cross-entropy-grad", {}, "auto"), ("softmax-cross-entropy", {}, "auto"),
    ("backprop", {}, "auto"), ("backprop", {"activation": "relu", "loss": "bce", "layers": "3"}, "auto"),
    ("backprop", {"activation": "tanh", "layers": "1"}, "auto"),
]
x, y = sp.symbols("x y")
EXPRESSIONS = [  # the corpus of --expr derivations: every rule of the strategy table, alone and combined
    ("x**3 + 2*x + a", x), ("x*sin(x)*exp(x)", x), ("exp(x)/(1 + x**2)", x), ("1/(1 + exp(-x))", x),
    ("log(cos(x))", x), ("tanh(exp(x))", x), ("(x**2 + 1)**3", x), ("sigmoid(3*x + 1)", x), ("relu(a*x)", x),
    ("sqrt(1 + x**2)", x), ("tan(x)*cos(x)", x), ("a**2", x), ("Sum(exp(x[j]), (j, 1, N))", "x[k]"),
    ("log(Sum(exp(x[j]), (j, 1, N)))", "x[i]"), ("Sum(a*x[j]**2, (j, 1, N))", "a"), ("x[i]*x[k]", "x[k]"),
]
DEFINED = [  # with named quantities: unfolded, differentiated, folded back, or along a Leibniz chain
    ("(d - sigmoid(w2*y))**2/2", "w1", {"y": "sigmoid(w1*x)"}),
    ("y**2 + y", "x", {"y": "exp(a*x)"}),
    ("E", "w", {"E": "(d - z)**2/2", "z": "tanh(p)", "p": "w*x"}),
]


@lru_cache(maxsize=None)
def solved(name, params, method):
    return catalog.solve(name, dict(params), method)


def catalog_links():
    """(where, previous, step, facts) for every link of every catalog derivation in the settings above."""
    for name, params, method in CATALOG:
        solution = solved(name, tuple(params.items()), method)
        for part in solution.parts:
            for previous, step, facts in links_with_facts(part.derivation, solution.definitions):
                yield f"{name} {params} {method} {part.id}", previous, step, facts


def corpus_links():
    """The same for the planner's derivations of typed expressions."""
    for text, var in EXPRESSIONS:
        var = parse_expr(var) if isinstance(var, str) else var
        yield from ((text, *link) for link in links_with_facts(derive(parse_expr(text), var)))
    for text, var, names in DEFINED:
        definitions = tuple(Definition(name=parse_expr(q), expr=parse_expr(v)) for q, v in names.items())
        derivation = derive(parse_expr(text), parse_expr(var), definitions=definitions)
        yield from ((text, *link) for link in links_with_facts(derivation, definitions))


def test_every_kind_has_its_own_id_statement_and_name():
    kinds = registry()
    assert len({k.id for k in STEP_KINDS} | {r.id for r in STRATEGY}) == len(kinds)
    assert set(kinds) == set(json.loads(render.template_directory().joinpath("rule_names.json").read_text()))
    assert all(isinstance(kind.statement, str) and kind.statement for kind in kinds.values())
    assert kinds["sum"] is not kinds["linearity"] and kinds["chain"] is not kinds["leibniz"]


@pytest.mark.parametrize("links", [catalog_links, corpus_links], ids=["catalog", "expr-corpus"])
def test_each_kind_accepts_the_planners_own_steps(links):
    kinds, seen = registry(), collections.Counter()
    for where, previous, step, facts in links():
        seen[step.rule] += 1
        assert kinds[step.rule].instance_of(previous, step, step.uses, facts), (where, step.rule, previous, step.rhs)
    assert len(seen) >= 12  # the corpus exercises most kinds, so an accepting bug in one would show


@pytest.mark.parametrize("links", [catalog_links, corpus_links], ids=["catalog", "expr-corpus"])
def test_every_relabelled_step_is_rejected(links):
    """Each step relabelled to every other kind: no other kind's instance coincides with it (counted here)."""
    kinds, coincidences, pairs = registry(), [], 0
    for where, previous, step, facts in links():
        for other, kind in kinds.items():
            if other != step.rule:
                pairs += 1
                relabelled = dataclasses.replace(step, rule=other)
                if kind.instance_of(previous, relabelled, step.uses, facts):
                    coincidences.append((where, step.rule, other))
    assert pairs > 1000
    assert coincidences == []  # none today; a new kind that truly coincides must be listed and kept rare


def test_a_relabelled_step_fails_as_wrong_justification_in_every_format():
    solution = solved("softmax-jacobian", (), "auto")
    diagonal = solution.parts[0].derivation
    (n, step), = [(n, s) for n, s in enumerate(diagonal.steps) if s.rule == "quotient"]
    steps = list(diagonal.steps)
    steps[n] = dataclasses.replace(step, rule="product", check=None)
    relabelled = verify(dataclasses.replace(diagonal, steps=tuple(steps), check=None), solution.definitions)
    check = relabelled.steps[n].check
    assert check.ok is False and check.method == "justification" and "wrong justification" in check.detail
    assert not relabelled.verified
    part = dataclasses.replace(solution.parts[0], derivation=relabelled)
    data = render.solution_data(dataclasses.replace(solution, parts=(part,)))
    assert "✗ wrong justification" in render.render(data, "text")
    assert r"\textbf{wrong justification}" in render.render(data, "tex")
    step_json = json.loads(render.render(data, "json"))["parts"][0]["derivation"]["steps"][n]
    assert step_json["rule"] == "product" and step_json["check"]["method"] == "justification"


@pytest.mark.parametrize("name", ["sigmoid-derivative", "backprop", "softmax-vjp", "softmax-cross-entropy"])
def test_relabelling_any_step_to_a_neighbour_kind_fails_the_verifier(name):
    """End to end, through verify: each step of a part gets the label of the next kind in the table."""
    solution = solved(name, (), "auto")
    ids = list(registry())
    derivation = solution.parts[-1].derivation
    for path, _, _ in list(step_paths(derivation))[:12]:
        step = step_at(derivation, path)
        other = ids[(ids.index(step.rule) + 1) % len(ids)]
        relabelled = verify(_relabel(derivation, path, other), solution.definitions)
        assert step_at(relabelled, path).check.ok is not True, (name, path, step.rule, other)


def _relabel(derivation, path, rule):
    n, rest = path[0], path[1:]
    steps = list(derivation.steps)
    if not rest:
        steps[n] = dataclasses.replace(steps[n], rule=rule, check=None)
    else:
        uses = list(steps[n].uses)
        uses[rest[0]] = _relabel(uses[rest[0]], rest[1:], rule)
        steps[n] = dataclasses.replace(steps[n], uses=tuple(uses), check=None)
    return dataclasses.replace(derivation, steps=tuple(steps), check=None)


def test_quotient_rule_must_be_built_from_the_previous_lines_f_and_g_and_the_cited_derivatives():
    f = sp.exp(x) / (1 + x**2)
    derivation = derive(f, x, method="quotient")
    step = derivation.steps[0]
    quotient = registry()["quotient"]
    assert step.rule == "quotient" and quotient.instance_of(derivation.lhs, step, step.uses)
    swapped = Step(rule="quotient", rhs=step.rhs, uses=step.uses[::-1])
    assert not quotient.instance_of(derivation.lhs, swapped, swapped.uses)  # f′ and g′ cited the wrong way round
    equal_but_expanded = Step(rule="quotient", rhs=sp.diff(f, x), uses=step.uses)
    assert not quotient.instance_of(derivation.lhs, equal_but_expanded, step.uses)  # true, but not the rule's form
    assert not quotient.instance_of(sp.Derivative(f, y), step, step.uses)  # the rule applied to another line


def test_an_unknown_label_and_a_missing_citation_are_wrong_justifications():
    lhs = sp.Derivative(x**2 * sp.sin(x), x)
    plain = verify(Derivation(lhs=lhs, steps=(Step(rule="no-such-rule", rhs=sp.diff(x**2 * sp.sin(x), x)),)))
    assert plain.steps[0].check.method == "justification" and not plain.verified
    uncited = verify(Derivation(lhs=lhs, steps=(Step(rule="product", rhs=2 * x * sp.sin(x) + x**2 * sp.cos(x)),)))
    assert uncited.steps[0].check.method == "justification"


def test_assume_needs_the_condition_to_be_recorded():
    t, j, N = sp.IndexedBase("t"), sp.Symbol("j", integer=True), sp.Symbol("N", integer=True, positive=True)
    condition = sp.Eq(sp.Sum(t[j], (j, 1, N)), 1)
    step = Step(rule="assume", rhs=x - 1)
    previous = x - sp.Sum(t[j], (j, 1, N))
    assume = registry()["assume"]
    assert assume.instance_of(previous, step, (), Facts(conditions=(condition,)))
    assert not assume.instance_of(previous, step, (), Facts())
