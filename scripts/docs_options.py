"""The documentation's option tables, generated from ``src/nodetls/tls/options.py``.

That module is the one table of options: each ``TypedDict`` key with its type and, in the
string under it, its documentation ending in ``Node: `nodeName```` (or saying
"Beyond Node").  A page asks for a table with a marker line::

    <!-- options: ConnectOptions -->
    <!-- options: ConnectOptions except SecureContextOptions -->

and this MkDocs hook (``hooks:`` in ``mkdocs.yml``) replaces it with the table: one row
per option, Python name, Node name, type, description.  The module is read with ``ast``
(nothing is imported, so the docs build without the compiled binding).  Run as a script,
it prints every table, for a look without MkDocs.
"""

from __future__ import annotations

import ast
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPTIONS_PY = Path(__file__).resolve().parents[1] / "src" / "nodetls" / "tls" / "options.py"
MARKER = re.compile(r"^<!-- options: (\w+)(?: except (\w+))? -->$", re.M)
NODE_NAME = re.compile(r"\s*Node:\s+`(\w+)`\.?\s*$")


@dataclass(frozen=True)
class Option:
    name: str
    type: str
    doc: str
    node: str | None  # None: beyond Node


def _option(stmt: ast.AnnAssign, doc: str, named: bool) -> Option:
    assert isinstance(stmt.target, ast.Name)
    text = " ".join(doc.split())
    match = NODE_NAME.search(text)
    if named and match is None and "Beyond Node" not in text:
        raise ValueError(f"option {stmt.target.id!r}: its doc names no Node option")
    node = match.group(1) if match else None
    if match:
        text = text[:match.start()].rstrip()
    return Option(stmt.target.id, ast.unparse(stmt.annotation), text, node)


def read_classes(path: Path = OPTIONS_PY) -> dict[str, tuple[list[str], list[Option]]]:
    """Each class of the module: its bases and its own options, in source order."""
    classes: dict[str, tuple[list[str], list[Option]]] = {}
    for cls in ast.parse(path.read_text()).body:
        if not isinstance(cls, ast.ClassDef):
            continue
        own: list[Option] = []
        for stmt, after in zip(cls.body, [*cls.body[1:], None], strict=True):
            if isinstance(stmt, ast.AnnAssign):
                doc = (after.value.value if isinstance(after, ast.Expr)
                       and isinstance(after.value, ast.Constant) else None)
                if not isinstance(doc, str):
                    raise ValueError(f"{cls.name}: option without documentation")
                own.append(_option(stmt, doc, cls.name.endswith("Options")))
        bases = [b.id for b in cls.bases if isinstance(b, ast.Name) and b.id != "TypedDict"]
        classes[cls.name] = (bases, own)
    return classes


def options_of(name: str, classes: dict[str, tuple[list[str], list[Option]]]) -> list[Option]:
    """A class's options, inherited ones first (in base order), each once."""
    bases, own = classes[name]
    seen: dict[str, Option] = {}
    for base in bases:
        for option in options_of(base, classes):
            seen.setdefault(option.name, option)
    for option in own:
        seen.setdefault(option.name, option)
    return list(seen.values())


def _code(text: str) -> str:
    return "<code>" + html.escape(text).replace("|", "&#124;") + "</code>"


def _prose(text: str) -> str:
    return text.replace("|", "&#124;")


def table(name: str, exclude: str | None = None, path: Path = OPTIONS_PY) -> str:
    classes = read_classes(path)
    skip = {o.name for o in options_of(exclude, classes)} if exclude else set()
    rows = ["| Python | Node | Type | Description |", "|---|---|---|---|"]
    for option in options_of(name, classes):
        if option.name in skip:
            continue
        node = f"`{option.node}`" if option.node else "*beyond Node*"
        rows.append(f"| `{option.name}` | {node} | {_code(option.type)} | "
                    f"{_prose(option.doc)} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, **_kwargs: Any) -> str:
    """MkDocs hook: replace every marker with its table."""
    return MARKER.sub(lambda m: table(m.group(1), m.group(2)), markdown)


if __name__ == "__main__":
    for cls in sys.argv[1:] or ["SecureContextOptions", "ServerOptions", "TLSSocketOptions",
                                "ConnectOptions", "RenegotiateOptions"]:
        print(f"## {cls}\n\n{table(cls)}\n")
