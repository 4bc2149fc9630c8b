"""Fixtures for the model tests: `httpx`, the module under test (faststream or httpx 0.28.1;
tests/_helpers.py)."""

from __future__ import annotations

from tests._helpers import httpx

__all__ = ["httpx"]  # the shared fixture, made visible to pytest here
