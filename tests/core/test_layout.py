"""The shape of the code, as docs/architecture.md draws it: one package per API over a shared
core, no API package importing another, the core importing none of them, and no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "gateway" / "gateway"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> set[str]:
    """The gateway modules `name` imports (at any depth of its code, lazy imports included)."""
    tree = ast.parse(MODULES[name].read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            candidates = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found |= {c for c in candidates if c in MODULES and c != name}
    return found


def api_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "apis" else None


def test_the_core_imports_no_api_package():
    for name in MODULES:
        if name.startswith("gateway.core"):
            assert not [m for m in imports(name) if m.startswith("gateway.apis")], name


def test_no_api_package_imports_another():
    for name in MODULES:
        api = api_of(name)
        if api is None:
            continue
        others = {api_of(m) for m in imports(name)} - {None, api}
        assert not others, f"{name} imports the {others} package"


def test_there_is_no_import_cycle():
    """Module-level imports, those for type checking included (an import inside a function is
    the one way to load something late, and says so where it stands)."""
    graph = {name: top_level_imports(name) for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            pytest.fail("import cycle: " + " -> ".join([*path[path.index(name) :], name]))
        if name in done:
            return
        for target in graph[name]:
            visit(target, [*path, name])
        done.add(name)

    for name in graph:
        visit(name, [])


def module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of a module's body, with those inside its `if` and `try` blocks."""
    found: list[ast.stmt] = []
    for node in body:
        found.append(node)
        if isinstance(node, ast.If | ast.Try):
            found += module_level(node.body + node.orelse)
    return found


def top_level_imports(name: str) -> set[str]:
    tree = ast.parse(MODULES[name].read_text())
    found: set[str] = set()
    for node in module_level(tree.body):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            candidates = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found |= {c for c in candidates if c in MODULES and c != name}
    found.discard("gateway")
    return found


def test_errors_is_a_leaf():
    """Every module may raise a GatewayError, so errors.py imports nothing of ours."""
    assert imports("gateway.core.errors") == set()
