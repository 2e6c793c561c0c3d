"""Grading a class's answers: a CSV of rows (student, problem, part, answer), one verdict per row, never the expected
result. `problem` is a catalog name, or, with a key (the answers CSV `symderiv build --roster` writes), the
question's label on the sheet ("1", "2a"), looked up for that student's own variant."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from symderiv.model.errors import InputError, SymderivError
from symderiv.output.resources import read_capped, shown

MAX_CSV_BYTES = 5_000_000
COLUMNS = ("student", "problem", "part", "answer")
KEY_COLUMNS = COLUMNS + ("name", "params", "expr", "wrt", "define")


@dataclass(frozen=True)
class Verdict:
    """One graded row: correct, incorrect (with a counterexample when one was found), undecided or unreadable."""

    row: dict
    verdict: str
    detail: str = ""


def read_rows(path: Path, columns: tuple = COLUMNS, what: str = "answers file") -> list[dict]:
    """The rows of a CSV file with (at least) these header columns, or an InputError naming the file and the fix."""
    try:
        text = read_capped(path, MAX_CSV_BYTES, what).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"cannot read {shown(path)}: it is not UTF-8 text; save it as UTF-8 CSV.") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [c for c in columns if c not in header]
        if missing:
            raise InputError(f"{shown(path)} has no column {', '.join(missing)}; its first line must be the header "
                             f"{','.join(columns)}.")
        reader.fieldnames = header
        rows = [{k: (v or "").strip() for k, v in row.items() if k in columns} for row in reader]
    except csv.Error as error:
        raise InputError(f"{shown(path)} is not valid CSV ({error}); fix it there.") from None
    return [row for row in rows if any(row.values())]


def grade(path: Path, key: Path | None = None) -> list[Verdict]:
    """One verdict per row of the answers file, in order."""
    rows = read_rows(path)
    specs = _key(key) if key is not None else None
    return [_grade_row(row, specs) for row in rows]


def _key(path: Path) -> dict:
    """The key's rows by (student, problem, part)."""
    return {(row["student"], row["problem"], row["part"]): row for row in read_rows(path, KEY_COLUMNS, "answer key")}


def _grade_row(row: dict, specs: dict | None) -> Verdict:
    from symderiv.read.answers import check_answer

    if not row["answer"]:
        return Verdict(row, "unreadable", "the answer is empty")
    try:
        if specs is None:
            result = check_answer(row["answer"], problem=row["problem"], part=row["part"] or None)
        else:
            spec = specs.get((row["student"], row["problem"], row["part"]))
            if spec is None:
                return Verdict(row, "unknown", f"the key has no problem {row['problem']} part {row['part']} "
                                               f"for student {row['student']}")
            result = check_answer(row["answer"], part=spec["part"], **_target(spec))
    except SymderivError as error:  # the answer cannot be read, or the row names no problem or part
        message = str(error).rstrip(".")
        return Verdict(row, "unreadable" if "the answer" in message else "invalid", message)
    if result.correct:
        return Verdict(row, "correct", f"decided by {result.check.method}")
    found = result.counterexample
    detail = f"at {found.where()}: this answer = {found.values()[0]}, the right value = {found.values()[1]}" if found else ""
    return Verdict(row, "incorrect" if result.correct is False else "undecided", detail)


def _target(spec: dict) -> dict:
    """check_answer's arguments for one key row: a catalog name with params, or an expression."""
    try:
        if spec["name"]:
            return {"problem": spec["name"], "params": json.loads(spec["params"] or "{}")}
        return {"expr": spec["expr"], "wrt": spec["wrt"], "defines": tuple(json.loads(spec["define"] or "[]"))}
    except (ValueError, TypeError):
        raise InputError("the key's row is damaged; build the sheet again to write a new key") from None


def verdicts_csv(verdicts: list[Verdict]) -> str:
    """The verdicts as CSV: student, problem, part, verdict, detail."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("student", "problem", "part", "verdict", "detail"))
    for v in verdicts:
        writer.writerow((v.row["student"], v.row["problem"], v.row["part"], v.verdict, v.detail))
    return out.getvalue()


def typed_result(part, definitions: tuple) -> str:
    """A part's result as it may be typed to `check` (the problem's names kept), or '' when the grammar cannot say it."""
    from symderiv.model.definitions import unfold
    from symderiv.read.answers import _as_input, _target_of

    target = _target_of(part, tuple(definitions))
    typed = _as_input(target.typeable) if target.typeable is not None else ""
    return typed or _as_input(unfold(part.derivation.result, definitions))
