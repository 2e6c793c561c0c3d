"""The templates (and rule_names.json) load from a built wheel, not only from an editable checkout."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from symderiv.output.resources import template_directory

REPO = Path(__file__).resolve().parent.parent


def test_the_checkout_finds_every_template():
    folder = template_directory()
    names = {p.name for p in folder.iterdir()}
    assert {"document.tex.j2", "derivation.tex.j2", "preamble.tex.j2", "problem.tex.j2", "sheet-questions.tex.j2",
            "sheet-solutions.tex.j2", "text.j2", "markdown.md.j2", "rule_names.json"} <= names


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from the repository root."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    (found,) = out.glob("symderiv-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_ships_every_template_file(wheel):
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("symderiv/templates/")}
    expected = {f"symderiv/templates/{p.relative_to(REPO / 'templates').as_posix()}"
                for p in (REPO / "templates").rglob("*") if p.is_file()}
    assert expected and expected <= shipped
    assert "symderiv/templates/rule_names.json" in shipped
    assert "symderiv/templates/prose/softmax-cross-entropy.j2" in shipped


@pytest.mark.slow
def test_a_problem_renders_from_the_installed_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", "--force-reinstall",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"  # not the repository, so its top-level templates/ cannot be found
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import symderiv.output.resources as r; print(r.template_directory())"],
                           cwd=elsewhere, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(venv) and Path(where).parts[-2:] == ("symderiv", "templates")
    result = subprocess.run([str(python), "-m", "symderiv", "derive", "softmax-jacobian", "-f", "tex"],
                            cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert r"\begin{document}" in result.stdout and r"\end{document}" in result.stdout
    assert "quotient rule (Trick 1)" in result.stdout  # a rule name from rule_names.json
    assert r"by \partref{a}" in result.stdout
    assert "The whole matrix" in result.stdout  # a part title from templates/prose/ in the wheel


@pytest.mark.slow
def test_the_wheel_ships_katex_with_its_license(wheel):
    shipped = set(zipfile.ZipFile(wheel).namelist())
    katex = REPO / "symderiv" / "output" / "katex"
    expected = {f"symderiv/output/katex/{p.relative_to(katex).as_posix()}" for p in katex.rglob("*") if p.is_file()}
    assert "symderiv/output/katex/LICENSE" in expected and "symderiv/output/katex/katex.min.js" in expected
    assert expected <= shipped
