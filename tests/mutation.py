"""Tree surgery for the mutation tests: address every step of a derivation tree and change one."""
import dataclasses


def step_paths(derivation, prefix=()):
    """Every step as (path, derivation, position); a path is (n,) or (n, use, n', …) from the root."""
    for n, step in enumerate(derivation.steps):
        yield prefix + (n,), derivation, n
        for u, used in enumerate(step.uses):
            yield from step_paths(used, prefix + (n, u))


def step_at(derivation, path):
    """The step at `path`."""
    n, rest = path[0], path[1:]
    return derivation.steps[n] if not rest else step_at(derivation.steps[n].uses[rest[0]], rest[1:])


def mutate(derivation, path, change):
    """The tree with the rhs of the step at `path` replaced by change(rhs), rebuilt with dataclasses.replace."""
    n, rest = path[0], path[1:]
    steps = list(derivation.steps)
    if not rest:
        steps[n] = dataclasses.replace(steps[n], rhs=change(steps[n].rhs), check=None)
    else:
        uses = list(steps[n].uses)
        uses[rest[0]] = mutate(uses[rest[0]], rest[1:], change)
        steps[n] = dataclasses.replace(steps[n], uses=tuple(uses), check=None)
    return dataclasses.replace(derivation, steps=tuple(steps), check=None)


def links_with_facts(derivation, definitions=(), inherited=()):
    """Every link of the tree as (previous, step, facts), with the conditions inherited as the verifier does."""
    from symderiv.derive.kinds import Facts

    conditions = inherited + tuple(c for c in derivation.conditions if c not in inherited)
    facts = Facts(definitions=tuple(definitions), conditions=conditions)
    for previous, step in derivation.links():
        yield previous, step, facts
        for used in step.uses:
            yield from links_with_facts(used, definitions, conditions)


def may_fail(tree, path):
    """The links a change of the rhs at `path` may make fail: that link, the next one of its chain, and, when it is
    the last step of a cited derivation, the step that cites it (as a wrong justification: the rule, given what
    it cites, no longer produces that step)."""
    allowed = {path, path[:-1] + (path[-1] + 1,)}
    if len(path) > 1:
        owner = step_at(tree, path[:-2]).uses[path[-2]]
        if path[-1] == len(owner.steps) - 1:
            allowed.add(path[:-2])
    return allowed


def assert_fails_only_where_allowed(tree, checked, path):
    """Every failing link of the checked tree is one `may_fail` allows; a citing step fails only as a justification."""
    rejected = {p for p, d, n in step_paths(checked) if d.steps[n].check.ok is not True}
    assert rejected <= may_fail(tree, path), (path, rejected)
    citing = path[:-2]
    if len(path) > 1 and citing in rejected:
        assert step_at(checked, citing).check.method == "justification", (path, step_at(checked, citing).check)
