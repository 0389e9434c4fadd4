"""The application's layers: imports among briefing/ modules run one way, the rooms too, and the libraries
import nothing of the application (issue 17)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "briefing"
# the rooms, lowest first: a room imports only rooms before it (and itself)
ROOMS = ("core", "meeting", "press", "records", "processing", "cluster", "recording", "web", "")
LIBRARIES = ("recorder", "transcribe", "publish")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at the top of the file) for every import in the file, inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    me = module_name(path)
    out: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".")[: -node.level] if not path.name == "__init__.py" else me.split(".")
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            out.append((mod, id(node) in top))
            out += [(f"{mod}.{a.name}", id(node) in top) for a in node.names]  # from pkg import module
    return out


def app_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PKG.rglob("*.py")}


def graph() -> dict[str, set[str]]:
    mods = app_modules()
    g: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for target, _ in imports(p):
            if target in mods and target != m and not mods[target].name == "__init__.py":
                g[m].add(target)
    return g


def cycle(g: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(g[n]):
            if state.get(m) == 1:
                return [*stack[stack.index(m) :], m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state and (found := visit(n)):
            return found
    return None


def room(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 2 else ""


def test_no_import_cycle_among_application_modules_counting_imports_inside_functions():
    assert cycle(graph()) is None, " → ".join(cycle(graph()) or [])


def test_the_cycle_check_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_rooms_import_only_rooms_below_them():
    wrong = []
    for m, targets in graph().items():
        for t in targets:
            if ROOMS.index(room(t)) > ROOMS.index(room(m)):
                wrong.append(f"{m} imports {t}")
    assert not wrong, wrong


def test_every_room_says_what_it_owns():
    for d in PKG.iterdir():
        if d.is_dir() and (d / "__init__.py").exists():
            assert d.name in ROOMS, f"room {d.name} is not in the layer order"
            doc = ast.get_docstring(ast.parse((d / "__init__.py").read_text(encoding="utf-8")))
            assert doc and doc.strip(), f"briefing/{d.name}/__init__.py has no docstring"


def test_application_modules_import_each_other_at_the_top():
    inner = [
        f"{m}: {t}"
        for m, p in app_modules().items()
        for t, at_top in imports(p)
        if not at_top and (t == "briefing" or t.startswith("briefing.") or t == "cli")
    ]
    assert not inner, inner


def test_private_names_stay_in_their_module():
    borrowed = []
    mods = app_modules()
    for m, p in mods.items():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        bound: dict[str, str] = {}  # local name -> the application module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("briefing"):
                borrowed += [
                    f"{m} imports {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
                for a in node.names:
                    if f"{node.module}.{a.name}" in mods:
                        bound[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
            ):
                borrowed.append(f"{m} uses {bound[node.value.id]}.{node.attr}")
    assert not borrowed, borrowed


def test_libraries_import_nothing_of_the_application():
    wrong = []
    for lib in LIBRARIES:
        for p in (ROOT / lib).rglob("*.py"):
            for t, _ in imports(p):
                if t == "cli" or t == "briefing" or t.startswith("briefing."):
                    wrong.append(f"{p.relative_to(ROOT)} imports {t}")
    assert not wrong, wrong


def test_only_cli_imports_click_and_the_application_never_runs_the_cli_module():
    for m, p in app_modules().items():
        src = p.read_text(encoding="utf-8")
        for t, _ in imports(p):
            assert t.split(".")[0] != "click", f"{m} imports click"
        assert "import cli" not in src, f"{m} starts the CLI module; spawn the `briefing` entry point"


def test_every_module_that_declares_settings_is_imported_before_briefing_toml_is_checked():
    from briefing.core import config

    declaring = {
        module_name(p)
        for p in PKG.rglob("*.py")
        if "config.register(" in p.read_text(encoding="utf-8") and p.name != "config.py"
    }
    assert declaring <= set(config.DECLARING_MODULES), declaring - set(config.DECLARING_MODULES)


def test_every_room_is_packaged():
    """A non-editable install carries every room: setuptools finds them by the include patterns."""
    import fnmatch
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = conf["packages"]["find"]["include"]
    for p in PKG.rglob("__init__.py"):
        name = module_name(p)
        assert any(fnmatch.fnmatchcase(name, pat) for pat in patterns), f"{name} is not packaged"
