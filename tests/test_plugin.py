"""The pytest plugin: the sym_equal fixture and readable `assert a == b` reports, without an import in the tests."""
import subprocess
import sys
import time

import pytest

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
    assert "symderiv/testing/equality.py" not in result.stdout.str()  # the traceback stops at the test


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
    code = "import sys, symderiv.testing.pytest_plugin; print(sorted(m for m in ('sympy', 'symderiv.read.answers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    from importlib.metadata import entry_points

    assert "symderiv.testing.pytest_plugin" in {e.value for e in entry_points(group="pytest11")}


def test_a_huge_comparison_falls_back_to_pytests_report(pytester):
    pytester.makepyfile("""
        import sympy as sp
        a, x = sp.symbols("a x")

        def test_too_large_to_explain():
            assert sp.Add(*sp.symbols("s0:5000")) == a

        def test_huge_number():
            assert sp.exp(10**100) == x

        def test_still_explained():
            assert x**2 == x**3
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    assert "InvalidOperation" not in out and "INTERNALERROR" not in out
    failures = out.split("short test summary info")[0]  # the summary repeats messages in full under CI=true
    assert failures.count("counterexample") == 1  # only the small comparison is explained
    result.stdout.fnmatch_lines(["*assert exp(1000000000000*"])


@pytest.mark.parametrize("explain", [
    "lambda left, right: time.sleep(600)",  # a checker that hangs
    "lambda left, right: [0] * (1 << 40)",  # one that wants terabytes
    "lambda left, right: 1 / 0",  # one that fails
])
def test_a_hanging_or_failing_report_is_cut_off_and_never_raises(pytester, explain):
    pytester.makeconftest(f"""
        import time
        import symderiv.testing.equality
        symderiv.testing.equality.explain_comparison = {explain}
    """)
    pytester.makepyfile("""
        import sympy as sp
        x = sp.Symbol("x")

        def test_compare():
            assert x**2 == x**3
    """)
    started = time.monotonic()
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert time.monotonic() - started < 15
    result.assert_outcomes(failed=1)
    assert "INTERNALERROR" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*assert x**2 == x**3*"])


def test_the_hook_never_raises_and_declines_what_it_cannot_explain():
    import sympy as sp

    from symderiv.testing import pytest_plugin

    x = sp.Symbol("x")
    assert pytest_plugin.pytest_assertrepr_compare(None, "==", sp.exp(sp.Integer(10) ** 100), x) is None
    assert pytest_plugin.pytest_assertrepr_compare(None, "==", sp.Add(*sp.symbols("s0:600")), x) is None
    assert pytest_plugin.pytest_assertrepr_compare(None, "==", object(), x) is None
    # the small comparison is explained; checked in a fresh process, where no other test's threads are forked
    script = ("import sympy as sp; from symderiv.testing import pytest_plugin; x = sp.Symbol('x'); "
              "print(pytest_plugin.pytest_assertrepr_compare(None, '==', x**2, x**3))")
    report = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60).stdout
    assert "counterexample" in report


def test_memory_stays_flat_over_500_calls(pytester):
    """A user's test run: 500 sym_equal calls over 50 comparisons; once each was seen, memory does not grow."""
    pytester.makepyfile("""
        import gc
        import tracemalloc

        import sympy as sp

        x, y = sp.symbols("x y")

        def compare(sym_equal, n):
            n = n % 50
            sym_equal(sp.diff((x + n) ** 2 * sp.exp(y * n), x), 2 * (x + n) * sp.exp(n * y))
            sym_equal(f"sigmoid({n}*x)*(1 - sigmoid({n}*x))", f"sigmoid({n}*x) - sigmoid({n}*x)**2")

        def test_flat(sym_equal):
            for n in range(100):
                compare(sym_equal, n)
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            for n in range(100, 500):
                compare(sym_equal, n)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
            assert grown < 256 * 1024, grown
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
