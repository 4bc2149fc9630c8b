"""Fixtures of the HTTP/2 tests: a trustme CA and server certificate (`tls_files`), and no
proxy or CA environment variables, so the machine's environment cannot route test traffic
elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._helpers import clean_environment
from tests.servers.tls import TLSFiles

__all__ = ["clean_environment"]  # the shared fixture, made visible to pytest here


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return TLSFiles.create(Path(tmp_path_factory.mktemp("tls")))
