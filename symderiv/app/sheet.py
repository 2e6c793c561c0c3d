"""Homework sheets: a TOML file lists problems; `build` typesets a questions PDF and a solutions PDF from it.

Importing this module is cheap (no sympy, no Jinja), so a cached build is served without them. The format is
described in docs/sheets.md and in `symderiv build --help`; examples/lecture-homework.toml is a complete sheet.
"""
from __future__ import annotations

import datetime
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from symderiv.app import cache
from symderiv.app.sheet_fields import TEACHING_KEYS, substituted, substituted_prose, teaching_data, teaching_fields
from symderiv.model.errors import DerivationFailed, InputError, TexFailed, TexMissing, nearest
from symderiv.output.pdf import tex_timeout
from symderiv.output.prose import check_prose  # one timeout rule for every TeX run
from symderiv.output.resources import check_destination, place_files, read_capped, shown

SHEET_KEYS = ("title", "course", "author", "date", "problem")
ENTRY_KEYS = ("name", "params", "expr", "wrt", "define", "points", "parts", "question") + TEACHING_KEYS
KINDS = ("questions", "solutions")
HINTS = "hints"  # the third document, written only when the sheet has hints
MAX_SHEET_BYTES = 1_000_000


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One [[problem]] table: a catalog problem (name, params) or an expression (expr, wrt, define)."""

    number: int
    name: str | None = None
    params: dict = field(default_factory=dict)
    expr: str | None = None
    wrt: str | None = None
    define: tuple[str, ...] = ()
    points: int | float | None = None
    parts: tuple[str, ...] | None = None
    question: str | None = None
    text: str | None = None
    title: str | None = None
    hint: tuple[str, ...] = ()
    part_titles: dict = field(default_factory=dict)
    space: str | None = None
    vary: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How progress messages name the entry."""
        return self.name or f"d/d{self.wrt} {self.expr}"

    def varied(self, choice: dict) -> "Entry":
        """This entry with one value of each `vary` key put in: a parameter, or a name in expr, define and the math."""
        if not choice:
            return self
        if self.name is not None:
            return replace(self, params={**self.params, **{k: _param(v) for k, v in choice.items()}})
        prose = {key: substituted_prose(getattr(self, key), choice) for key in ("text", "title") if getattr(self, key)}
        return replace(self, expr=substituted(self.expr, choice), define=tuple(substituted(d, choice) for d in self.define),
                       hint=tuple(substituted_prose(h, choice) for h in self.hint), **prose)

    def first_choice(self) -> dict:
        """The variant a build without a roster shows: the first value of each `vary` key."""
        return {key: options[0] for key, options in self.vary.items()}


@dataclass(frozen=True, kw_only=True)
class Sheet:
    """A parsed, structurally valid sheet file (problem names are checked when they are solved)."""

    path: Path
    source: bytes
    title: str
    course: str = ""
    author: str = ""
    date: str = ""
    entries: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class Built:
    """The files a build wrote, and whether they came from the cache."""

    files: tuple[Path, ...]
    cached: bool


# --- reading a sheet -------------------------------------------------------------------------------
def load_sheet(path: Path) -> Sheet:
    """The sheet in `path`, or an InputError naming the file, the entry and the fix."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{shown(path)} is a folder; give the sheet's .toml file instead.")
    source = read_capped(path, MAX_SHEET_BYTES, "sheet file")
    try:
        table = tomllib.loads(source.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text; save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path} is not valid TOML: {error}; fix the syntax there.") from None
    except RecursionError:
        raise InputError(f"{path} nests arrays or tables too deeply; a sheet needs at most three levels.") from None
    _known_keys(table, SHEET_KEYS, f"{path}", "a sheet has title, course, author, date and [[problem]] tables")
    if "title" not in table:
        raise InputError(f'{path} has no title; add a line such as title = "Homework 3" at the top.')
    text = {key: _text(table, key, f"{path}", required=key == "title") for key in ("title", "course", "author")}
    problems = table.get("problem")
    if not problems:
        raise InputError(f'{path} lists no problems; add a [[problem]] table with name = "softmax-jacobian" '
                         "(`symderiv list` shows the problems).")
    if not isinstance(problems, list) or not all(isinstance(p, dict) for p in problems):
        raise InputError(f"{path}: problem must be a list of [[problem]] tables, not {_type(problems)}; "
                         "write each as a [[problem]] table.")
    entries = tuple(_entry(p, n, f"{path}, problem {n}") for n, p in enumerate(problems, 1))
    _check_groups(entries, path)
    return Sheet(path=path, source=source, date=_date(table, f"{path}"), entries=entries, **text)


def _entry(table: dict, number: int, where: str) -> Entry:
    """One [[problem]] table, checked key by key."""
    _known_keys(table, ENTRY_KEYS, where, "use name (with params) or expr (with wrt, define), plus points, parts, question, "
                "text, title, hint, part_titles, space, vary")
    if ("name" in table) == ("expr" in table):
        raise InputError(f'{where}: give either name = "softmax-jacobian" (a catalog problem) or expr = "..." '
                         'with wrt = "x" (an expression), not both and not neither.')
    if "name" in table:
        for key in ("wrt", "define"):
            if key in table:
                raise InputError(f"{where}: {key} only goes with expr; remove it, or use expr instead of name.")
    elif "params" in table:
        raise InputError(f"{where}: params only go with name; remove them, or use name instead of expr.")
    elif "wrt" not in table:
        raise InputError(f'{where}: expr needs the variable to differentiate by; add wrt = "x".')
    params = table.get("params", {})
    if not isinstance(params, dict):
        raise InputError(f"{where}: params must be a table such as params = {{ layers = 2 }}, not {_type(params)}.")
    for key, value in params.items():
        if isinstance(value, (dict, list)) or isinstance(value, datetime.date):
            raise InputError(f"{where}: parameter {key} must be a number or a string, not {_type(value)}.")
    if "parts" in table and not table["parts"]:
        raise InputError(f'{where}: parts is empty; list part ids such as parts = ["diagonal"], or remove it.')
    points = table.get("points")
    if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 <= points < 1e6):
        raise InputError(f"{where}: points must be a number such as points = 10, not {_shown(points)}.")
    if isinstance(table.get("question"), str):
        check_prose(table["question"], f"{where}, question")
    return Entry(
        number=number, name=_text(table, "name", where), params={k: _param(v) for k, v in params.items()},
        expr=_text(table, "expr", where), wrt=_text(table, "wrt", where), define=_strings(table, "define", where),
        points=points, parts=_strings(table, "parts", where) or None, question=_text(table, "question", where),
        **teaching_fields(table, where),
    )


def _check_groups(entries: tuple[Entry, ...], path: Path) -> None:
    """Entries that share a question text must stand next to each other."""
    seen, previous = {}, None
    for entry in entries:
        if entry.question is not None and entry.question != previous and entry.question in seen:
            raise InputError(f"{path}, problem {entry.number}: question {entry.question!r} already ended at problem "
                             f"{seen[entry.question]}; move the problems of one question next to each other.")
        if entry.question is not None:
            seen[entry.question] = entry.number
        previous = entry.question


def _known_keys(table: dict, known: tuple, where: str, hint: str) -> None:
    for key in table:
        if key not in known:
            match = nearest(key, known, cutoff=0.6)
            suggestion = f" (did you mean {match!r}?)" if match else ""
            raise InputError(f"{where}: unknown key {key!r}{suggestion}; {hint}.")


def _text(table: dict, key: str, where: str, required: bool = False) -> str | None:
    value = table.get(key)
    if value is None:
        return "" if key in ("title", "course", "author") else None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(f'{where}: {key} must be a non-empty string such as {key} = "...", not {_shown(value)}.')
    return value


def _strings(table: dict, key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f'{where}: {key} must be a list of strings such as {key} = ["a", "b"], not {_shown(value)}.')
    if len(set(value)) != len(value):
        raise InputError(f"{where}: {key} lists the same item twice; list each once.")
    return tuple(value)


def _date(table: dict, where: str) -> str:
    value = table.get("date", "")
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if not isinstance(value, str):
        raise InputError(f'{where}: date must be a date or a string such as date = "5 May 2025", not {_shown(value)}.')
    return value


def _param(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _type(value) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), "a date")


def _shown(value) -> str:
    return f"{_type(value)} ({value!r})" if isinstance(value, (str, int, float, bool)) else _type(value)


# --- solving and rendering ------------------------------------------------------------------------
def check_names(sheet: Sheet) -> None:
    """Every catalog name and its params exist (cheap), before any problem is solved."""
    from symderiv.catalog import MODULES, module
    from symderiv.model.problem import parse_params

    for entry in sheet.entries:
        if entry.name is None:
            continue
        where = f"{sheet.path}, problem {entry.number}"
        if entry.name not in MODULES:
            match = nearest(entry.name, MODULES)
            suggestion = f"; did you mean {match!r}?" if match else ""
            raise InputError(f"{where}: there is no problem named {entry.name!r}{suggestion} "
                             "(`symderiv list` shows them all).")
        try:
            parse_params(entry.params, module(entry.name).PARAMS, entry.name)
            for key, options in entry.vary.items():  # with name, vary chooses parameters
                for option in options:
                    parse_params({**entry.params, key: _param(option)}, module(entry.name).PARAMS, entry.name)
        except InputError as error:
            raise InputError(f"{where}: {str(error).rstrip('.')}.") from None


def solve_entry(entry: Entry, path: Path):
    """The entry's Solution, derived and verified; errors name the file and the entry."""
    where = f"{path}, problem {entry.number}"
    try:
        if entry.name is not None:
            from symderiv.catalog import solve

            solution = solve(entry.name, entry.params)
        else:
            from symderiv.read.answers import derive_expression

            solution = derive_expression(entry.expr, entry.wrt, entry.define).solution
    except InputError as error:
        raise InputError(f"{where}: {str(error).rstrip('.')}.") from None
    ids = [part.id for part in solution.parts]
    for wanted in entry.parts or ():
        if wanted not in ids:
            raise InputError(f"{where}: {entry.label} has no part {wanted!r}; its parts are {', '.join(ids)}.")
    chosen = [part for part in solution.parts if not entry.parts or part.id in entry.parts]
    failed = [part.id for part in chosen if not part.verified]
    if failed:
        raise DerivationFailed(f"{where}: the derivation of part {', '.join(failed)} did not verify, so no PDF was "
                               f"written; run `symderiv derive` on it to see the failing step.")
    return solution


def sheet_data(sheet: Sheet, solutions: list, entries: list | None = None) -> dict:
    """The sheet as plain data for the templates: questions numbered 1, 2, … with items (a), (b) when grouped.

    `entries` are the sheet's entries as solved (one variant of each `vary`); by default the sheet's own."""
    labels = item_labels(sheet)
    items = [item_data(sheet, entry, solution, labels[entry.number])
             for entry, solution in zip(entries or sheet.entries, solutions)]
    return assembled(sheet, items)


def item_labels(sheet: Sheet) -> dict[int, str | None]:
    """Each entry's letter inside its question, (a), (b), …, or None when the question has one entry."""
    from symderiv.output.render import LETTERS

    labels = {}
    for group in _groups(sheet.entries):
        for n, entry in enumerate(group):
            labels[entry.number] = LETTERS[n] if len(group) > 1 else None
    return labels


def _groups(entries) -> list[list]:
    """Consecutive entries with the same question text, together."""
    groups: list[list] = []
    for entry in entries:
        if groups and entry.question is not None and groups[-1][0].question == entry.question:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def assembled(sheet: Sheet, items: list[dict], student: dict | None = None) -> dict:
    """The sheet's data from its items (item_data of each entry, in order), for one student or for everyone."""
    from symderiv.output.prose import prose_latex
    from symderiv.output.render import Latex

    by_number = {item["entry"]: item for item in items}
    questions = []
    for number, group in enumerate(_groups(sheet.entries), 1):
        points = [entry.points for entry in group if entry.points is not None]
        question = group[0].question
        title = Latex(prose_latex(question, f"{sheet.path}, problem {group[0].number}, question")) if question else None
        chosen = [by_number[entry.number] for entry in group]
        questions.append({"number": number, "title": title, "points": _number(sum(points)) if points else None,
                          "items": chosen, "hints": any(item["hints"] for item in chosen),
                          "varies": any(entry.vary for entry in group)})
    first = questions[0]["items"][0]["problem"]
    totals = [entry.points for entry in sheet.entries if entry.points is not None]
    return {
        "title": sheet.title, "course": sheet.course, "author": sheet.author, "date": sheet.date,
        "questions": questions, "total_points": _number(sum(totals)) if totals else None,
        "verified": all(item["problem"]["verified"] for q in questions for item in q["items"]),
        "symderiv": first["symderiv"], "sympy": first["sympy"], "rule_names": first["rule_names"],
        "hints": any(q["hints"] for q in questions), "appendix": "summary", "student": student,
    }


def item_data(sheet: Sheet, entry: Entry, solution, label: str | None) -> dict:
    """One problem of a question: its solution's data with the entry's title, text, hints and answer space."""
    from symderiv.output.render import LETTERS, ROMAN, solution_data

    problem = solution_data(solution, parts=entry.parts, labels=ROMAN if label else LETTERS)
    return {"label": label, "entry": entry.number, "problem": problem, "expression": None,
            "points": _number(entry.points) if label and entry.points is not None else None,
            **teaching_data(entry, problem, f"{sheet.path}, problem {entry.number}")}


def _number(value) -> str:
    return f"{value:g}"


# --- building ---------------------------------------------------------------------------------------
def build(path: Path, out_dir: Path = Path("output"), *, keep_tex: bool = False, templates: Path | None = None,
          use_cache: bool = True, progress: Callable[[str], None] = lambda message: None,
          appendix: str = "summary") -> Built:
    """Write OUT/<stem>-questions.pdf and OUT/<stem>-solutions.pdf (and -hints.pdf when the sheet has hints; the .tex
    with keep_tex), all or none; reuse a cached build. `appendix` is none, summary or full."""
    sheet = load_sheet(path)
    out_dir = Path(out_dir)
    stem = sheet.path.stem
    kinds = sheet_kinds(sheet)
    names = {f"{kind}.{ext}": f"{stem}-{kind}.{ext}" for kind in kinds for ext in ("pdf", "tex")}
    wanted = [name for name in names if keep_tex or name.endswith(".pdf")]
    for name in names:
        check_destination(out_dir / names[name])
    store = cache.BuildCache(out_dir / cache.CACHE_DIRNAME) if use_cache else None
    key = cache.build_key(sheet.source, templates, f"appendix={appendix}".encode()) if use_cache else None
    if store is not None and (hit := store.get(key, list(names))):
        files = place_files({out_dir / names[name]: hit[name] for name in wanted})
        progress(f"{sheet.path}: unchanged since the last build; copied from {store.root}")
        return Built(files=files, cached=True)
    check_names(sheet)
    timeout = tex_timeout()
    from symderiv.output.pdf import INSTALL_HINT, tex_available

    if not tex_available():
        raise TexMissing(INSTALL_HINT)
    solutions = []
    for n, entry in enumerate(sheet.entries, 1):
        progress(f"[{n}/{len(sheet.entries)}] deriving {entry.label}")
        solutions.append(solve_entry(entry.varied(entry.first_choice()), sheet.path))
    data = {**sheet_data(sheet, solutions, [e.varied(e.first_choice()) for e in sheet.entries]), "appendix": appendix}
    progress(f"typesetting the {', the '.join(kinds[:-1])} and the {kinds[-1]}")
    with tempfile.TemporaryDirectory(prefix="symderiv-sheet-", ignore_cleanup_errors=True) as work:
        try:
            staged = _typeset(data, Path(work), templates, timeout, {name: out_dir / names[name] for name in names})
        except TexFailed:
            if keep_tex:  # the sources help to find the error; the PDFs stay as they were
                place_files({out_dir / names[name]: (Path(work) / name).read_bytes()
                             for name in names if name.endswith(".tex")})
            raise
        built = {name: path.read_bytes() for name, path in staged.items()}
    files = place_files({out_dir / names[name]: built[name] for name in wanted})
    if store is not None:
        store.put(key, built)
    return Built(files=files, cached=False)


def sheet_kinds(sheet: Sheet) -> tuple[str, ...]:
    """The documents a build writes: questions and solutions, and hints when some problem has a hint."""
    return KINDS + ((HINTS,) if any(entry.hint for entry in sheet.entries) else ())


def _typeset(data: dict, work: Path, templates: Path | None, timeout: float, destinations: dict) -> dict[str, Path]:
    """The documents of `destinations` ({kind.pdf: path}) rendered and compiled side by side in `work`; nothing is
    placed yet; interrupted, TeX is stopped."""
    kinds = tuple(dict.fromkeys(name.partition(".")[0] for name in destinations))
    from symderiv.output.pdf import compile_pdf, kill_running
    from symderiv.output.render import render_template

    staged = {}
    for kind in kinds:
        staged[f"{kind}.tex"] = work / f"{kind}.tex"
        staged[f"{kind}.tex"].write_text(render_template(f"sheet-{kind}.tex.j2", data, templates), encoding="utf-8")
        staged[f"{kind}.pdf"] = work / f"{kind}.pdf"
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        jobs = {kind: pool.submit(compile_pdf, staged[f"{kind}.tex"].read_text(encoding="utf-8"),
                                  staged[f"{kind}.pdf"], timeout=timeout) for kind in kinds}
        try:
            for kind, job in jobs.items():
                try:
                    job.result()
                except TexFailed as error:
                    message = str(error).replace(str(staged[f"{kind}.pdf"]), str(destinations[f"{kind}.pdf"]))
                    raise TexFailed(f"the {kind} sheet: {message}") from None
        except TexFailed:
            raise
        except BaseException:  # interrupted: do not wait for the other document
            kill_running()
            raise
    return staged
