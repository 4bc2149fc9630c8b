"""Every wire corpus case (corpus.py) against both libraries, faststream and httpx, each with
its `Client` and with its `AsyncClient` on asyncio, uvloop and trio (the async transport must
keep the sync transport's strictness, caps and never-pool rules).

Each case states what httpx 0.28.1 does today and, where faststream deliberately differs, what
faststream must do and which DESIGN.md / THREATS.md §4 decision says so (`Case.deviation`).
"""

from __future__ import annotations

import pytest

from tests.client._helpers import Lib

from ._raw_server import StartServer
from .corpus import CASES
from .corpus_model import Case
from .runner import run_case


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(lib: Lib, case: Case, raw_server: StartServer) -> None:
    run_case(lib, lib.name, case, raw_server)
