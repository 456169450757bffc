"""The house rules of ``app/``: no import cycle between modules, and layers that hold.

Every import counts, wherever it stands: at the top, inside a function, or under
``TYPE_CHECKING``. ARCHITECTURE.md explains the layers these rules protect.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

ENTRY_POINTS = ("app.main", "app.cli", "app.cli_ip", "app.cli_sync", "app.handlers")
# Package prefix -> the app packages it must never import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "app.core": (
        "app.models",
        "app.schemas",
        "app.services",
        "app.api",
        "app.web",
        "app.demo",
        "app.context",
        *ENTRY_POINTS,
    ),
    "app.models": ("app.schemas", "app.services", "app.api", "app.web", "app.demo", "app.context"),
    "app.schemas": ("app.models", "app.services", "app.api", "app.web", "app.demo", "app.context"),
    "app.services": ("app.api", "app.web", "app.demo", *ENTRY_POINTS),
    "app.api": ("app.web", "app.demo", *ENTRY_POINTS),
    "app.demo": ("app.api", "app.web", *ENTRY_POINTS),
    # Pages render what services compute; they never reach into routers, tables or demo data.
    "app.web": ("app.api", "app.models", "app.demo", *ENTRY_POINTS),
}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, name: str, *, is_package: bool, known: set[str]) -> set[str]:
    """The ``known`` modules a module imports (a name imported from a package counts as the
    submodule when there is one)."""
    found: set[str] = set()
    package = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in known else module)
    return {m for m in found if m in known and m != name}


def import_graph(root: Path = APP) -> dict[str, set[str]]:
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    known = set(files)
    return {
        name: imports_of(
            path.read_text(encoding="utf-8"),
            name,
            is_package=path.name == "__init__.py",
            known=known,
        )
        for name, path in files.items()
    }


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for layer, forbidden in FORBIDDEN.items()
        if _within(module, layer)
        for target in targets
        if any(_within(target, banned) for banned in forbidden)
    )


def test_app_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_app_layers_hold() -> None:
    assert layer_violations(import_graph()) == []


def test_only_the_application_factory_imports_web() -> None:
    importers = sorted(
        module
        for module, targets in import_graph().items()
        if not _within(module, "app.web") and any(_within(t, "app.web") for t in targets)
    )
    assert importers == ["app.main"]


def test_services_sit_in_domain_packages_or_are_named_shared() -> None:
    shared = {"__init__.py", "audit.py", "vocabularies.py"}
    loose = sorted(p.name for p in (APP / "services").glob("*.py") if p.name not in shared)
    assert loose == []


def test_every_package_says_what_it_owns() -> None:
    silent = [
        str(init.relative_to(APP.parent))
        for init in (APP / "services").glob("*/__init__.py")
        if not ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    ]
    assert silent == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "app"
    for relative, source in {"__init__.py": "", **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


def test_checker_reports_core_importing_a_service(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/context.py": "from app.services.keys import KeyRing\n",
            "services/__init__.py": "",
            "services/keys.py": "class KeyRing: ...\n",
        },
    )
    assert layer_violations(import_graph(root)) == ["app.core.context imports app.services.keys"]


def test_checker_reports_a_cycle_through_a_deferred_import(tmp_path: Path) -> None:
    worker = "from app.services import alerts\n"
    alerts = "def run():\n    from app.services.worker import RetryLater\n"
    root = _tree(
        tmp_path,
        {
            "services/worker.py": worker,
            "services/alerts.py": alerts,
            "services/x.py": "from . import alerts\n",
        },
    )
    assert cycles(import_graph(root)) == [["app.services.alerts", "app.services.worker"]]


def test_checker_reports_a_schema_reading_a_model_for_types_only(tmp_path: Path) -> None:
    schema = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.models import Listing\n"
    )
    root = _tree(
        tmp_path, {"models/__init__.py": "class Listing: ...\n", "schemas/listing.py": schema}
    )
    assert layer_violations(import_graph(root)) == ["app.schemas.listing imports app.models"]
