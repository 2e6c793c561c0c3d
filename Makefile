# symderiv: `make demo` sets up, prints a derivation and builds the example homework PDFs (the sheet, and one
# questions PDF per student of examples/roster.csv); `make test` sets up and runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
TEX_PACKAGES = texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk lmodern poppler-utils bubblewrap

.PHONY: demo test setup setup-tex install install-test bench clean

demo: setup
	$(BIN)/symderiv derive softmax-jacobian
	$(BIN)/symderiv build examples/lecture-homework.toml -o output
	$(BIN)/symderiv build examples/lecture-homework.toml --roster examples/roster.csv -o output/roster

test: setup install-test
	$(BIN)/python -m pytest

setup: install setup-tex

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]' build
	touch $@

# TeX Live from Debian, and bubblewrap (bwrap), TeX's sandbox, only when one is missing (needs root or sudo).
setup-tex:
	@if command -v pdflatex >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 && command -v bwrap >/dev/null 2>&1; then :; else \
		echo "Installing TeX Live and bubblewrap from Debian (about 63 MB) ..."; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES); \
	fi

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info output/*.pdf
