"""The teaching keys of a [[problem]] table: text, title, hint, part_titles, space and vary, each checked when the
sheet is read (cheap: no sympy), with one sentence naming the file, the entry and the fix."""
from __future__ import annotations

import re

from symderiv.model.errors import InputError
from symderiv.output.prose import check_prose

TEACHING_KEYS = ("text", "title", "hint", "part_titles", "space", "vary")
SPACE = re.compile(r"(\d{1,3}(?:\.\d{1,3})?)\s*(cm|mm|in|pt|em|ex)\Z")
MAX_SPACE_CM = 20.0  # an A4 page holds about 25 cm of text; the heading and question need the rest
TO_CM = {"cm": 1.0, "mm": 0.1, "in": 2.54, "pt": 2.54 / 72.27, "em": 0.39, "ex": 0.17}
VARY_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
MAX_CHOICES = 100


def teaching_fields(table: dict, where: str) -> dict:
    """The checked teaching keys of one [[problem]] table, as Entry fields."""
    fields = {}
    for key in ("text", "title"):
        if key in table:
            fields[key] = _prose(table[key], f"{where}, {key}", key)
    if "hint" in table:
        hints = table["hint"] if isinstance(table["hint"], list) else [table["hint"]]
        fields["hint"] = tuple(_prose(h, f"{where}, hint {n}", "hint") for n, h in enumerate(hints, 1))
    if "part_titles" in table:
        titles = table["part_titles"]
        if not isinstance(titles, dict):
            raise InputError(f'{where}: part_titles must be a table such as part_titles = {{ diagonal = "The diagonal" }}, '
                             "mapping part ids to titles.")
        fields["part_titles"] = {str(k): _prose(v, f"{where}, part_titles.{k}", "title") for k, v in titles.items()}
    if "space" in table:
        fields["space"] = _space(table["space"], where)
    if "vary" in table:
        fields["vary"] = _vary(table["vary"], table, where)
    return fields


def _prose(value, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f'{where}: a {key} must be a non-empty string such as "Find $sigmoid(w*x)$", not {value!r}.')
    check_prose(value, where)
    return value


def _space(value, where: str) -> str:
    match = SPACE.match(value.strip()) if isinstance(value, str) else None
    if not match or float(match[1]) * TO_CM[match[2]] > MAX_SPACE_CM or float(match[1]) <= 0:
        raise InputError(f'{where}: space must be a height such as space = "6cm" (cm, mm, in, pt, em or ex, at most '
                         f'{MAX_SPACE_CM:g} cm), not {value!r}.')
    return f"{match[1]}{match[2]}"


def _vary(value, table: dict, where: str) -> dict:
    """vary = { a = [2, 3, 5], activation = ["tanh", "sigmoid"] }: each key a name, each value a list of choices."""
    if not isinstance(value, dict) or not value:
        raise InputError(f'{where}: vary must be a table of choices such as vary = {{ a = [2, 3, 5] }}.')
    choices = {}
    for key, options in value.items():
        if not VARY_NAME.match(key):
            raise InputError(f"{where}: vary key {key!r} is not a name; use letters, digits and _, starting with a letter.")
        if not isinstance(options, list) or not 1 <= len(options) <= MAX_CHOICES or not all(map(_choice, options)):
            raise InputError(f'{where}: vary.{key} must be a list of 1 to {MAX_CHOICES} numbers or names, such as '
                             f'{key} = [2, 3, 5] or {key} = ["tanh", "sigmoid"].')
        if key == table.get("wrt"):
            raise InputError(f"{where}: vary.{key} is the variable to differentiate by; vary a coefficient instead.")
        if "expr" in table and not _occurs(key, table):
            raise InputError(f"{where}: vary.{key} names nothing in expr or define; use a symbol of the expression, "
                             f"such as a in expr = \"a*x**2\", or write the function as {key}(...).")
        choices[key] = tuple(options)
    return choices


def _choice(option) -> bool:
    if isinstance(option, bool):
        return False
    if isinstance(option, (int, float)):
        return abs(option) < 1e6
    return isinstance(option, str) and bool(VARY_NAME.match(option))


def _occurs(key: str, table: dict) -> bool:
    texts = [table.get("expr", "")] + list(table.get("define", []) if isinstance(table.get("define"), list) else
                                           [table.get("define", "")])
    pattern = re.compile(rf"(?<![\w.]){re.escape(key)}(?!\w)")
    return any(isinstance(t, str) and pattern.search(t) for t in texts)


def substituted(text: str, choice: dict) -> str:
    """Every whole-word name of `choice` in an expression's text replaced by its chosen value."""
    for key, value in choice.items():
        shown = value if isinstance(value, str) else f"({value!r})" if value < 0 else repr(value)
        text = re.sub(rf"(?<![\w.]){re.escape(key)}(?!\w)", lambda _: shown, text)
    return text


def substituted_prose(text: str, choice: dict) -> str:
    """Prose with the choice put into its $…$ math only; the text between stays as written."""
    from symderiv.output.prose import split_prose

    out = []
    for kind, piece in split_prose(text):
        out.append(f"${substituted(piece, choice)}$" if kind == "math" else piece.replace("$", "\\$"))
    return "".join(out)


# --- on the page (these import the parser and the printer) ----------------------------------------------
def teaching_data(entry, problem: dict, where: str) -> dict:
    """The entry's prose as LaTeX for the templates: its title (or the default), text, hints, space and part titles."""
    from symderiv.output.prose import prose_latex
    from symderiv.output.render import Latex

    if entry.title:
        problem["title"] = Latex(prose_latex(entry.title, f"{where}, title"))
    elif entry.expr is not None:
        problem["title"] = Latex(default_title(entry.expr))
    known = {part["id"] for part in problem["parts"]}
    for part_id, title in entry.part_titles.items():
        if part_id not in known:
            raise InputError(f"{where}: part_titles names no part {part_id!r}; its parts are {', '.join(sorted(known))}.")
    for part in problem["parts"]:
        if part["id"] in entry.part_titles:
            part["title"] = Latex(prose_latex(entry.part_titles[part["id"]], f"{where}, part_titles.{part['id']}"))
    return {"text": Latex(prose_latex(entry.text, f"{where}, text")) if entry.text else None,
            "hints": [Latex(prose_latex(h, f"{where}, hint {n}")) for n, h in enumerate(entry.hint, 1)],
            "space": entry.space}


def default_title(expr: str) -> str:
    """"The derivative of tanh" when the expression is one function applied, else the expression itself when short."""
    import ast

    from symderiv.read.verbatim import verbatim_latex

    top = ast.parse(expr.strip().replace("^", "**"), mode="eval").body
    while isinstance(top, ast.UnaryOp) or (isinstance(top, ast.BinOp) and isinstance(top.op, (ast.Mult, ast.Div))
                                           and isinstance(top.left, ast.Constant)):
        top = top.operand if isinstance(top, ast.UnaryOp) else top.right
    from symderiv.output.render import escape_tex

    if isinstance(top, ast.Call) and isinstance(top.func, ast.Name):
        return f"The derivative of {escape_tex(top.func.id)}"
    if len(expr) <= 40:
        return rf"The derivative of \({verbatim_latex(expr)}\)"
    calls = [node.func.id for node in ast.walk(top) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
    names = list(dict.fromkeys(calls))
    if not names:
        return "The derivative of the expression"
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"The derivative of an expression in {escape_tex(listed)}"
