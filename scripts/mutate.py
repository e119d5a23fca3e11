"""Mutation testing of the pure formula modules against their tests. Not part of CI: minutes.

    .venv/bin/python scripts/mutate.py [maturity/scoring.py ...] [--sample N] [--seed S]

For each module, every mutant that a small AST mutator can make (a comparison, arithmetic
or boolean operator swapped, a number nudged, a constant flipped, a `not` dropped, a
return replaced by None) is written into a scratch git worktree of HEAD, and the module's
tests run there with the project's virtualenv. A mutant is killed when they fail (or crash,
or time out). The survivors are listed with their line, for bench/README.md's record of why
each one left is equivalent.
"""

import argparse
import ast
import copy
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = {
    "maturity/scoring.py": ["tests/maturity/test_scoring.py", "tests/segments/test_cells.py"],
    "health/scoring.py": ["tests/health/test_scoring.py"],
    "segments/cells.py": ["tests/segments/test_cells.py"],
    "core/bands.py": [
        "tests/maturity/test_scoring.py",
        "tests/health/test_scoring.py",
        "tests/segments/test_cells.py",
    ],
}
PURE = {path.removesuffix(".py").replace("/", ".") for path in TESTS}
SWAPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.And: ast.Or,
    ast.Or: ast.And,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
}


@dataclass(frozen=True)
class Mutant:
    line: int
    what: str
    source: str


def _docstring_lines(tree: ast.Module) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                lines.update(range(value.lineno, (value.end_lineno or value.lineno) + 1))
    return lines


def mutants(source: str) -> list[Mutant]:
    """Every single-point mutant of `source`, each as the whole mutated module's text."""
    tree = ast.parse(source)
    skip = _docstring_lines(tree)
    points = []  # (path to the node as indexes into ast.walk order, description, change)
    for index, node in enumerate(ast.walk(tree)):
        line = getattr(node, "lineno", None)
        if line is None or line in skip:
            continue
        if isinstance(node, (ast.BinOp, ast.BoolOp)) and type(node.op) in SWAPS:
            points.append(
                (index, line, f"{type(node.op).__name__} → {SWAPS[type(node.op)].__name__}")
            )
        elif isinstance(node, ast.Compare):
            for at, op in enumerate(node.ops):
                if type(op) in SWAPS:
                    points.append((index, line, f"compare {at}: {type(op).__name__}", at))
        elif isinstance(node, ast.Constant) and not isinstance(node.value, str):
            if isinstance(node.value, bool):
                points.append((index, line, f"{node.value} → {not node.value}"))
            elif isinstance(node.value, (int, float)):
                points.append((index, line, f"{node.value!r} → {node.value!r} + 1"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub, ast.Invert)):
            points.append((index, line, f"drop {type(node.op).__name__}"))
        elif isinstance(node, ast.Return) and not _is_none(node.value):
            points.append((index, line, "return None"))
    result = []
    for point in points:
        mutated = copy.deepcopy(tree)
        node = list(ast.walk(mutated))[point[0]]
        if isinstance(node, (ast.BinOp, ast.BoolOp)):
            node.op = SWAPS[type(node.op)]()
        elif isinstance(node, ast.Compare):
            at = point[3]
            node.ops[at] = SWAPS[type(node.ops[at])]()
        elif isinstance(node, ast.Constant):
            node.value = (not node.value) if isinstance(node.value, bool) else node.value + 1
        elif isinstance(node, ast.UnaryOp):
            _replace(mutated, node, node.operand)
        elif isinstance(node, ast.Return):
            node.value = ast.Constant(None)
        result.append(Mutant(point[1], point[2], ast.unparse(ast.fix_missing_locations(mutated))))
    return result


def _is_none(node: ast.expr | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new


def warm(worktree: Path) -> None:
    """Import the heavy libraries and set Django up once, in this process: each mutant's
    run forks from here, so it pays for its own tests only, not for importing pandas, Django,
    the apps and pytest's plugins."""
    os.chdir(worktree)
    sys.path.insert(0, str(worktree))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django
    import pytest

    django.setup()
    tests = sorted({test for paths in TESTS.values() for test in paths})
    quiet, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115
    try:  # pytest's first run imports its plugins: each fork then starts from here
        pytest.main(["-q", "-p", "no:cacheprovider", *tests])
    finally:
        sys.stdout = quiet


def killed(worktree: Path, module: str, mutant: Mutant, tests: list[str]) -> bool:
    """Whether the tests fail with `mutant` in place of `module`, run in a forked child that
    imports the pure modules (and the tests) afresh from the worktree."""
    target = worktree / module
    original = target.read_text()
    target.write_text(mutant.source)
    try:
        child = os.fork()
        if child == 0:  # the child: forget what the parent imported of ours, run the tests
            import pytest

            for name in [n for n in sys.modules if n in PURE or n.startswith("tests")]:
                del sys.modules[name]
                package, _, leaf = name.rpartition(".")  # `from maturity import scoring`
                if package in sys.modules and hasattr(sys.modules[package], leaf):
                    delattr(sys.modules[package], leaf)
            sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
            os._exit(int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests])))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done, status = os.waitpid(child, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status) != 0
            time.sleep(0.02)
        os.kill(child, 9)  # an endless loop is a failure, so a kill
        os.waitpid(child, 0)
        return True
    finally:
        target.write_text(original)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("modules", nargs="*", default=list(TESTS))
    parser.add_argument("--sample", type=int, default=0, help="at most N mutants per module")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        worktree = Path(scratch) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(worktree)], cwd=ROOT, check=True
        )
        try:
            warm(worktree)
            for module in options.modules:
                found = mutants((ROOT / module).read_text())
                if options.sample and len(found) > options.sample:
                    found = random.Random(options.seed).sample(found, options.sample)
                survivors = [m for m in found if not killed(worktree, module, m, TESTS[module])]
                score = 100 * (len(found) - len(survivors)) / max(len(found), 1)
                print(
                    f"{module}: {len(found) - len(survivors)} of {len(found)} killed ({score:.0f}%)"
                )
                for m in sorted(survivors, key=lambda m: m.line):
                    print(f"  survived: line {m.line}: {m.what}")
                sys.stdout.flush()
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)


if __name__ == "__main__":
    main()
