"""The sizes of the arrays in emitted code: which input dimension each index runs along.

Every index written at a place of a tensor (x_j, W_ij) shares that place's size; an index summed as Σ_{j=1}^{M}
has size M. Bound indices and a definition's own indices are renamed apart first, so an i in one definition is
not the i of another. Each size is then read off an input's shape at run time (M = np.shape(W)[1]).
"""
from __future__ import annotations

import sympy as sp

from symderiv.output.codegen_arrays import Unsupported


def is_size(expr) -> bool:
    """A size: a positive whole-number symbol such as N or M."""
    return isinstance(expr, sp.Symbol) and expr.is_integer is True and expr.is_positive is True


def scoped(expr: sp.Basic) -> sp.Basic:
    """`expr` with the index of every sum renamed to a fresh symbol of its own."""
    def fresh(node):
        body, limits = node.function, []
        for variable, low, high in node.limits:
            renamed = sp.Dummy(variable.name, integer=True)
            body = body.xreplace({variable: renamed})
            limits.append((renamed, low, high))
        return sp.Sum(body, *limits)

    return expr.replace(lambda node: isinstance(node, sp.Sum), fresh)


class Sizes:
    """Index sizes and input shapes for one function, from the expressions it computes."""

    def __init__(self, exprs, definitions, inputs: list[str]):
        self.parent: dict = {}
        self.inputs = inputs
        for definition in definitions:
            own = {s: sp.Dummy(s.name, integer=True) for s in getattr(definition.name, "indices", ())
                   if isinstance(s, sp.Symbol)}
            self._read(scoped(definition.name.xreplace(own)))
            self._read(scoped(definition.expr.xreplace(own)))
        for expr in exprs:
            self._read(scoped(expr))
        self.classes = self._classes()

    def _find(self, node):
        while self.parent.setdefault(node, node) != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def _join(self, a, b):
        self.parent[self._find(a)] = self._find(b)

    def _read(self, expr: sp.Basic) -> None:
        for node in sp.preorder_traversal(expr):
            if isinstance(node, sp.Indexed):
                for place, position in enumerate(node.indices):
                    if isinstance(position, sp.Symbol):
                        self._join(position, (str(node.base.label), place))
            elif isinstance(node, sp.Sum):
                for variable, low, high in node.limits:
                    if low != 1 or not is_size(high):
                        raise Unsupported(f"the sum {node} does not run from 1 to a size such as N")
                    self._join(variable, high)
            elif is_size(node):
                self._find(node)

    def _classes(self) -> dict:
        """Each class's size symbol (or None) and the input places in it."""
        classes: dict = {}
        for node in list(self.parent):
            entry = classes.setdefault(self._find(node), {"size": None, "places": []})
            if is_size(node):
                if entry["size"] is not None and entry["size"] != node:
                    raise Unsupported(f"the sizes {entry['size']} and {node} meet at one index")
                entry["size"] = node
            elif isinstance(node, tuple) and node[0] in self.inputs:
                entry["places"].append(node)
        for entry in classes.values():
            entry["places"].sort()
            if entry["size"] is not None and not entry["places"]:
                raise Unsupported(f"the size {entry['size']} is not the length of any input")
        return classes

    def code(self, index, m: str) -> str:
        """The size an index runs to, as code: a size symbol, or an input's dimension."""
        entry = self.classes.get(self._find(index))
        if entry is None or (entry["size"] is None and not entry["places"]):
            raise Unsupported(f"the size of the index {index} is not known from the inputs")
        if entry["size"] is not None:
            return str(entry["size"])
        name, place = entry["places"][0]
        return f"{m}.shape({name})[{place}]"

    def prelude(self, m: str) -> list[str]:
        """`N = np.shape(x)[0]` for every size symbol."""
        lines = []
        for entry in sorted(self.classes.values(), key=lambda e: str(e["size"])):
            if entry["size"] is not None:
                name, place = entry["places"][0]
                lines.append(f"    {entry['size']} = {m}.shape({name})[{place}]\n")
        return lines

    def shapes(self) -> dict[str, tuple[str, ...]]:
        """Each input array's dimensions, named by their size classes (for drawing random inputs)."""
        names = {root: str(entry["size"]) if entry["size"] is not None else f"size{n}"
                 for n, (root, entry) in enumerate(sorted(self.classes.items(), key=lambda item: str(item[0])))}
        shapes: dict = {}
        for node in self.parent:
            if isinstance(node, tuple) and node[0] in self.inputs:
                shapes.setdefault(node[0], {})[node[1]] = names[self._find(node)]
        return {name: tuple(places[p] for p in sorted(places)) for name, places in shapes.items()}
