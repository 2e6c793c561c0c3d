"""mlp: the δ recursion and the weight gradients equal finite differences of a numpy forward pass."""
import numpy as np
import pytest
import sympy as sp

from symderiv import catalog
from symderiv.model.symbols import bound, index, vector

FUNCTIONS = {"sigmoid": lambda u: 1 / (1 + np.exp(-u)), "tanh": np.tanh}


@pytest.fixture(scope="module", params=[("2", "sigmoid"), ("3", "tanh")])
def solved(request):
    layers, activation = request.param
    return int(layers), activation, catalog.solve("mlp", {"layers": layers, "activation": activation})


def test_every_part_is_verified_with_a_matrix_form(solved):
    layers, _, solution = solved
    assert solution.verified
    ids = [p.id for p in solution.parts]
    assert ids == ["output"] + [f"delta{l}" for l in range(layers - 1, 0, -1)] + [f"weights{l}" for l in range(layers, 0, -1)]
    for part in solution.parts:
        assert part.statement is not None and all(c.ok is True for c in part.checks), part.id
    assert str(solution.parts[-1].statement.rhs) == "delta1*x.T"


def forward(weights, biases, x, t, f):
    outputs, pre = [x], []
    for W, b in zip(weights, biases):
        pre.append(W @ outputs[-1] + b)
        outputs.append(f(pre[-1]))
    return outputs, pre, 0.5 * float(np.sum((outputs[-1] - t) ** 2))


def test_gradients_equal_finite_differences(solved):
    layers, activation, solution = solved
    rng = np.random.default_rng(layers)
    sizes = [int(n) for n in rng.integers(2, 5, size=layers + 1)]
    weights = [rng.normal(size=(sizes[l + 1], sizes[l])) for l in range(layers)]
    biases = [rng.normal(size=sizes[l + 1]) for l in range(layers)]
    x, t = rng.normal(size=sizes[0]), rng.normal(size=sizes[-1])
    f = FUNCTIONS[activation]
    outputs, pre, E = forward(weights, biases, x, t, f)
    values = {bound(f"N{l}"): sizes[l] for l in range(layers + 1)}
    named = {vector("x"): x, vector("t"): t}
    named.update({vector(f"a{l + 1}"): outputs[l + 1] for l in range(layers)})
    named.update({vector(f"p{l + 1}"): pre[l] for l in range(layers)})
    named.update({vector(f"W{l + 1}"): weights[l] for l in range(layers)})
    parts = {p.id: p for p in solution.parts}
    a, c = index("a"), index("c")

    def evaluate(expr, at):
        concrete = expr.xreplace(values).xreplace(at)
        concrete = concrete.replace(lambda n: isinstance(n, sp.Sum), lambda n: n.doit()).doit()
        numbers = {q: float(named[q.base][tuple(int(i) - 1 for i in q.indices)]) for q in concrete.atoms(sp.Indexed)}
        return float(concrete.xreplace(numbers))

    for l in range(layers, 0, -1):  # the δ's, top down, each from the one above
        part = parts["output" if l == layers else f"delta{l}"]
        named[vector(f"delta{l}")] = np.array([evaluate(part.derivation.result, {a: i + 1}) for i in range(sizes[l])])
    h = 1e-6
    for l in range(layers):
        for i, j in [(0, 0), (sizes[l + 1] - 1, sizes[l] - 1)]:
            bumped = [W.copy() for W in weights]
            bumped[l][i, j] += h
            numeric = (forward(bumped, biases, x, t, f)[2] - E) / h
            exact = evaluate(parts[f"weights{l + 1}"].derivation.result, {a: i + 1, c: j + 1})
            assert abs(numeric - exact) < 1e-4 * max(1.0, abs(exact)), (l, i, j, numeric, exact)
