"""Helpers shared by the core test modules."""

from __future__ import annotations

from typing import Any

from _cstream._errors import LineTooLongError


def outcomes(decoder: Any, pieces: list[Any]) -> list[Any]:
    """What each call returns, or the exception type it raised (then stop)."""
    seen: list[Any] = []
    try:
        for piece in pieces:
            seen.append(decoder.decode(piece))
        seen.append(decoder.flush())
    except LineTooLongError:
        seen.append(LineTooLongError)
    return seen
