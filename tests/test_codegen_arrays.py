"""The array printer and the size analysis behind -f numpy / -f jax: axes, transposes, sums to any size."""

import numpy as np
import pytest
import sympy as sp

from symderiv.model.symbols import N, index, vector
from symderiv.output.codegen_arrays import ArrayPrinter, Unsupported, indices_of
from symderiv.output.codegen_sizes import Sizes

i, j, k = index("i"), index("j"), index("k")
W, x, b = vector("W"), vector("x"), vector("b")
M = sp.Symbol("M", integer=True, positive=True)


def run(code: str, **arrays):
    """Evaluate printed code with the emitted module's helpers."""
    from symderiv.output.codegen import HELPERS

    namespace = {"np": np}
    exec(HELPERS.format(m="np"), namespace)
    return eval(code, {**namespace, **arrays})  # noqa: S307 - code printed by the test itself


def test_each_free_index_is_an_axis():
    assert ArrayPrinter("np", (i, k)).code(x[i] * x[k]) == "x[:, None]*x[None, :]"
    assert ArrayPrinter("np", (i,)).code(x[i]) == "x"


def test_a_matrix_entry_is_transposed_when_its_indices_come_in_the_other_order():
    assert ArrayPrinter("np", (i, k)).code(W[k, i]) == "np.transpose(W, (1, 0))"
    w = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(run(ArrayPrinter("np", (i, k)).code(W[k, i]), W=w), w.T)


def test_a_sum_runs_over_a_further_axis_to_its_own_size():
    code = ArrayPrinter("np", (i,)).code(sp.Sum(W[i, j] * x[j], (j, 1, M)) + b[i])
    w, v, c = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0]), np.array([0.5, 0.25])
    assert np.allclose(run(code, W=w, x=v, b=c, M=3), w @ v + c)


def test_a_term_without_the_summed_index_counts_size_times():
    code = ArrayPrinter("np", ()).code(sp.Sum(x[1] + 2, (j, 1, N)))
    assert run(code, x=np.array([3.0, 4.0]), N=5) == 25.0


def test_kronecker_delta_compares_index_ranges():
    code = ArrayPrinter("np", (i, k)).code(sp.KroneckerDelta(i, k))
    assert np.array_equal(run(code, N=3) * np.ones((3, 3)), np.eye(3))


def test_sizes_are_read_off_the_inputs_shapes():
    sizes = Sizes((sp.Sum(W[i, j] * x[j], (j, 1, M)) + b[i],), (), ["W", "b", "x"])
    assert sizes.prelude("np") == ["    M = np.shape(W)[1]\n"]
    assert sizes.code(i, "np") == "np.shape(W)[0]"
    shapes = sizes.shapes()
    assert shapes["W"][1] == shapes["x"][0] == "M" and shapes["W"][0] == shapes["b"][0] != "M"


def test_two_sizes_meeting_at_one_index_are_refused():
    with pytest.raises(Unsupported, match="meet"):
        Sizes((sp.Sum(x[j], (j, 1, N)) + sp.Sum(x[j], (j, 1, M)),), (), ["x"])


def test_an_offset_index_is_refused():
    with pytest.raises(Unsupported, match="each index must be free or summed"):
        ArrayPrinter("np", (i,)).code(x[i + 1])


def test_sizes_are_not_free_indices():
    assert indices_of(sp.Sum(W[i, j], (j, 1, M)) / N) == (i,)
