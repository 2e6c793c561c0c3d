"""assert_sym_equal on matrices (sympy Matrix, nested lists, arrays) and with rtol=; the plugin's matrix diff."""

import numpy as np
import pytest
import sympy as sp

from symderiv.testing import assert_sym_equal

pytest_plugins = ["pytester"]
x, y = sp.symbols("x y")


def test_a_sympy_matrix_equals_nested_lists_of_strings():
    jacobian = sp.Matrix([sp.exp(x) * y, x * y]).jacobian([x, y])
    check = assert_sym_equal(jacobian, [["y*exp(x)", "exp(x)"], ["y", "x"]])
    assert check.ok is True and check.detail == "4 entries"


def test_equal_entries_in_different_forms_pass():
    assert_sym_equal(sp.Matrix([[sp.sin(x) ** 2 + sp.cos(x) ** 2, (x**2 - 1) / (x - 1)]]), [[1, "x + 1"]])


def test_the_failure_lists_only_the_differing_entries():
    with pytest.raises(AssertionError) as failure:
        assert_sym_equal(sp.Matrix([[x, 1], [x**2, y]]), [["x", 2], ["x*x", "-y"]], msg="J")
    lines = str(failure.value).splitlines()
    assert lines[0] == "J: the matrices differ in 2 of 4 entries"
    assert lines[1].startswith("  [0, 1]: actual 1, expected 2, difference -1")
    assert lines[2].startswith("  [1, 1]: actual y, expected -y, difference 2*y") and "y = " in lines[2]
    assert len(lines) == 3


def test_different_shapes_are_named():
    with pytest.raises(AssertionError, match="actual is 1×2, expected is 2×1"):
        assert_sym_equal(sp.Matrix([[x, 1]]), [[x], [1]])


def test_a_flat_list_is_a_column_and_an_array_is_read_by_rows():
    assert_sym_equal(sp.Matrix([1, 2, 3]), [1, 2, 3])
    assert_sym_equal(np.array([[1.5, 2.0], [0.0, -1.0]]), sp.Matrix([[sp.Rational(3, 2), 2], [0, -1]]))


def test_ragged_rows_are_a_type_error():
    with pytest.raises(TypeError, match="rows of equal length"):
        assert_sym_equal([[1, 2], [3]], [[1, 2], [3, 4]])


def test_floats_are_exact_without_rtol():
    with pytest.raises(AssertionError):
        assert_sym_equal(1 / 3, sp.Rational(1, 3))


def test_rtol_accepts_floats_within_the_tolerance_and_rejects_beyond():
    assert_sym_equal(1 / 3, sp.Rational(1, 3), rtol=1e-12).method == "numeric"
    assert_sym_equal(np.array([0.33333333, 2.0]), [sp.Rational(1, 3), 2], rtol=1e-7)
    with pytest.raises(AssertionError):
        assert_sym_equal(0.3334, sp.Rational(1, 3), rtol=1e-6)


def test_rtol_on_expressions_samples_every_variable():
    assert assert_sym_equal(sp.exp(x) * sp.Float("1.0000001"), "exp(x)", rtol=1e-6).method == "numeric"
    with pytest.raises(AssertionError):
        assert_sym_equal(sp.exp(x) * sp.Float("1.001") + y * 0, "exp(x)", rtol=1e-6)
    with pytest.raises(ValueError, match="rtol"):
        assert_sym_equal(sp.exp(x) * sp.Float("1.001"), "exp(x)", rtol=-1)


def test_the_plugin_shows_the_differing_entries_of_matrices(pytester):
    pytester.makepyfile("""
        import sympy as sp
        x = sp.Symbol("x")

        def test_jacobian():
            assert sp.Matrix([[x, 2*x], [1, 3]]) == sp.Matrix([[x, x + x], [1, 4]])
    """)  # cheap entries: the report is worked out in a forked child under a time budget, so in a fresh process
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the matrices differ in 1 of 4 entries*", "*?1, 1?: actual 3, expected 4, difference -1*"])
