"""Fixtures of the HTTP/2 tests: a trustme CA and server certificate (`tls_files`), and no
proxy or CA environment variables, so the machine's environment cannot route test traffic
elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.client.conftest import ENVIRONMENT
from tests.servers.tls import TLSFiles


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return TLSFiles.create(Path(tmp_path_factory.mktemp("tls")))
