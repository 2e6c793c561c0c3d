"""derive -f numpy / -f jax: the emitted modules match finite differences (checked before writing), an independent
autodiff library (autograd; jax.grad for JAX) applied to forward, import nothing but numpy or jax, assert the
derivation's conditions, and a wrong grad is never written."""

import ast
import importlib.util
import json
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

from symderiv import catalog
from symderiv.app.cli import main
from symderiv.model.errors import DerivationFailed
from symderiv.output.codegen import module_source, verified_module
from symderiv.output.codegen_arrays import python_name
from symderiv.output.codegen_check import check_module
from symderiv.read.questions import solve

CORPUS = [
    ("x**2*exp(-x)", "x", ()), ("log(1 + exp(-y*w*x))", "w", ()), ("sigmoid(w*x + b)", "w", ()),
    ("tanh(a*x)**2", "a", ()), ("(d - sigmoid(w2*y))**2/2", "w1", ("y = sigmoid(w1*x)",)),
    ("sqrt(x**2 + 1)", "x", ()), ("sin(x)*cos(x)", "x", ()), ("exp(sin(x))", "x", ()), ("x/(1 + x**2)", "x", ()),
    ("1/(1 + exp(-x))", "x", ()), ("relu(w*x)", "w", ()), ("x*log(x)", "x", ()), ("(a*x + b)**3", "x", ()),
    ("exp(-x**2/2)", "x", ()), ("tan(x)", "x", ()), ("x**3 - 2*x + 5", "x", ()), ("log(sigmoid(z))", "z", ()),
    ("tanh(w1*tanh(w0*x))", "w0", ()), ("Sum(exp(x[j]), (j, 1, N))", "x[k]", ()),
    ("log(Sum(exp(x[j]), (j, 1, N)))", "x[k]", ()), ("Sum(x[j]**2, (j, 1, N))/2", "x[k]", ()),
    ("Sum(w[j]*x[j], (j, 1, N))", "w[k]", ()), ("sigmoid(Sum(w[j]*x[j], (j, 1, N)))", "w[k]", ()),
    ("softmax(x, i)", "x[k]", ()), ("-Sum(t[j]*log(z[j]), (j, 1, N))", "z[k]", ()), ("(y - w*x)**2", "w", ()),
    ("exp(a*x)*sin(b*x)", "b", ()), ("log(1 + x**2)", "x", ()), ("(sigmoid(w*x + b) - t)**2", "b", ()),
    ("relu(h)*v", "w", ("h = w*x + c",)),
]
QUESTIONS = [pytest.param(("problem", name), id=name) for name in catalog.names()] + [
    pytest.param(("expr", case), id=f"d/d{case[1]} {case[0]}") for case in CORPUS]


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


def solution_of(question):
    kind, what = question
    if kind == "problem":
        return catalog.solve(what)
    expr, wrt, define = what
    return solve(expr=expr, wrt=wrt, define=define).solution


def emitted(question, library):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solution = solution_of(question)
    source = verified_module(solution, library)
    _, parts = module_source(solution, library)
    return source, parts


def imported_modules(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module)
    return found


def random_inputs(code, n=4, seed=7):
    """Positive inputs (inside every domain here: log z, relu past its kink); each size its own length."""
    rng = random.Random(seed)
    draw = lambda: rng.uniform(0.5, 1.5)
    sizes = sorted({size for shape in code.shapes.values() for size in shape})
    lengths = {size: n + place for place, size in enumerate(sizes)}
    values = {}
    for name in code.params:
        if name in code.vectors:
            shape = tuple(lengths[size] for size in code.shapes.get(name, ())) or (n,)
            values[name] = np.array([draw() for _ in range(int(np.prod(shape)))]).reshape(shape)
        else:
            values[name] = draw()
    return values


def reference(jacobian, forward, values, code):
    """An autodiff library's derivative of forward, in the layout of grad (diagonal where ∂f_i/∂x_i)."""
    others = {k: v for k, v in values.items() if k != code.var}
    result = np.asarray(jacobian(lambda v: forward(**others, **{code.var: v}))(values[code.var]), dtype=float)
    return np.diagonal(result) if code.diagonal else result


def test_the_corpus_has_thirty_expressions():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("question", QUESTIONS)
def test_numpy_code_matches_autograd_and_imports_only_numpy(question):
    autograd = pytest.importorskip("autograd")
    source, parts = emitted(question, "numpy")
    assert imported_modules(source) == {"numpy"}
    namespace = {}
    exec(compile(source.replace("import numpy as np", "import autograd.numpy as np"), "code", "exec"), namespace)
    plain = {}
    exec(compile(source, "code", "exec"), plain)
    for code in parts:
        values = random_inputs(code)
        got = np.asarray(plain[f"grad_{python_name(code.part)}"](**values), dtype=float)
        expected = reference(autograd.jacobian, namespace[f"forward_{python_name(code.part)}"], values, code)
        shown = np.isfinite(got)
        assert shown.any() and np.allclose(got[shown], expected[shown], rtol=1e-9, atol=1e-12), code.part


@pytest.mark.slow
def test_jax_code_matches_jax_autodiff_and_imports_only_jax():
    """In a child process: JAX starts threads, and this test process forks later (the plugin's reports)."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax (a test dependency) is not installed")
    script = Path(__file__).resolve().parent / "jax_codegen.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(report["checked"]) == len(QUESTIONS) and report["failures"] == []


def test_the_matrix_form_is_used_where_one_exists():
    source, _ = emitted(("problem", "softmax-jacobian"), "numpy")
    grad = source[source.index("def grad_matrix"):]
    assert "np.diag(sigma) - np.outer(sigma, sigma)" in grad


def test_an_index_condition_masks_its_entries_and_a_value_condition_is_asserted():
    source, _ = emitted(("problem", "softmax-jacobian"), "numpy")
    namespace = {}
    exec(source, namespace)
    off = namespace["grad_off_diagonal"](np.array([0.1, 0.7, -0.3]))
    assert np.isnan(np.diagonal(off)).all() and np.isfinite(off[~np.eye(3, dtype=bool)]).all()
    source, _ = emitted(("problem", "cross-entropy-grad"), "numpy")
    exec(source, namespace)
    with pytest.raises(AssertionError, match="z_i ≠ 0"):
        namespace["grad"](t=np.array([0.5, 0.5]), z=np.array([0.0, 1.0]))


@pytest.mark.parametrize("change", ["1.001 * ", "-"])
def test_a_wrong_grad_is_caught_before_it_is_written(change):
    solution = catalog.solve("softmax-jacobian")
    source, parts = module_source(solution, "numpy")
    head, _, tail = source.partition("def grad_matrix")
    wrong = head + "def grad_matrix" + tail.replace("    return _full(", f"    return {change}_full(", 1)
    with pytest.raises(DerivationFailed, match="grad_matrix differs from central finite differences"):
        check_module(wrong, parts, "numpy")


def test_code_that_does_not_run_or_load_is_never_written():
    source, parts = module_source(catalog.solve("sigmoid-derivative"), "numpy")
    with pytest.raises(DerivationFailed, match="does not run .NameError"):
        check_module(source.replace("    return _full(", "    return undefined_name + _full(", 2), parts, "numpy")
    with pytest.raises(DerivationFailed, match="does not load .SyntaxError"):
        check_module(source + "\ndef (:\n", parts, "numpy")


def test_the_cli_writes_the_module(runner, tmp_path):
    out = tmp_path / "softmax_grad.py"
    result = runner.invoke(main, ["derive", "softmax-jacobian", "-f", "numpy", "-o", str(out)])
    assert result.exit_code == 0, result.output
    namespace = {}
    exec(out.read_text(), namespace)
    x = np.array([0.3, -1.2, 2.0])
    s = np.exp(x) / np.exp(x).sum()
    assert np.allclose(namespace["grad"](x), np.diag(s) - np.outer(s, s))
    assert np.allclose(namespace["forward"](x), s)


def test_a_missing_numpy_is_one_sentence_and_exit_code_2(runner, monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)
    result = runner.invoke(main, ["derive", "sigmoid-derivative", "-f", "numpy"])
    assert result.exit_code == 2
    assert "pip install 'symderiv[numpy]'" in result.stderr and "Traceback" not in result.output


def test_no_code_for_a_derivation_that_does_not_verify(runner, monkeypatch):
    import dataclasses

    from symderiv.model.steps import Check

    solution = catalog.solve("sigmoid-derivative")
    part = solution.parts[0]
    steps = part.derivation.steps
    false = dataclasses.replace(steps[-1], check=Check(ok=False, method="exact", detail="at p = 0.5"))
    broken = dataclasses.replace(part, derivation=dataclasses.replace(part.derivation, steps=(*steps[:-1], false)))
    monkeypatch.setattr(catalog, "solve", lambda *args, **kwargs: dataclasses.replace(solution, parts=(broken,)))
    result = runner.invoke(main, ["derive", "sigmoid-derivative", "-f", "numpy"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "no numpy code was written" in result.stderr
