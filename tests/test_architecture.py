"""The core's shape: which module imports which, with no cycle, nothing reaching back up into
``zoo/__init__.py``, and no plugin package named. Run it as a script to print the import graph:

    python tests/test_architecture.py
"""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "zoo"


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def core_imports(path: Path) -> set[str]:
    """The core modules ``path`` imports at run time (lazy imports inside functions included;
    imports only a type checker sees left out)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level == 1 and child.module:
                    found.add(child.module.split(".")[0])
                elif child.level == 1:  # `from . import x`: a module, or a name the package defines
                    found.update(
                        a.name if (CORE / f"{a.name}.py").exists() else f"__init__:{a.name}" for a in child.names
                    )
                elif child.level == 0 and (child.module or "").startswith("zoo."):
                    found.add(child.module.split(".")[1])  # type: ignore[union-attr]
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def import_graph() -> dict[str, set[str]]:
    return {p.stem: core_imports(p) for p in sorted(CORE.glob("*.py"))}


def test_no_import_cycle():
    graph = import_graph()
    visiting: list[str] = []
    done: set[str] = set()

    def walk(module: str) -> None:
        assert module not in visiting, f"import cycle: {' -> '.join([*visiting[visiting.index(module) :], module])}"
        if module in done:
            return
        visiting.append(module)
        for target in graph.get(module, ()):
            walk(target)
        visiting.pop()
        done.add(module)

    for module in graph:
        walk(module)


def test_no_module_reaches_back_up_into_the_package():
    reaching = {
        m: sorted(t for t in targets if t.startswith("__init__:") or t == "__init__")
        for m, targets in import_graph().items()
        if m != "__init__"
    }
    assert not {m: t for m, t in reaching.items() if t}, "import from the module that defines it instead"


def test_the_core_names_no_plugin_package():
    assert not [p.name for p in CORE.glob("*.py") if "zoo_plugins" in p.read_text(encoding="utf-8")]


if __name__ == "__main__":
    for module, targets in import_graph().items():
        print(f"{module:12s} -> {', '.join(sorted(targets)) or '(nothing of the core)'}")
