"""Imports point down only (shared/DESIGN.md): checked on the source, not by convention.

    _openssl  <-  engine  <-  tls  ->  node        cli -> nodetls (public API)
    stdssl (the ssl.SSLContext face) -> tls, engine, node
                                                   fleet -> nodetls (public API)

``node`` knows nothing of TLS; ``tls`` never reaches the binding directly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "nodetls"

#: For each layer, the nodetls packages its modules may import.
ALLOWED = {
    "_openssl": {"_openssl"},
    "engine": {"_openssl", "engine"},
    "node": {"node"},
    "tls": {"engine", "node", "tls"},
    "stdssl": {"engine", "node", "tls", "stdssl"},
    "fleet": {"", "fleet"},  # above tls/: the public API only
}


def _imported_layers(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "nodetls":
                layers.add(parts[1] if len(parts) > 1 else "")
    return layers


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_point_down(layer: str) -> None:
    files = sorted((SRC / layer).rglob("*.py"))
    assert files
    wrong = {
        str(f.relative_to(SRC)): sorted(_imported_layers(f) - ALLOWED[layer])
        for f in files
        if _imported_layers(f) - ALLOWED[layer]
    }
    assert wrong == {}


def test_cli_uses_the_public_api_only() -> None:
    files = sorted((SRC / "cli").rglob("*.py"))
    assert files
    wrong = {str(f.relative_to(SRC)): sorted(_imported_layers(f) - {"", "cli", "fleet"})
             for f in files if _imported_layers(f) - {"", "cli", "fleet"}}
    assert wrong == {}
