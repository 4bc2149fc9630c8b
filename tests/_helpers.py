"""Helpers shared by the test directories.

* `LIBRARIES`: the two libraries every differential test runs: faststream and httpx 0.28.1
  (the oracle).
* `load(name)`: the library as a module, as user code sees it after `import faststream as httpx`.
* `httpx` (fixture): that module, parametrized over `LIBRARIES`. The conftest of each directory
  that uses it imports it from here, so the name means the same thing everywhere: a module with
  httpx's public API (for the client scenarios that also run through `AsyncClient`, see the
  `lib` fixture of tests/client/conftest.py).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

LIBRARIES = ["faststream", "httpx"]


def load(name: str) -> ModuleType:
    """The library under test: ``import faststream as httpx``, or httpx itself."""
    return importlib.import_module(name)


@pytest.fixture(params=LIBRARIES)
def httpx(request: pytest.FixtureRequest) -> ModuleType:
    """`import faststream as httpx` in one run, the real httpx in the other."""
    return load(request.param)


def is_faststream(module: ModuleType) -> bool:
    return module.__name__ == "faststream"
