"""The core's shape, as docs/guide.md draws it: a few groups along the way data flows, each
importing only the groups before it; no module cycle; nothing reaching back up into
``zoo/__init__.py``; no plugin package named in the core; and plugins importing only the public
modules. Run it as a script to print the import graph:

    python tests/test_architecture.py
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "zoo"

#: The groups in the order data flows; a group may import the base and the groups before it.
#: The base (top-level private modules) imports only the base.
GROUPS = ("catalog", "recipes", "runs", "assembly", "fit", "deploy", "surfaces")
BASE = {"zoo.errors", "zoo.backend", "zoo.console", "zoo._version", "zoo._moved"}
#: The public modules: the Python API, the plugin API and the plugin test kit; they may import anything.
PUBLIC = {"zoo", "zoo.plugin", "zoo.testing"}
#: What a plugin may import of the core.
PLUGIN_API = {"zoo", "zoo.plugin", "zoo.testing"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, package: str = "zoo") -> set[str]:
    """The ``package`` modules ``path`` imports at run time (lazy imports inside functions included;
    imports only a type checker sees left out). ``from zoo.x import y`` counts as ``zoo.x.y`` when
    ``y`` is a module, else as ``zoo.x``."""
    found: set[str] = set()
    own = module_name(path)

    def add(module: str, names: list[str]) -> None:
        for name in names:
            candidate = f"{module}.{name}"
            is_module = (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists()
            found.add(candidate if is_module else module)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue
            if isinstance(child, ast.ImportFrom):
                module = child.module or ""
                if child.level:  # relative: resolve against this module's package
                    base = own.split(".")[: -child.level] if path.name != "__init__.py" else own.split(".")
                    if path.name == "__init__.py" and child.level > 1:
                        base = base[: -(child.level - 1)]
                    module = ".".join([*base, module] if module else base)
                if module == package or module.startswith(f"{package}."):
                    add(module, [a.name for a in child.names])
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name == package or a.name.startswith(f"{package}."))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(own)
    return found


def import_graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(CORE.rglob("*.py"))}


def group_of(module: str) -> str:
    if module in PUBLIC:
        return "public"
    if module in BASE:
        return "base"
    parts = module.split(".")
    assert len(parts) >= 2 and parts[1] in GROUPS, f"{module} is in no group: add it to one (docs/guide.md)"
    return parts[1]


def allowed(importer: str, imported: str) -> bool:
    source, target = group_of(importer), group_of(imported)
    if source == "public" or target == "base":
        return True
    if source == "base" or target == "public":
        return False
    return GROUPS.index(target) <= GROUPS.index(source)


def test_every_module_is_in_a_group():
    for module in import_graph():
        group_of(module)


def test_each_group_imports_only_the_groups_before_it():
    wrong = sorted(
        f"{importer} -> {imported}"
        for importer, targets in import_graph().items()
        for imported in targets
        if not allowed(importer, imported)
    )
    assert not wrong, f"imports against the flow ({' < '.join(GROUPS)}): {wrong}"


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
    reaching = {m: sorted(t & {"zoo"}) for m, t in import_graph().items() if m not in PUBLIC and m != "zoo._moved"}
    assert not {m: t for m, t in reaching.items() if t}, "import from the module that defines it instead"


def test_the_core_names_no_plugin_package():
    assert not [p for p in CORE.rglob("*.py") if "zoo_plugins" in p.read_text(encoding="utf-8")]


PLUGIN_FILES = sorted([*(ROOT / "plugins").rglob("*.py"), *(ROOT / "examples").rglob("*.py")], key=lambda p: str(p))


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_the_public_modules(path):
    wrong = sorted(imports(path) - PLUGIN_API)
    assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}: import from zoo.plugin (docs/plugins.md)"


def test_the_plugin_module_imports_no_framework():
    import subprocess
    import sys

    code = "import sys, zoo.plugin; print(sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


if __name__ == "__main__":
    for module, targets in import_graph().items():
        print(f"{module:24s} [{group_of(module)}] -> {', '.join(sorted(targets)) or '(nothing of the core)'}")


def test_the_plugin_apis_old_paths_still_import_with_a_deprecation_warning():
    """What plugins imported before zoo.plugin (docs/plugins.md lists the old paths)."""
    import subprocess
    import sys

    code = (
        "import warnings\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        "import zoo.plugin\n"
        "for statement in ('from zoo.specs import Dataset', 'from zoo.runs import load_run',\n"
        "                  'from zoo.cli import pass_registry', 'from zoo.recipes import component'):\n"
        "    try:\n"
        "        exec(statement)\n"
        "    except DeprecationWarning as warning:\n"
        "        print(warning)\n"
        "warnings.simplefilter('ignore', DeprecationWarning)\n"
        "from zoo.specs import Dataset\n"
        "from zoo.runs import load_run\n"
        "print(Dataset is zoo.plugin.Dataset and load_run is zoo.plugin.load_run)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == [
        "zoo.specs is deprecated: import it from zoo.plugin (it lives in zoo.catalog.specs)",
        "zoo.runs.load_run is deprecated: import it from zoo.plugin (it lives in zoo.runs.saved)",
        "zoo.cli is deprecated: import it from zoo.plugin (it lives in zoo.surfaces.cli)",
        "zoo.recipes.component is deprecated: import it from zoo.plugin (it lives in zoo.recipes.resolve)",
        "True",
    ]
