"""The architecture's boundary: the stages model → derive → check (and the catalog) import sympy and the
standard library only, never the edges (read, output, app), do no I/O at import, and only app.cli knows click."""

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symderiv"
CORE_STAGES = ("model", "derive", "check", "catalog")
EDGES = ("read", "output", "app")


def stage_modules(stage: str) -> list[str]:
    """Every module of one stage subpackage, as dotted names."""
    folder = PACKAGE / stage
    return [f"symderiv.{stage}" if path.stem == "__init__" else f"symderiv.{stage}.{path.stem}"
            for path in sorted(folder.glob("*.py"))]


def core_modules() -> list[str]:
    """Every module of the core stages."""
    return [name for stage in CORE_STAGES for name in stage_modules(stage)]


def imported_symderiv_modules(path: Path) -> set[str]:
    """Every symderiv module a source file imports, at top level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.add("<relative>")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("symderiv") or name == "<relative>"}


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


def test_the_tree_shows_the_pipeline():
    stages = sorted(path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists())
    assert stages == sorted([*CORE_STAGES, *EDGES, "testing"])
    assert sorted(path.name for path in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]
    names = core_modules()
    for required in ("model.steps", "derive.rules", "derive.planner", "check.verify", "catalog.softmax_jacobian"):
        assert f"symderiv.{required}" in names


@pytest.mark.parametrize("stage", CORE_STAGES)
def test_core_stages_never_import_the_edges(stage):
    for path in (PACKAGE / stage).glob("*.py"):
        imported = imported_symderiv_modules(path)
        assert "<relative>" not in imported, f"{path.name}: use absolute imports"
        bad = sorted(name for name in imported if name.split(".")[1:2] and name.split(".")[1] in EDGES)
        assert not bad, f"{stage}/{path.name} imports {bad}"


def test_the_boundary_check_sees_a_violation(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text("def f():\n    from symderiv.output.printing import to_text\n")
    assert "symderiv.output.printing" in imported_symderiv_modules(source)


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
        "import symderiv.catalog, symderiv.derive.planner, symderiv.check.verify, symderiv.derive.rules, symderiv.model.steps; import sys; "
        "assert 'click' not in sys.modules and 'jinja2' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


IMPORTS_CLICK = re.compile(r"^\s*(import\s+click\b|from\s+click\b)", re.M)
IMPORTS_JINJA = re.compile(r"^\s*(import\s+jinja2\b|from\s+jinja2\b)", re.M)


def test_cli_is_the_only_module_importing_click():
    sources = {str(path.relative_to(PACKAGE)): path.read_text("utf-8") for path in PACKAGE.rglob("*.py")}
    importing = sorted(name for name, source in sources.items() if IMPORTS_CLICK.search(source))
    assert importing == ["app/cli.py"]


@pytest.mark.parametrize("stage", CORE_STAGES)
def test_core_source_mentions_no_ui_library(stage):
    for path in (PACKAGE / stage).glob("*.py"):
        source = path.read_text("utf-8")
        assert not IMPORTS_CLICK.search(source) and not IMPORTS_JINJA.search(source), path.name


def test_catalog_problem_modules_mention_no_ui_library():
    for path in (PACKAGE / "catalog").glob("*.py"):
        source = path.read_text("utf-8")
        assert not IMPORTS_CLICK.search(source) and not IMPORTS_JINJA.search(source), path.name
        assert "open(" not in source and "read_text" not in source and "write_text" not in source, path.name
