"""The selector picks what the environment asks for, and a required build really loaded."""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import os
import subprocess
import sys

import pytest

import _cstream
from _cstream._names import IMPLEMENTED, SHARED

COMPILED_MODULES = [
    "_cstream._chunker",
    "_cstream._framing",
    "_cstream._h2frames",
    "_cstream._head",
    "_cstream._hpack",
    "_cstream._lines",
    "_cstream._sse",
    "_cstream._zlib",
]

# One exported type per compiled module, and the module it comes from.
_HOMES = {
    "ByteChunker": "_chunker",
    "ChunkedReader": "_framing",
    "H2FrameSplitter": "_h2frames",
    "ResponseHeadParser": "_head",
    "HpackDecoder": "_hpack",
    "ByteLineDecoder": "_lines",
    "SSEDecoder": "_sse",
    "GzipDecoder": "_zlib",
}


def _is_extension(module_name: str) -> bool:
    module = importlib.import_module(module_name)
    path = getattr(module, "__file__", "") or ""
    return path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


@pytest.mark.skipif(
    not _cstream.REQUIRE_EXTENSIONS,
    reason="only meaningful when FASTSTREAM_REQUIRE_EXTENSIONS=1 (CI sets it)",
)
def test_required_extensions_loaded() -> None:
    assert _cstream.IMPLEMENTATION == "c"
    for name in COMPILED_MODULES:
        assert _is_extension(name), f"{name} is not a compiled module"
    for name, home in _HOMES.items():
        assert getattr(_cstream, name).__module__ == f"_cstream.{home}", name


def _compiled_modules_import() -> bool:
    try:
        for name in COMPILED_MODULES:
            importlib.import_module(name)
    except ImportError:
        return False
    return True


def test_selector_follows_no_extensions() -> None:
    """The environment decides: the switch (or another interpreter) means the twins; otherwise
    the compiled types exactly when every compiled module imports."""
    switch = os.environ.get("FASTSTREAM_NO_EXTENSIONS", "") not in ("", "0")
    if switch or sys.implementation.name != "cpython":
        expected = "python"
    else:
        expected = "c" if _compiled_modules_import() else "python"
    assert _cstream.IMPLEMENTATION == expected
    package = "_cstream" if expected == "c" else "_cstream._pure"
    for name, home in _HOMES.items():
        assert getattr(_cstream, name).__module__ == f"{package}.{home}", name


@pytest.mark.parametrize("value, expected", [("1", "python"), ("0", None)])
def test_env_switch_in_a_fresh_interpreter(value: str, expected: str | None) -> None:
    env = dict(os.environ, FASTSTREAM_NO_EXTENSIONS=value)
    env.pop("FASTSTREAM_REQUIRE_EXTENSIONS", None)
    out = subprocess.run(
        [sys.executable, "-c", "import _cstream; print(_cstream.IMPLEMENTATION)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if expected is None:
        # without the switch, the compiled types are chosen whenever they were built
        try:
            import _cstream._c  # noqa: F401
        except ImportError:
            expected = "python"
        else:
            expected = "c"
    assert out == expected


def _statically_declared() -> set[str]:
    """The names `_cstream/__init__.py` imports under TYPE_CHECKING (what mypy sees)."""
    assert _cstream.__file__ is not None
    with open(_cstream.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            return {
                alias.asname or alias.name
                for stmt in node.body
                if isinstance(stmt, ast.ImportFrom)
                for alias in stmt.names
            }
    raise AssertionError("no TYPE_CHECKING block in _cstream/__init__.py")


def test_one_export_list() -> None:
    """Every name of the table is exported and typed; nothing else comes from an implementation."""
    table = set(IMPLEMENTED) | set(SHARED)
    assert _statically_declared() == table
    errors = {"DecodeError", "FramingError", "HeadError", "LineTooLongError"}
    assert set(_cstream.__all__) == table | errors | {"IMPLEMENTATION"}
    for name in _cstream.__all__:
        assert hasattr(_cstream, name), name
    for module in ("_cstream._pure", "_cstream._c"):
        try:
            namespace = importlib.import_module(module)
        except ImportError:
            if module == "_cstream._c" and not _cstream.REQUIRE_EXTENSIONS:
                continue  # not built here
            raise
        for name in table:
            assert getattr(namespace, name) is not None, (module, name)
