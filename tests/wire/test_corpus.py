"""Every wire corpus case (corpus.py) against both libraries, faststream and httpx, each with
its `Client` and with its `AsyncClient` (the async transport must keep the sync transport's
strictness, caps and never-pool rules; issue 5).

Each case states what httpx 0.28.1 does today and, where faststream deliberately differs, what
faststream must do and which DESIGN.md / THREATS.md §4 decision says so (`Case.deviation`).
"""

from __future__ import annotations

from types import ModuleType

import pytest

from ._raw_server import StartServer
from .corpus import CASES
from .corpus_model import Case
from .runner import run_case


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(lib: ModuleType, case: Case, raw_server: StartServer) -> None:
    library = "faststream" if lib.__name__.startswith("faststream") else "httpx"
    run_case(lib, library, case, raw_server)
