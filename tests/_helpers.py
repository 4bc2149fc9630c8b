"""Helpers shared by the test directories.

* `LIBRARIES`: the two libraries every differential test runs: faststream and httpx 0.28.1
  (the oracle).
* `load(name)`: the library as a module, as user code sees it after `import faststream as httpx`.
* `httpx` (fixture): that module, parametrized over `LIBRARIES`. The conftest of each directory
  that uses it imports it from here, so the name means the same thing everywhere: a module with
  httpx's public API (for the client scenarios that also run through `AsyncClient`, see the
  `lib` fixture of tests/client/conftest.py).
* `clean_environment` (autouse fixture, in the conftests that import it): no proxy, CA or CGI
  environment variable, so the machine's environment cannot route test traffic elsewhere.
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


ENVIRONMENT = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUEST_METHOD",  # urllib's getproxies ignores HTTP_PROXY in CGI mode
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove `ENVIRONMENT` (both spellings) for the test."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def is_faststream(module: ModuleType) -> bool:
    return module.__name__ == "faststream"
