"""The check of emitted gradient code: every grad_<part> against central finite differences of forward_<part>,
on random inputs, before the module is handed out. Needs numpy (and jax for JAX code)."""
from __future__ import annotations

import random

from symderiv.model.errors import DerivationFailed, ExtraMissing

RTOL, ATOL, STEP = 1e-6, 1e-8, 1e-5
TRIALS, ATTEMPTS = 3, 40
INSTALL = {"numpy": "pip install 'symderiv[numpy]'", "jax": "pip install 'symderiv[jax]'"}


def load_library(library: str):
    """numpy (and jax.numpy for jax), or ExtraMissing with the command that installs it."""
    try:
        import numpy

        if library == "jax":
            import jax  # noqa: F401
    except ImportError:
        raise ExtraMissing(f"-f {library} needs {library}, which is not installed; install it with "
                           f"{INSTALL[library]}.") from None
    return numpy


def check_module(source: str, parts: list, library: str, n: int = 5, seed: int = 20240517) -> None:
    """Run the module; raise DerivationFailed naming the first grad that differs from finite differences."""
    np = load_library(library)
    namespace: dict = {}
    try:
        exec(compile(source, f"<symderiv {library} code>", "exec"), namespace)  # noqa: S102 - code symderiv just wrote
    except Exception as error:  # noqa: BLE001 - a module that does not load is never written
        raise DerivationFailed(f"the emitted {library} module does not load ({type(error).__name__}: {error}); "
                               "nothing was written.") from None
    with _float64(library), np.errstate(all="ignore"):  # a log of a negative draw is nan: other inputs are drawn
        for code in parts:
            _check_part(np, namespace, code, library, n, random.Random(f"{seed}:{code.part}"))


def _check_part(np, namespace: dict, code, library: str, n: int, rng: random.Random) -> None:
    from symderiv.output.codegen_arrays import python_name

    forward, grad = namespace[f"forward_{python_name(code.part)}"], namespace[f"grad_{python_name(code.part)}"]
    done = 0
    for attempt in range(ATTEMPTS):
        values = _inputs(np, code, n, rng, positive=attempt % 2 == 1)
        try:
            expected = _finite_differences(np, forward, values, code, library)
            got = np.asarray(grad(**_as_library(values, library)), dtype=float)
        except (AssertionError, FloatingPointError, ZeroDivisionError):
            continue  # the inputs break a stated condition, or a function's domain: draw others
        except Exception as error:  # noqa: BLE001 - code that cannot run is never written
            raise DerivationFailed(f"the emitted code for part {code.part} does not run ({type(error).__name__}: "
                                   f"{error}); nothing was written.") from None
        shown = np.isfinite(got)
        if expected.shape != got.shape or not shown.any() or not np.isfinite(expected[shown]).all():
            if expected.shape != got.shape:
                raise DerivationFailed(f"the emitted grad_{code.part} has shape {got.shape}, but finite differences "
                                       f"of forward_{code.part} have shape {expected.shape}; nothing was written.")
            continue
        if not np.allclose(got[shown], expected[shown], rtol=RTOL, atol=ATOL * max(1.0, float(np.abs(expected[shown]).max()))):
            worst = float(np.abs(got[shown] - expected[shown]).max())
            raise DerivationFailed(f"the emitted grad_{code.part} differs from central finite differences of "
                                   f"forward_{code.part} by {worst:.3g} at random inputs; nothing was written.")
        done += 1
        if done == TRIALS:
            return
    raise DerivationFailed(f"symderiv found no random inputs where grad_{code.part} could be checked (every draw broke "
                           "a condition or a function's domain); nothing was written.")


def _inputs(np, code, n: int, rng: random.Random, positive: bool) -> dict:
    """Random inputs: magnitudes in [0.5, 1.5], signs random (or all positive); arrays whose sizes differ from
    each other (N = n, M = n + 1, …), so that a transposed index cannot pass."""
    def draw():
        magnitude = rng.uniform(0.5, 1.5)
        return magnitude if positive or rng.random() < 0.5 else -magnitude

    names = sorted({size for shape in code.shapes.values() for size in shape})
    lengths = {size: max(n, 2) + place for place, size in enumerate(names)}
    values = {}
    for name in code.params:
        if name in code.vectors:
            shape = tuple(lengths[size] for size in code.shapes.get(name, ())) or (n,)
            values[name] = np.array([draw() for _ in range(int(np.prod(shape)))]).reshape(shape)
        else:
            values[name] = draw()
    return values


def _as_library(values: dict, library: str) -> dict:
    if library != "jax":
        return values
    import jax.numpy as jnp

    return {name: jnp.asarray(value) for name, value in values.items()}


def _finite_differences(np, forward, values: dict, code, library: str):
    """Central differences of forward by the variable: the shape of grad (f's axes, then the variable's index)."""
    def f(changed):
        return np.asarray(forward(**_as_library({**values, code.var: changed}, library)), dtype=float)

    point = values[code.var]
    if code.var not in code.vectors:
        h = STEP * max(1.0, abs(point))
        return (f(point + h) - f(point - h)) / (2 * h)
    columns = []
    for m in np.ndindex(*point.shape):
        h = STEP * max(1.0, abs(point[m]))
        up, down = point.copy(), point.copy()
        up[m] += h
        down[m] -= h
        columns.append((f(up) - f(down)) / (2 * h))
    first = np.asarray(columns[0])
    jacobian = np.stack(columns, axis=-1).reshape(first.shape + point.shape)  # f's axes, then the variable's
    if code.diagonal:
        if code.f_rank != 1:
            raise DerivationFailed(f"grad_{code.part} takes a diagonal of more than two axes, which the check does not cover.")
        return np.diagonal(jacobian)
    return jacobian


class _float64:
    """JAX computes in float32 unless told; the check needs float64 (numpy always has it)."""

    def __init__(self, library: str):
        self.context = None
        if library == "jax":
            import jax

            enable = getattr(jax, "enable_x64", None)
            if enable is None:
                from jax.experimental import enable_x64 as enable
            self.context = enable(True)

    def __enter__(self):
        if self.context is not None:
            self.context.__enter__()

    def __exit__(self, *exc):
        if self.context is not None:
            return self.context.__exit__(*exc)
        return False
