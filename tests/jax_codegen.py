"""Run by tests/test_codegen.py in a child process (JAX starts threads, and the test process forks later on):
for each question, the emitted JAX code against jax.jacfwd of its forward, and a wrong grad caught.
Prints one JSON object: {"checked": [...], "failures": [...]}."""

import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax
import numpy as np

from symderiv import catalog
from symderiv.model.errors import DerivationFailed
from symderiv.output.codegen import module_source, verified_module
from symderiv.output.codegen_arrays import python_name
from symderiv.output.codegen_check import check_module
from test_codegen import QUESTIONS, imported_modules, random_inputs, reference, solution_of


def check(question) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solution = solution_of(question)
    source = verified_module(solution, "jax")
    _, parts = module_source(solution, "jax")
    failures = [] if imported_modules(source) == {"jax.numpy"} else [f"{question}: imports {imported_modules(source)}"]
    namespace = {}
    exec(compile(source, "code", "exec"), namespace)
    with jax.enable_x64(True):
        for code in parts:
            values = {k: jax.numpy.asarray(v) for k, v in random_inputs(code).items()}
            got = np.asarray(namespace[f"grad_{python_name(code.part)}"](**values), dtype=float)
            expected = reference(jax.jacfwd, namespace[f"forward_{python_name(code.part)}"], values, code)
            shown = np.isfinite(got)
            if not (shown.any() and np.allclose(got[shown], expected[shown], rtol=1e-9, atol=1e-12)):
                failures.append(f"{question}: grad_{code.part} differs from jax.jacfwd of forward_{code.part}")
    return failures


def wrong_grad_is_caught() -> list[str]:
    source, parts = module_source(catalog.solve("backprop"), "jax")
    head, _, tail = source.partition("def grad_dE_dw1")
    wrong = head + "def grad_dE_dw1" + tail.replace("    return _full(", "    return 2 * _full(", 1)
    try:
        check_module(wrong, parts, "jax")
    except DerivationFailed as error:
        return [] if "grad_dE_dw1 differs" in str(error) else [f"wrong message: {error}"]
    return ["a doubled jax grad_dE_dw1 was not caught"]


if __name__ == "__main__":
    checked, failures = [], wrong_grad_is_caught()
    for question in QUESTIONS:
        failures += check(question.values[0])
        checked.append(str(question.id))
    print(json.dumps({"checked": checked, "failures": failures}))
