"""faststream's pytest plugin (entry point `pytest11`): respx and pytest-httpx intercept
faststream's requests as they intercept httpx's (faststream._pytest_plugin does the work).

A top-level module, not a faststream submodule, so that it is loaded before faststream is
imported: pytest marks every package of a distribution that ships a plugin for assert
rewriting, and faststream must run under pytest as it runs everywhere else (its assertion
messages are part of its behaviour, httpx's tests read its namespace). So before importing
faststream, the plugin takes faststream and _cstream off pytest's list of modules to rewrite
(a pytest internal, skipped if it ever changes shape). faststream is imported only when
pytest configures itself.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import typing
from collections.abc import Generator

import pytest

_OURS = ("faststream", "_cstream")


def _is_ours(name: str) -> bool:
    return any(name == ours or name.startswith(ours + ".") for ours in _OURS)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    hook = getattr(pluginmanager, "rewrite_hook", None)
    marked = getattr(hook, "_must_rewrite", None)
    cache = getattr(hook, "_marked_for_rewrite_cache", None)
    if isinstance(marked, set):
        marked.difference_update(_OURS)
    if isinstance(cache, dict):
        for name in [name for name in cache if _is_ours(name)]:
            del cache[name]


def pytest_configure(config: pytest.Config) -> None:
    from faststream._pytest_plugin import configure

    configure(config)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[typing.Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    result = yield
    if fixturedef.argname == "httpx_mock":
        from faststream._pytest_plugin import follow_httpx_mock

        follow_httpx_mock(fixturedef)
    return result
