"""Fixtures for the wire tests: the raw scripted server and the library under test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._helpers import LIBRARIES
from tests.client._async_adapter import MODE_NAMES, Mode, mode_param
from tests.client._helpers import Lib
from tests.wire._fixtures import raw_server

__all__ = ["raw_server"]  # the shared fixture, made visible to pytest here


@pytest.fixture(
    params=[
        mode_param(mode, (name, mode), id=f"{name}-{mode}")
        for name in LIBRARIES
        for mode in MODE_NAMES
    ]
)
def lib(request: pytest.FixtureRequest) -> Iterator[Lib]:
    """The library under test: `faststream` or `httpx` (same names: Client, Timeout, ...) as a
    `Lib` (tests/client/_helpers.py): its `Client` ("sync"), or its `AsyncClient` on asyncio,
    uvloop or trio behind the same API (tests/client/_async_adapter.py)."""
    name, mode = request.param
    with Mode.running(mode):
        yield Lib(name)
