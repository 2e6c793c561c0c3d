"""Per-student variants: `symderiv build SHEET --roster students.csv` gives each student a questions PDF with their
name and their own choice of every `vary`, and the instructor one solutions PDF (every variant, in roster order) and
an answers CSV that `symderiv check --answers` grades.

A student's choice is a pure function of the sheet's bytes, the student's id and the seed. Distinct variants are
derived once each, in worker processes (both cores); TeX runs side by side in threads. The cache keeps each variant's
template data, each student's PDFs (key: the sheet, templates, symderiv, the student and their choice) and the
instructor's files.
Importing this module is cheap, so a cached build neither imports sympy nor runs TeX.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import tempfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from symderiv.app import cache
from symderiv.app.sheet import Built, Sheet, item_labels, load_sheet, sheet_kinds
from symderiv.model.problem import Prose
from symderiv.model.errors import DerivationFailed, InputError, SymderivError, TexFailed, TexMissing
from symderiv.output.resources import check_destination, place_files, read_capped, shown

MAX_ROSTER_BYTES = 1_000_000
MAX_STUDENTS = 2000
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")  # it becomes part of a file name
LATEX_MARK = "\u0000latex"  # the JSON key that marks a cached string as LaTeX (no template data key starts with NUL)
ANSWER_COLUMNS = ("student", "problem", "part", "answer", "name", "params", "expr", "wrt", "define")


@dataclass(frozen=True)
class Student:
    """One row of the roster."""

    id: str
    name: str


# --- the roster and each student's choice -------------------------------------------------------------------
def read_roster(path: Path) -> tuple[Student, ...]:
    """The students of a CSV file with the header id,name; one sentence naming the file, row and fix otherwise."""
    try:
        text = read_capped(path, MAX_ROSTER_BYTES, "roster").decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except UnicodeDecodeError:
        raise InputError(f"{shown(path)} is not UTF-8 text; save the roster as UTF-8 CSV.") from None
    except csv.Error as error:
        raise InputError(f"{shown(path)} is not valid CSV ({error}); fix it there.") from None
    rows = [[cell.strip() for cell in row] for row in rows if any(cell.strip() for cell in row)]
    if not rows or [c.lower() for c in rows[0][:2]] != ["id", "name"]:
        raise InputError(f"{shown(path)} must start with the header line id,name, then one student a line.")
    students, seen = [], set()
    for number, row in enumerate(rows[1:], 2):
        if len(row) < 2 or not STUDENT_ID.match(row[0]) or not row[1] or len(row[1]) > 100:
            raise InputError(f"{shown(path)}, line {number}: write id,name, where the id is letters, digits, '.', '-' "
                             "or '_' (at most 64) and the name at most 100 characters.")
        if row[0] in seen:
            raise InputError(f"{shown(path)}, line {number}: student id {row[0]!r} is listed twice; give each one id.")
        seen.add(row[0])
        students.append(Student(row[0], row[1]))
    if not students or len(students) > MAX_STUDENTS:
        raise InputError(f"{shown(path)} must list 1 to {MAX_STUDENTS} students, one a line after the header id,name.")
    return tuple(students)


def choice(sheet: Sheet, student_id: str, seed: int = 0) -> dict[int, dict]:
    """Each varying entry's values for this student: a pure function of the sheet's bytes, the id and the seed."""
    sheet_digest = hashlib.sha256(sheet.source).hexdigest()
    chosen = {}
    for entry in sheet.entries:
        picks = {}
        for key, options in entry.vary.items():
            digest = hashlib.sha256(f"symderiv vary\0{sheet_digest}\0{seed}\0{student_id}\0{entry.number}\0{key}".encode())
            picks[key] = options[int(digest.hexdigest(), 16) % len(options)]
        chosen[entry.number] = picks
    return chosen


def cores() -> int:
    """The processors this process may run on (taskset and containers included)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _variant_key(picks: dict) -> str:
    return json.dumps(picks, sort_keys=True)


# --- deriving the distinct variants (in worker processes) -------------------------------------------------
def _derive_variant(sheet: Sheet, number: int, picks: dict, label: str | None) -> tuple:
    """One entry with one choice, solved, verified and turned into template data; errors come back as text."""
    from symderiv.app.sheet import item_data, solve_entry
    from symderiv.read.grading import typed_result

    entry = next(e for e in sheet.entries if e.number == number).varied(picks)
    try:
        solution = solve_entry(entry, sheet.path)
        item = item_data(sheet, entry, solution, label)
        chosen = [p for p in solution.parts if not entry.parts or p.id in entry.parts]
        item["answers"] = {p.id: typed_result(p, solution.definitions) for p in chosen}
        item["choice"] = picks
        return "ok", _plain(item)
    except SymderivError as error:
        return type(error).__name__, str(error)


def _plain(value):
    """Template data with every lazily made form made now, as plain dicts and lists (to pickle it, or store it)."""
    if isinstance(value, Mapping):
        return {key: _plain(value[key]) for key in value}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Prose):  # a part title or remark: its words, as the sheets' LaTeX shows them
        from symderiv.output.wording import words

        return words(value, tex=True)
    return value


def _solve_all(sheet: Sheet, wanted: list[tuple[int, str]], choices: dict, tick: Callable) -> dict:
    """Template data for every (entry number, variant) wanted, derived in parallel when there are several."""
    labels = item_labels(sheet)
    jobs = {(number, key): (sheet, number, choices[(number, key)], labels[number]) for number, key in wanted}
    results = {}
    workers = min(len(jobs), cores(), 8)
    if workers <= 1:
        for job, args in jobs.items():
            results[job] = _derive_variant(*args)
            tick()
    else:
        import multiprocessing

        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(_derive_variant, *args): job for job, args in jobs.items()}
            try:
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    tick()
            except BrokenProcessPool:
                raise DerivationFailed("a worker process deriving the variants stopped (out of memory?), so nothing "
                                       "was written; build again, or with fewer students at a time.") from None
    for status, value in results.values():
        if status != "ok":
            raise (DerivationFailed if status == "DerivationFailed" else InputError)(value)
    return {job: value for job, (_, value) in results.items()}


# --- the build ------------------------------------------------------------------------------------------------
def build_roster(path: Path, roster: Path, out_dir: Path = Path("output"), *, seed: int = 0,
                 templates: Path | None = None, use_cache: bool = True, appendix: str = "summary",
                 progress: Callable[[str], None] = lambda message: None,
                 tick: Callable[[int, int], None] = lambda done, total: None) -> Built:
    """OUT/<stem>-<id>-questions.pdf (and -hints.pdf) per student, OUT/<stem>-solutions.pdf and <stem>-answers.csv."""
    sheet, students = load_sheet(path), read_roster(roster)
    out_dir, stem = Path(out_dir), sheet.path.stem
    kinds = tuple(kind for kind in sheet_kinds(sheet) if kind != "solutions")
    mine = {s.id: {f"{kind}.pdf": out_dir / f"{stem}-{s.id}-{kind}.pdf" for kind in kinds} for s in students}
    teacher = {"solutions.pdf": out_dir / f"{stem}-solutions.pdf", "answers.csv": out_dir / f"{stem}-answers.csv"}
    for destination in [*teacher.values(), *(p for files in mine.values() for p in files.values())]:
        check_destination(destination)
    picks = {s.id: choice(sheet, s.id, seed) for s in students}
    store = cache.BuildCache(out_dir / cache.CACHE_DIRNAME) if use_cache else None
    base = cache.build_key(sheet.source, templates, f"roster appendix={appendix}".encode()) if use_cache else ""
    keys = {s.id: cache.derived_key(base, "student", s.id, s.name, _variant_key(picks[s.id])) for s in students}
    keys["teacher"] = cache.derived_key(base, "teacher", str(seed), *(f"{s.id}\0{s.name}" for s in students))
    found = {who: store.get(key, list(mine.get(who, teacher))) for who, key in keys.items()} if store else {}
    missing = [s for s in students if not found.get(s.id)]
    if not missing and found.get("teacher"):
        files = _place_changed({dest: found[who][name] for who, names in [*mine.items(), ("teacher", teacher)]
                                for name, dest in names.items()})
        progress(f"{sheet.path}: unchanged since the last build for these {len(students)} students; copied from {store.root}")
        return Built(files=files, cached=True)
    jobs = {(n, _variant_key(p)) for s in students for n, p in picks[s.id].items()}
    keep = len(keys) + len(jobs) + cache.KEEP  # this build's entries survive its own pruning
    variants = _Variants(store, base, keep)
    built = _build_missing(sheet, students, missing, not found.get("teacher"), picks, kinds, templates, appendix,
                           variants, progress, tick)
    for who, files in built.items():
        found[who] = files
        if store is not None:
            store.put(keys[who], files, keep=keep)
    files = _place_changed({dest: found[who][name] for who, names in [*mine.items(), ("teacher", teacher)]
                            for name, dest in names.items()})
    return Built(files=files, cached=False)


def _place_changed(files: dict[Path, bytes]) -> tuple[Path, ...]:
    """place_files for the files whose destination does not hold these bytes already (all or none of those)."""
    changed = {}
    for path, data in files.items():
        try:
            same = stat.S_ISREG(os.lstat(path).st_mode) and os.path.getsize(path) == len(data) and path.read_bytes() == data
        except OSError:
            same = False
        if not same:
            changed[path] = data
    if changed:
        place_files(changed)
    return tuple(files)


def _build_missing(sheet, students, missing, teacher, picks, kinds, templates, appendix, variants, progress, tick) -> dict:
    """The files of the students in `missing` (and the instructor's when `teacher`), by who: {name: bytes}."""
    from symderiv.app.sheet import check_names
    from symderiv.output.pdf import INSTALL_HINT, tex_available, tex_timeout

    check_names(sheet)
    timeout = tex_timeout()
    if not tex_available():
        raise TexMissing(INSTALL_HINT)
    needed = students if teacher else missing
    choices = {(n, _variant_key(p)): p for s in needed for n, p in picks[s.id].items()}
    items = {job: item for job in choices if (item := variants.get(job)) is not None}
    new = [job for job in choices if job not in items]
    documents = len(missing) * len(kinds) + (1 if teacher else 0)
    total, done = len(new) + documents, [0]

    def step():
        done[0] += 1
        tick(done[0], total)

    progress(f"deriving {len(new)} problem variants for {len(needed)} students ({len(items)} known from the cache)")
    derived = _solve_all(sheet, new, choices, step) if new else {}
    for job, item in derived.items():
        variants.put(job, item)
    items.update(derived)
    progress(f"typesetting {documents} documents")
    sources = {}
    for student in missing:
        data = _student_data(sheet, student, picks, items)
        for kind in kinds:
            sources[(student.id, f"{kind}.pdf")] = _render(f"sheet-{kind}.tex.j2", data, templates)
    answers = None
    if teacher:
        data = _teacher_data(sheet, students, picks, items, appendix)
        sources[("teacher", "solutions.pdf")] = _render("sheet-roster-solutions.tex.j2", data, templates)
        answers = _answers_csv(sheet, students, picks, items)
    pdfs = _compile_all(sources, timeout, step)
    built: dict[str, dict] = {}
    for (who, name), data in pdfs.items():
        built.setdefault(who, {})[name] = data
    if answers is not None:
        built["teacher"]["answers.csv"] = answers
    return built


class _Variants:
    """Each (entry, variant)'s template data in the build cache, so that a student added later re-derives nothing
    another student's variant already has. Strings that are LaTeX keep that mark through JSON."""

    def __init__(self, store, base: str, keep: int):
        self.store, self.base, self.keep = store, base, keep

    def _key(self, job: tuple) -> str:
        return cache.derived_key(self.base, "variant", str(job[0]), job[1])

    def get(self, job: tuple) -> dict | None:
        found = self.store.get(self._key(job), ["item.json"]) if self.store is not None else None
        if not found:
            return None
        try:
            return _decoded(json.loads(found["item.json"]))
        except (ValueError, TypeError, KeyError):
            return None

    def put(self, job: tuple, item: dict) -> None:
        if self.store is not None:
            self.store.put(self._key(job), {"item.json": json.dumps(_encoded(item)).encode()}, keep=self.keep)


def _encoded(value):
    """Template data as JSON: a Latex string becomes {LATEX_MARK: text}."""
    from symderiv.output.render import Latex

    if isinstance(value, Latex):
        return {LATEX_MARK: str(value)}
    if isinstance(value, dict):
        return {key: _encoded(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encoded(v) for v in value]
    return value


def _decoded(value):
    from symderiv.output.render import Latex

    if isinstance(value, dict):
        if set(value) == {LATEX_MARK}:
            return Latex(value[LATEX_MARK])
        return {key: _decoded(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def _items_of(sheet: Sheet, student_picks: dict, items: dict) -> list[dict]:
    return [items[(e.number, _variant_key(student_picks[e.number]))] for e in sheet.entries]


def _student_data(sheet: Sheet, student: Student, picks: dict, items: dict) -> dict:
    from symderiv.app.sheet import assembled

    return assembled(sheet, _items_of(sheet, picks[student.id], items), {"id": student.id, "name": student.name})


def _teacher_data(sheet: Sheet, students, picks: dict, items: dict, appendix: str) -> dict:
    """Questions every student shares, then each distinct variant in roster order with the students who have it."""
    from symderiv.app.sheet import assembled

    variants: dict[str, dict] = {}
    for student in students:
        key = _variant_key(picks[student.id])
        if key not in variants:
            data = assembled(sheet, _items_of(sheet, picks[student.id], items))
            variants[key] = {"questions": [q for q in data["questions"] if q["varies"]], "students": [],
                             "choice": [f"{k} = {v}" for n in sorted(picks[student.id])
                                        for k, v in picks[student.id][n].items()]}
        variants[key]["students"].append({"id": student.id, "name": student.name})
    first = assembled(sheet, _items_of(sheet, picks[students[0].id], items))
    every = [q for v in variants.values() for q in v["questions"]]
    return {**first, "common": [q for q in first["questions"] if not q["varies"]], "variants": list(variants.values()),
            "appendix": appendix, "verified": first["verified"] and all(
                item["problem"]["verified"] for q in every for item in q["items"])}


def _answers_csv(sheet: Sheet, students, picks: dict, items: dict) -> bytes:
    """One row per student and part: the sheet's label for the problem, the part id, the result, and the problem."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ANSWER_COLUMNS)
    labels = _question_labels(sheet)
    for student in students:
        for entry in sheet.entries:
            chosen = picks[student.id][entry.number]
            varied = entry.varied(chosen)
            item = items[(entry.number, _variant_key(chosen))]
            for part_id, typed in item["answers"].items():
                writer.writerow((student.id, labels[entry.number], part_id, typed, varied.name or "",
                                 json.dumps(varied.params, sort_keys=True) if varied.name else "",
                                 varied.expr or "", varied.wrt or "", json.dumps(list(varied.define)) if varied.expr else ""))
    return out.getvalue().encode("utf-8")


def _question_labels(sheet: Sheet) -> dict[int, str]:
    """How the sheet names each entry: "1", or "2a" for item (a) of question 2."""
    from symderiv.app.sheet import _groups

    labels = {}
    for number, group in enumerate(_groups(sheet.entries), 1):
        for n, entry in enumerate(group):
            labels[entry.number] = f"{number}{chr(ord('a') + n) if len(group) > 1 else ''}"
    return labels


def _render(template: str, data: dict, templates: Path | None) -> str:
    from symderiv.output.render import render_template

    return render_template(template, data, templates)


def _compile_all(sources: dict, timeout: float, step: Callable) -> dict:
    """Every document compiled, one TeX run per core at a time; nothing is placed; on failure, TeX is stopped."""
    from symderiv.output.pdf import compile_pdf, kill_running

    with tempfile.TemporaryDirectory(prefix="symderiv-roster-", ignore_cleanup_errors=True) as work:
        targets = {job: Path(work) / f"{n}.pdf" for n, job in enumerate(sources)}
        with ThreadPoolExecutor(max_workers=cores()) as pool:
            futures = {pool.submit(compile_pdf, sources[job], targets[job], timeout=timeout): job for job in sources}
            try:
                for future in as_completed(futures):
                    future.result()
                    step()
            except TexFailed as error:
                _stop(futures, kill_running)
                who, name = futures[future]
                raise TexFailed(f"the {name} of {who}: {error}") from None
            except BaseException:
                _stop(futures, kill_running)
                raise
        return {job: path.read_bytes() for job, path in targets.items()}


def _stop(futures, kill_running) -> None:
    """Cancel the TeX runs not started yet and kill those running."""
    for future in futures:
        future.cancel()
    kill_running()
