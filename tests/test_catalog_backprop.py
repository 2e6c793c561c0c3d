"""backprop: every gradient against sympy's derivative of the expanded network, the sign, the chain's structure."""

import dataclasses

import pytest
import sympy as sp

from symderiv import catalog
from symderiv.model.definitions import unfold
from symderiv.model.errors import InputError
from symderiv.model.functions import expand_special, relu, sigmoid
from symderiv.derive import rules as r
from symderiv.check.verify import verify
from test_catalog_common import agree, assert_rejected_exactly_there, part, said, solved, step_paths

x, d, E, z, y = sp.symbols("x d E z y")
zz = z
ACT = {"sigmoid": lambda u: 1 / (1 + sp.exp(-u)), "tanh": sp.tanh, "relu": lambda u: sp.Max(0, u)}
LOSS = {"mse": lambda out: (d - out) ** 2 / 2, "bce": lambda out: -(d * sp.log(out) + (1 - d) * sp.log(1 - out))}


def expanded_error(layers, activation, loss):
    """E as one expression in x, d, w1…wL, built here from scratch (independent of the problem module)."""
    out = x
    for l in range(1, layers + 1):
        act = "sigmoid" if loss == "bce" and l == layers else activation  # the cross-entropy takes a sigmoid output
        out = ACT[act](sp.Symbol(f"w{l}") * out)
    return LOSS[loss](out)


CASES = [(layers, activation, loss) for layers in (1, 2, 3, 5) for activation in ACT for loss in LOSS]


@pytest.mark.parametrize("layers, activation, loss", CASES, ids=[f"L{a}-{b}-{c}" for a, b, c in CASES])
def test_every_gradient_is_sympys_derivative(layers, activation, loss):
    solution = solved("backprop", layers=layers, activation=activation, loss=loss)
    assert solution.verified
    target = expanded_error(layers, activation, loss)
    weights = [sp.Symbol(f"w{l}") for l in range(1, layers + 1)]
    for p in solution.parts:
        (var,) = p.derivation.lhs.variables
        result = expand_special(unfold(p.derivation.result, solution.definitions))
        assert agree(result, sp.diff(target, var), {x, d, *weights}), (p.id, p.derivation.result)


def test_parts_run_from_the_top_layer_down_then_the_delta_form():
    assert [p.id for p in solved("backprop", layers=5).parts] == ["dE_dw5", "dE_dw4", "dE_dw3", "dE_dw2", "dE_dw1", "delta"]
    assert [p.id for p in solved("backprop", layers=1).parts] == ["dE_dw1", "delta"]


def test_the_note_s_two_layer_results():
    solution = solved("backprop")
    w1, w2 = sp.symbols("w1 w2")
    assert sp.expand(part(solution, "dE_dw2").derivation.result - (-(d - z) * z * (1 - z) * y)) == 0
    expected_w1 = -(d - z) * z * (1 - z) * w2 * y * (1 - y) * x
    assert sp.expand(part(solution, "dE_dw1").derivation.result - expected_w1) == 0
    assert sp.expand(part(solution, "delta").derivation.result - expected_w1) == 0
    assert [str(q.name) for q in solution.definitions] == ["p1", "y", "p2", "z", "E"]


# ------------------------------------------------------------------ the sign slip of the lecture note


def loss_derivatives(solution):
    """Every derivation of ∂E/∂z anywhere in the solution."""
    return [sub for p in solution.parts for sub in p.derivation.walk() if sub.lhs == sp.Derivative(E, z)]


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_dE_dz_is_never_the_slip_d_minus_z(layers):
    found = loss_derivatives(solved("backprop", layers=layers))
    assert found
    for derivation in found:
        assert sp.expand(derivation.result - (z - d)) == 0
        assert sp.expand(derivation.result - (d - z)) != 0
    slip = part(solved("backprop"), "dE_dw2").derivation.result.xreplace({z - d: d - z})
    assert sp.expand(slip - part(solved("backprop"), "dE_dw2").derivation.result) != 0


def test_the_slip_would_be_rejected_by_the_checker():
    solution = solved("backprop")
    derivation = loss_derivatives(solution)[0]
    path = (len(derivation.steps) - 1,)
    assert assert_rejected_exactly_there(derivation, solution.definitions, path)


def test_the_slip_remark_quotes_sympys_derivative():
    remarks = " ".join(said(solved("backprop").remarks))
    assert "(d − z)" in remarks and "z − d" in remarks and "−1" in remarks


# ------------------------------------------------------------------ structure


def leibniz(derivation):
    """The factors of the Leibniz step and the derivations cited for them."""
    first, second = derivation.steps[:2]
    return sp.Mul.make_args(first.rhs), second.uses


@pytest.mark.parametrize("layers", [1, 2, 5])
def test_one_cited_sub_derivation_per_factor(layers):
    for p in solved("backprop", layers=layers).parts[:-1]:
        factors, cited = leibniz(p.derivation)
        assert all(isinstance(f, sp.Derivative) for f in factors)
        assert [c.lhs for c in cited] == list(factors)
        assert len(cited) == 2 * (layers - int(p.id[5:])) + 3


def test_the_sigmoid_lemma_is_cited_not_rederived():
    for p in solved("backprop", layers=3).parts:
        rules = p.derivation.rules()
        assert "sigmoid" in rules
        assert "reciprocal" not in rules and "quotient" not in rules
        assert not any(step.rhs.has(sp.exp) for sub in p.derivation.walk() for step in sub.steps)


def test_annotations_from_the_note():
    notes = {(str(sub.lhs), step.note) for p in solved("backprop").parts for sub in p.derivation.walk()
             for step in sub.steps if step.note}
    assert ("Derivative(E, z)", "from the label and the output of the current layer") in notes
    assert ("Derivative(z, p2)", "from the output of the current layer") in notes
    assert ("Derivative(p2, y)", "weight of the next layer, known from the forward pass") in notes
    assert ("Derivative(p1, w1)", "input of the current layer") in notes
    assert ("Derivative(p2, w2)", "input of the current layer") in notes


def test_the_delta_part_substitutes_one_delta_per_layer():
    layers = 4
    delta = part(solved("backprop", layers=layers), "delta").derivation
    cited = [step.uses[0].lhs for step in delta.steps[2:]]
    assert cited == [sp.Derivative(E, sp.Symbol(f"p{l}")) for l in range(1, layers + 1)]
    assert [step.rule for step in delta.steps] == ["leibniz"] + ["substitute"] * (len(delta.steps) - 1)
    assert not delta.result.has(sp.Derivative)


def test_bce_with_sigmoid_cancels_to_z_minus_d():
    solution = solved("backprop", layers=2, loss="bce")
    delta = part(solution, "delta").derivation.steps[-1].uses[0]  # δ₂ = ∂E/∂p₂
    assert delta.lhs == sp.Derivative(E, sp.Symbol("p2"))
    assert delta.steps[-1].rule == "algebra" and sp.expand(delta.result - (z - d)) == 0
    assert any("z − d" in remark for remark in said(solution.remarks))


def test_the_cross_entropy_chain_only_cancels_factors_never_expands_them():
    """The output layer's z(1 − z) cancels the denominator of ∂E/∂z; the other factors stay as the chain gives them."""
    layers = 40  # planning only: expanding the product of 2L factors would take hours
    from symderiv.catalog.backprop import network
    from symderiv.derive.planner import derive

    E_, weights, pre, outputs, definitions = network(layers, "sigmoid", "bce")

    result = derive(E_, weights[0], definitions=definitions).result
    assert not any(r.split_fraction(f)[1] != 1 for f in sp.Mul.make_args(result))
    assert max(len(a.args) for a in result.atoms(sp.Add)) == 2  # z − d and each 1 − y_l, as factors
    assert sp.Add(zz - d) in sp.Mul.make_args(result) or sp.Add(d - zz) in sp.Mul.make_args(-result)


def test_relu_records_where_it_has_no_derivative():
    solution = solved("backprop", layers=2, activation="relu")
    p1, p2 = sp.symbols("p1 p2")
    assert set(part(solution, "dE_dw1").derivation.conditions) >= {sp.Ne(p1, 0), sp.Ne(p2, 0)}
    assert part(solution, "dE_dw1").derivation.result.has(sp.Heaviside(p1, 0))
    assert "relu" in part(solution, "dE_dw1").derivation.rules()
    assert any("relu′(0) = 0" in remark for remark in said(solution.remarks))


def test_tanh_folds_into_the_layer_output():
    result = part(solved("backprop", layers=1, activation="tanh"), "dE_dw1").derivation.result
    assert sp.expand(result - (z - d) * (1 - z**2) * x) == 0


# ------------------------------------------------------------------ deep networks: the definition-graph checker


def test_deep_links_are_checked_on_the_definition_graph():
    solution = solved("backprop", layers=5)
    methods = {step.check.method for p in solution.parts for sub in p.derivation.walk() for step in sub.steps}
    assert methods == {"exact"}  # the chain rule along a path of names is proved, not sampled
    assert "along the chain of names" in part(solution, "dE_dw1").derivation.check.detail


def test_a_graph_with_two_paths_is_sampled_through_the_definitions():
    from symderiv.check.verify import decide
    from symderiv.model.definitions import Definition

    w, x = sp.symbols("w x", real=True)
    q = sp.symbols("q1:8", real=True)
    bodies = [w * x, sigmoid(q[0]), sigmoid(q[1]), sigmoid(q[2]), sigmoid(q[3]), q[4] + q[0], q[5] ** 2]
    definitions = tuple(Definition(name=name, expr=body) for name, body in zip(q, bodies))
    truth = sp.diff(unfold(q[6], definitions), w)  # E = (σ⁴(wx) + wx)²: two paths from E down to w
    check = decide(sp.Derivative(q[6], w), truth, definitions)
    assert check.ok is True and "names evaluated through their definitions" in check.detail
    assert decide(sp.Derivative(q[6], w), truth * (1 + x / 1000), definitions).ok is False


def test_deep_mutations_are_rejected():
    solution = solved("backprop", layers=5)
    for p in (part(solution, "dE_dw1"), part(solution, "delta")):
        paths = [path for path, _, _ in step_paths(p.derivation) if len(path) <= 3]
        assert sum(assert_rejected_exactly_there(p.derivation, solution.definitions, path) for path in paths) >= 3


def test_a_deep_wrong_final_result_is_rejected():
    solution = solved("backprop", layers=6)
    derivation = part(solution, "dE_dw1").derivation
    wrong = derivation.result * sp.Symbol("w3") / sp.Symbol("w4")
    last = dataclasses.replace(derivation.steps[-1], rhs=wrong, check=None)
    checked = verify(dataclasses.replace(derivation, steps=derivation.steps[:-1] + (last,), check=None),
                     solution.definitions)
    assert checked.steps[-1].check.ok is False and checked.check.ok is False


def test_sixteen_layers_give_one_part_per_weight_plus_the_delta_recursion():
    solution = catalog.solve("backprop", {"layers": "16"})
    assert solution.verified
    assert [part.id for part in solution.parts] == [f"dE_dw{l}" for l in range(16, 0, -1)] + ["delta"]


@pytest.mark.parametrize("value", ["0", "65", "two"])
def test_layers_out_of_range_is_an_input_error(value):
    with pytest.raises(InputError):
        catalog.solve("backprop", {"layers": value})


def test_activation_and_loss_choices():
    with pytest.raises(InputError, match="sigmoid, tanh, relu"):
        catalog.solve("backprop", {"activation": "softplus"})
    with pytest.raises(InputError, match="mse, bce"):
        catalog.solve("backprop", {"loss": "hinge"})


def test_relu_and_sigmoid_are_the_package_functions():
    solution = solved("backprop", layers=1, activation="relu")
    assert solution.definitions[1].expr == relu(sp.Symbol("p1"))
    assert solved("backprop", layers=1).definitions[1].expr == sigmoid(sp.Symbol("p1"))


def test_dropping_the_relu_step_function_is_rejected():
    """The graph checker samples weights of both signs, so relu′ = H(p) is met on both of its branches."""
    solution = solved("backprop", layers=4, activation="relu")
    derivation = part(solution, "dE_dw1").derivation
    last = derivation.steps[-1]
    wrong = last.rhs.replace(lambda n: isinstance(n, sp.Heaviside), lambda n: sp.S.One)
    assert wrong != last.rhs
    mutated = dataclasses.replace(derivation, steps=derivation.steps[:-1] + (dataclasses.replace(last, rhs=wrong, check=None),),
                                  check=None)
    checked = verify(mutated, solution.definitions)
    assert checked.steps[-1].check.ok is False and checked.check.ok is False
