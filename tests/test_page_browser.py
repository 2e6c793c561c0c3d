"""`derive -f html` in a real headless browser (Debian's Chromium, which `make test` installs): the math renders
without a KaTeX error on every catalog page, and "next step" reveals more of the page."""

import subprocess
import sys
from pathlib import Path

import pytest

from browser import Browser, executable, inked_area
from symderiv import catalog

pytestmark = pytest.mark.slow

if executable() is None:
    pytest.skip("Chromium is not installed here (`make setup-browser` installs it from Debian); "
                "the page is not tested in a browser.", allow_module_level=True)
pytest.importorskip("websocket", reason="websocket-client (a test dependency) is needed to drive Chromium")
pytest.importorskip("PIL", reason="pillow (a test dependency) is needed to measure screenshots")


def page(tmp_path: Path, *args: str) -> Path:
    """The page `symderiv derive ARGS -f html` writes."""
    out = tmp_path / "page.html"
    result = subprocess.run([sys.executable, "-m", "symderiv", "derive", *args, "-f", "html", "-o", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def browser():
    opened = Browser(width=1100, height=3000)
    yield opened
    opened.close()


QUESTIONS = [[name] for name in catalog.names()] + [
    ["--expr", "log(1 + exp(-y*w*x))", "--wrt", "w"],
    ["--define", "y = sigmoid(w1*x)", "--expr", "(d - sigmoid(w2*y))**2/2", "--wrt", "w1"],
    ["softmax-jacobian", "-p", "n=3"],
]


@pytest.mark.parametrize("args", QUESTIONS, ids=lambda args: " ".join(args))
def test_every_formula_renders_without_a_katex_error(browser, tmp_path, args):
    browser.open(page(tmp_path, *args).as_uri())
    browser.click("#sd-all")
    assert browser.evaluate("document.querySelectorAll('.katex-error').length") == 0
    rendered = browser.evaluate("document.querySelectorAll('.katex').length")
    assert rendered >= 3
    assert browser.evaluate(r"document.body.innerText.includes('\\(')") is False  # no delimiter left unrendered


def test_next_step_reveals_one_step_at_a_time(browser, tmp_path):
    browser.open(page(tmp_path, "softmax-jacobian").as_uri())
    total = browser.evaluate("document.querySelectorAll('.sd-reveal').length")
    assert browser.evaluate("document.querySelectorAll('.sd-reveal:not(.sd-hidden)').length") == 0
    before = inked_area(browser.screenshot(tmp_path / "before.png"))
    browser.click("#sd-next")
    assert browser.evaluate("document.querySelectorAll('.sd-reveal:not(.sd-hidden)').length") == 1
    after = inked_area(browser.screenshot(tmp_path / "after.png"))
    assert after > before * 1.02, (before, after)
    assert browser.evaluate("document.getElementById('sd-counter').textContent") == f"step 1 of {total}"


def test_a_cited_derivation_expands_on_click(browser, tmp_path):
    browser.open(page(tmp_path, "softmax-jacobian").as_uri())
    browser.click("#sd-all")
    assert browser.evaluate("document.querySelector('details.sd-where').open") is False
    before = inked_area(browser.screenshot(tmp_path / "folded.png"))
    browser.click("details.sd-where > summary")
    assert browser.evaluate("document.querySelector('details.sd-where').open") is True
    assert inked_area(browser.screenshot(tmp_path / "expanded.png")) > before
