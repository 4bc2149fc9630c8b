"""faststream's pytest plugin keeps faststream out of pytest's assert rewriting.

pytest marks every package of a distribution that ships a plugin for rewriting (from the
wheel's file list); rewritten, faststream's assertion messages (the ASGI and WSGI transports'
checks of an app) and its namespace (httpx's `__all__` rule) would differ under pytest.
"""

from __future__ import annotations

import types

import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook

import _faststream_pytest


def test_faststream_and_cstream_are_unmarked(pytestconfig: pytest.Config) -> None:
    hook = AssertionRewritingHook(pytestconfig)
    # What pytest does for a wheel of faststream-http, minus the warning about modules
    # already imported in this session.
    hook._must_rewrite.update({"faststream", "_cstream", "_faststream_pytest", "otherpkg"})
    hook._marked_for_rewrite_cache["faststream._response"] = True
    _faststream_pytest.pytest_addhooks(types.SimpleNamespace(rewrite_hook=hook))  # type: ignore[arg-type]
    assert hook._must_rewrite == {"_faststream_pytest", "otherpkg"}
    assert "faststream._response" not in hook._marked_for_rewrite_cache


def test_faststream_namespace_is_not_rewritten() -> None:
    import faststream
    from faststream._transports import _asgi

    assert "@py_builtins" not in vars(faststream)
    assert "@py_builtins" not in vars(_asgi)
