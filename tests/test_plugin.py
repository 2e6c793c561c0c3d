"""The pytest plugin: the sym_equal fixture and readable `assert a == b` reports, without an import in the tests."""
import subprocess
import sys

pytest_plugins = ["pytester"]


def test_the_fixture_needs_no_import(pytester):
    pytester.makepyfile("""
        import sympy as sp

        def test_softplus(sym_equal):
            x = sp.Symbol("x")
            check = sym_equal(sp.diff(sp.log(1 + sp.exp(x)), x), "sigmoid(x)")
            assert check.method == "exact"
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_failure_reports_the_counterexample(pytester):
    pytester.makepyfile("""
        def test_slip(sym_equal):
            sym_equal("d - z", "z - d", msg="dE/dz")
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*dE/dz: the expressions are not equal*",
        "*difference: 2*d - 2*z*",
        "*counterexample: at d = 0.5, z = 2: actual = -1.5, expected = 1.5*",
    ])
    assert "symderiv/testing.py" not in result.stdout.str()  # the traceback stops at the test


def test_plain_assert_on_sympy_objects_is_explained(pytester):
    pytester.makepyfile("""
        import sympy as sp
        x = sp.Symbol("x")

        def test_structurally_different():
            assert (x + 1)**2 == x**2 + 2*x + 1

        def test_really_different():
            assert x**2 == x**3
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*mathematically equal (exact)*", "*use sym_equal*"])
    result.stdout.fnmatch_lines(["*counterexample: at x = 0.5: actual = 0.25, expected = 0.125*"])


def test_other_comparisons_are_left_alone(pytester):
    pytester.makepyfile("""
        def test_numbers():
            assert [1, 2] == [1, 3]
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert "counterexample" not in result.stdout.str()


def test_loading_the_plugin_imports_neither_sympy_nor_symderiv_core():
    code = "import sys, symderiv.pytest_plugin; print(sorted(m for m in ('sympy', 'symderiv.usercheck') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    from importlib.metadata import entry_points

    assert "symderiv.pytest_plugin" in {e.value for e in entry_points(group="pytest11")}
