"""The selector picks what the environment asks for, and a required build really loaded."""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import subprocess
import sys

import pytest

import _cstream

COMPILED_MODULES = ["_cstream._chunker", "_cstream._lines", "_cstream._zlib", "_cstream._framing"]


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
    assert _cstream.ByteChunker.__module__ == "_cstream._chunker"


def test_selector_follows_no_extensions() -> None:
    expected = "python" if _cstream.NO_EXTENSIONS else _cstream.IMPLEMENTATION
    assert _cstream.IMPLEMENTATION == expected
    if _cstream.NO_EXTENSIONS:
        assert _cstream.ByteChunker.__module__ == "_cstream._pure._chunker"


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
