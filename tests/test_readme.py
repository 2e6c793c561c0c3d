"""The README's ```pycon blocks run as doctests, in order, sharing their names (so the README shows real output)."""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)


def test_the_readme_has_doctest_blocks():
    assert len(BLOCK.findall(README.read_text("utf-8"))) >= 3


def test_the_readme_examples_run(monkeypatch):
    monkeypatch.chdir(README.parent)
    text = "\n".join(BLOCK.findall(README.read_text("utf-8")))
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)
