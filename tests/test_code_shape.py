"""The shape of the code: small functions, layered packages, no import cycles.

* No function is longer than :data:`MAX_LINES` code lines (docstring, comments and blank
  lines aside) unless its ``def`` line states why, with ``# long: <reason>``.
* The packages form layers; none imports a layer above it, and there is no cycle
  (the import graph is built by grimp from the installed package).
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 80
#: Folders that are not the shipped package.
NOT_PACKAGE = {"tests", "benchmarks", ".venv", "out", "scripts", "build", ".git"}


def package_files() -> list[Path]:
    """Every Python module of the package (the repository root is ``devzone``)."""
    return sorted(
        p
        for p in REPO.rglob("*.py")
        if not (set(p.relative_to(REPO).parts[:-1]) & NOT_PACKAGE)
        and p.relative_to(REPO).parts[0] not in NOT_PACKAGE
    )


def code_lines(source: str, node: ast.AST) -> int:
    """Lines of ``node`` holding code (not its docstring, comments or blank lines)."""
    body = getattr(node, "body", [])
    doc_lines: set[int] = set()
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            doc_lines = set(range(body[0].lineno, body[0].end_lineno + 1))
    lines: set[int] = set()
    segment = "\n".join(source.splitlines()[node.lineno - 1 : node.end_lineno])
    for tok in tokenize.generate_tokens(io.StringIO(segment).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        for line in range(tok.start[0], tok.end[0] + 1):
            lines.add(line + node.lineno - 1)
    return len(lines - doc_lines)


def long_functions() -> list[str]:
    """``path:line name (n lines)`` of every unjustified long function."""
    found = []
    for path in package_files():
        source = path.read_text(encoding="utf-8")
        src_lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            n = code_lines(source, node)
            head = src_lines[node.lineno - 1 : node.body[0].lineno]
            if n > MAX_LINES and not any("# long:" in line for line in head):
                found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({n} lines)")
    return found


def test_no_function_over_80_code_lines_without_a_reason() -> None:
    assert long_functions() == []


def test_the_line_counter_counts_code_only() -> None:
    source = 'def f():\n    """Doc.\n\n    More."""\n    # a comment\n\n    x = 1\n    return x\n'
    node = ast.parse(source).body[0]
    assert code_lines(source, node) == 3  # def, x = 1, return x


if __name__ == "__main__":  # list the offenders
    print("\n".join(long_functions()))


#: The layers, lowest first. A module may import its own layer and the ones below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "units", "vocab", "paths", "settings"),
    ("policy", "crs", "codes"),
    ("db", "spatial"),
    ("landuse", "zones", "etl"),
    ("reports", "maps"),
    ("jobs", "sample"),
    ("cli",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
#: Packages the rules and the database edge must never import.
NEVER_BELOW_CLI = ("landuse", "zones", "etl", "db", "spatial")


@pytest.fixture(scope="module")
def graph():  # type: ignore[no-untyped-def]
    grimp = pytest.importorskip("grimp")
    return grimp.build_graph("devzone", include_external_packages=False)


def _top(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    return parts[1]


def _edges(graph) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [
        (m, imported)
        for m in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(m))
        if imported.startswith("devzone.")
    ]


def test_every_top_level_module_has_a_layer(graph) -> None:  # type: ignore[no-untyped-def]
    tops = {_top(m) for m in graph.modules} - {None, "tests", "benchmarks", "data", "scripts"}
    assert sorted(t for t in tops if t not in RANK) == []


def test_no_package_imports_a_layer_above_it(graph) -> None:  # type: ignore[no-untyped-def]
    bad = [
        f"{a} imports {b}"
        for a, b in _edges(graph)
        if (ta := _top(a)) in RANK and (tb := _top(b)) in RANK and RANK[tb] > RANK[ta]
    ]
    assert bad == []


def test_rules_and_database_never_import_the_cli(graph) -> None:  # type: ignore[no-untyped-def]
    bad = [
        f"{a} imports {b}"
        for a, b in _edges(graph)
        if _top(a) in NEVER_BELOW_CLI and _top(b) == "cli"
    ]
    assert bad == []


def _cycles(edges: list[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    succ: dict[str, list[str]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
        succ.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in succ:
        if root in index:
            continue
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif nxt not in index:
                index[nxt] = low[nxt] = counter
                counter += 1
                stack.append(nxt)
                on.add(nxt)
                work.append((nxt, iter(succ[nxt])))
            elif nxt in on:
                low[node] = min(low[node], index[nxt])
    return out


def test_no_import_cycle(graph) -> None:  # type: ignore[no-untyped-def]
    assert _cycles(_edges(graph)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c"]]
