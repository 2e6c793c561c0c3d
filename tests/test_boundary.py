"""The architecture's boundary: the core imports sympy and the standard library only, does no I/O at import,
and cli.py is the only module that knows click."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symderiv"
CORE = [
    "steps", "rules", "planner", "verify", "definitions", "context", "algebra", "problem",
    "symbols", "functions", "errors", "parse", "jacobian", "catalog", "usercheck", "written", "printing",
    "identity", "graph", "chains", "sums",
]


def core_modules() -> list[str]:
    """The core modules that exist, plus every problem module the catalog lists."""
    from symderiv import catalog

    names = [f"symderiv.{m}" for m in CORE if importlib.util.find_spec(f"symderiv.{m}") is not None]
    return names + [f"symderiv.catalog.{m}" for m in catalog.MODULES.values()]


PROBE = r"""
import json, os, sys
import sympy, mpmath  # the allowed third-party base, loaded before we start watching
before = set(sys.modules)
opened = []

def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if not path.endswith((".py", ".pyc", ".so", ".pth")) and not os.path.isdir(path):
            opened.append(path)
    elif event in ("subprocess.Popen", "os.system", "socket.connect", "os.remove", "os.rename", "os.mkdir"):
        opened.append(f"{event} {args[0] if args else ''}")

sys.addaudithook(hook)
import importlib
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
new = sorted({m.split(".")[0] for m in set(sys.modules) - before})
print(json.dumps({"opened": opened, "new": new}))
"""


@pytest.fixture(scope="module")
def probe():
    modules = core_modules()
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(modules)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_core_list_is_complete():
    names = core_modules()
    for required in ("steps", "rules", "planner", "verify", "definitions", "context", "algebra", "catalog"):
        assert f"symderiv.{required}" in names
    assert "symderiv.catalog.softmax_jacobian" in names


def test_core_imports_neither_click_nor_jinja2(probe):
    assert "click" not in probe["new"]
    assert "jinja2" not in probe["new"] and "markupsafe" not in probe["new"]


def test_core_imports_only_sympy_mpmath_and_the_standard_library(probe):
    allowed = set(sys.stdlib_module_names) | {"symderiv", "sympy", "mpmath", "gmpy2", "_distutils_hack"}
    assert set(probe["new"]) <= allowed, set(probe["new"]) - allowed


def test_core_does_no_file_io_at_import(probe):
    assert probe["opened"] == []


def test_import_of_core_succeeds_standalone():
    code = (
        "import symderiv.catalog, symderiv.planner, symderiv.verify, symderiv.rules, symderiv.steps; import sys; "
        "assert 'click' not in sys.modules and 'jinja2' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


IMPORTS_CLICK = re.compile(r"^\s*(import\s+click\b|from\s+click\b)", re.M)
IMPORTS_JINJA = re.compile(r"^\s*(import\s+jinja2\b|from\s+jinja2\b)", re.M)


def test_cli_is_the_only_module_importing_click():
    sources = {str(path.relative_to(PACKAGE)): path.read_text("utf-8") for path in PACKAGE.rglob("*.py")}
    importing = sorted(name for name, source in sources.items() if IMPORTS_CLICK.search(source))
    assert importing == ["cli.py"]


@pytest.mark.parametrize("name", CORE)
def test_core_source_mentions_no_ui_library(name):
    path = PACKAGE / f"{name}.py"
    if not path.exists():
        path = PACKAGE / name / "__init__.py"
    if not path.exists():
        pytest.skip(f"symderiv.{name} is not present")
    source = path.read_text("utf-8")
    assert not IMPORTS_CLICK.search(source) and not IMPORTS_JINJA.search(source)


def test_catalog_problem_modules_mention_no_ui_library():
    for path in (PACKAGE / "catalog").glob("*.py"):
        source = path.read_text("utf-8")
        assert not IMPORTS_CLICK.search(source) and not IMPORTS_JINJA.search(source), path.name
        assert "open(" not in source and "read_text" not in source and "write_text" not in source, path.name
