"""The implementation fixture: every core test runs against the compiled types and their twins."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

import _cstream
from _cstream._names import IMPLEMENTED, SHARED


class Implementation:
    """One implementation of `_cstream` (``"c"`` or ``"python"``), its names loaded on use.

    A compiled module that is missing skips the test that needs it, unless
    FASTSTREAM_REQUIRE_EXTENSIONS=1, where it fails.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<_cstream implementation {self.name!r}>"

    def __getattr__(self, attr: str) -> Any:
        if attr in SHARED:
            return getattr(importlib.import_module("_cstream._codecs"), attr)
        if attr in ("DecodeError", "LineTooLongError", "FramingError", "HeadError"):
            return getattr(_cstream, attr)
        home = IMPLEMENTED.get(attr)
        if home is None:
            raise AttributeError(attr)
        package = "_cstream._pure" if self.name == "python" else "_cstream"
        try:
            module = importlib.import_module(f"{package}.{home}")
        except ImportError as exc:
            if self.name == "python" or _cstream.REQUIRE_EXTENSIONS:
                raise
            pytest.skip(f"the compiled module {home} was not built on this machine ({exc})")
        return getattr(module, attr)


@pytest.fixture(params=["c", "python"], scope="session")
def impl(request: pytest.FixtureRequest) -> Implementation:
    """One implementation of `_cstream`; tests taking it run once for each."""
    return Implementation(request.param)


@pytest.fixture(scope="session")
def c_impl() -> Implementation:
    return Implementation("c")


@pytest.fixture(scope="session")
def py_impl() -> Implementation:
    return Implementation("python")
