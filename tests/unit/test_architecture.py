"""Layering rules, checked over the source: services stay free of transports and env reads."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
TRANSPORTS = {"proxy", "cli"}
TRANSPORT_MODULES = {"main.py"}
FRAMEWORKS = ("litestar", "strawberry", "uvicorn")


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(APP.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_names(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def is_transport(path: Path) -> bool:
    relative = path.relative_to(APP)
    return relative.parts[0] in TRANSPORTS or str(relative) in TRANSPORT_MODULES


def test_services_never_import_web_frameworks() -> None:
    offenders = [
        f"{path.relative_to(APP)} imports {name}"
        for path, tree in modules()
        if not is_transport(path)
        for name in imported_names(tree)
        if name.split(".")[0] in FRAMEWORKS
    ]
    assert offenders == []


def test_services_never_import_transports() -> None:
    offenders = [
        f"{path.relative_to(APP)} imports {name}"
        for path, tree in modules()
        if not is_transport(path)
        for name in imported_names(tree)
        if name.startswith(("app.proxy", "app.cli", "app.main", "graphql_schema"))
    ]
    assert offenders == []


def test_only_settings_reads_the_environment() -> None:
    offenders = []
    for path, tree in modules():
        if path.name == "settings.py" and path.parent == APP:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "getenv")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                offenders.append(f"{path.relative_to(APP)}:{node.lineno}")
    assert offenders == []


def test_provider_names_are_only_compared_inside_providers() -> None:
    offenders = []
    for path, tree in modules():
        if path.relative_to(APP).parts[0] == "providers":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    if isinstance(side, ast.Constant) and side.value in (
                        "openai",
                        "azure",
                        "anthropic",
                        "demo",
                    ):
                        offenders.append(f"{path.relative_to(APP)}:{node.lineno}")
    assert offenders == []
