"""cli.py renders the fields of typed results, never a dictionary's keys by string (issue 17): the
application functions return dataclasses, and ``--json`` is their ``to_dict()``."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "cli.py"

# What cli.py may still read by a string key, each for its reason. Anything else read as x["key"] or
# x.get("key") is an application result read as a dictionary: give the result a field instead. (Settings
# are read through their typed options classes: tests/briefing/test_options.py.)
ALLOWED_SUBSCRIPTED: set[str] = set()
ALLOWED_GET = {
    "os.environ",  # the environment
}


def _name(node: ast.expr) -> str:
    return ast.unparse(node)


def string_key_reads(source: str) -> list[str]:
    """``line: code`` of every subscription by a string constant, and of every ``.get("...")``, that is
    not of an allowed object."""
    out: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
            and _name(node.value) not in ALLOWED_SUBSCRIPTED
        ):
            out.append(f"{node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and _name(node.func.value) not in ALLOWED_GET
        ):
            out.append(f"{node.lineno}: {ast.unparse(node)}")
    return out


def test_cli_reads_no_result_by_a_string_key() -> None:
    assert string_key_reads(CLI.read_text(encoding="utf-8")) == []


def test_the_check_finds_what_it_forbids() -> None:
    found = string_key_reads(
        "def f(r, data, c):\n"
        '    print(r["status"], f"{data[\'id\']}", data.get("device"), c.obj.get("x"))\n'
        '    data["work"] = 1\n'
        '    print(settings["site.title"], os.environ.get("HOME"), r[0], r.status)\n'
    )
    assert sorted(found) == [
        "2: c.obj.get('x')",
        "2: data.get('device')",
        "2: data['id']",
        "2: r['status']",
        "3: data['work']",
        "4: settings['site.title']",
    ]
