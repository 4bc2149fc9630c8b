"""`Timeout(total=..., min_rate=...)`: unset, a `Timeout` is httpx's in every observable way
(repr, equality, the request's "timeout" extension); set, the deadlines show in all three and
are validated."""

from __future__ import annotations

import typing

import httpx
import pytest

import faststream

FORMS: list[tuple[tuple[typing.Any, ...], dict[str, typing.Any]]] = [
    ((5.0,), {}),
    ((None,), {}),
    ((5.0,), {"connect": 10.0}),
    ((None,), {"read": 2.0}),
    ((), {"connect": 1, "read": 2, "write": 3, "pool": 4}),
    ((), {"connect": None, "read": None, "write": None, "pool": None}),
    (((1, 2),), {}),
    (((1, 2, 3),), {}),
    (((1, 2, 3, 4),), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), FORMS)
def test_unset_deadlines_leave_httpx_behaviour(
    args: tuple[typing.Any, ...], kwargs: dict[str, typing.Any]
) -> None:
    ours, theirs = faststream.Timeout(*args, **kwargs), httpx.Timeout(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert ours.as_dict() == theirs.as_dict()
    assert ours == faststream.Timeout(ours)
    assert (ours.total, ours.min_rate) == (None, None)


def test_a_client_request_carries_httpx_timeout_extension_when_unset() -> None:
    ours = faststream.Client(timeout=3.0).build_request("GET", "http://example.org")
    theirs = httpx.Client(timeout=3.0).build_request("GET", "http://example.org")
    assert ours.extensions["timeout"] == theirs.extensions["timeout"]


def test_set_deadlines_show_in_repr_equality_and_extension() -> None:
    timeout = faststream.Timeout(5.0, total=30, min_rate=(1024, 10))
    assert repr(timeout) == "Timeout(timeout=5.0, total=30, min_rate=(1024, 10))"
    assert timeout.as_dict() == {
        "connect": 5.0,
        "read": 5.0,
        "write": 5.0,
        "pool": 5.0,
        "total": 30,
        "min_rate": (1024, 10),
    }
    assert timeout != faststream.Timeout(5.0)
    assert timeout == faststream.Timeout(timeout)
    mixed = faststream.Timeout(connect=1, read=2, write=3, pool=4, total=9)
    assert repr(mixed) == "Timeout(connect=1, read=2, write=3, pool=4, total=9)"


def test_a_copy_can_add_deadlines() -> None:
    copied = faststream.Timeout(faststream.Timeout(5.0, total=30), min_rate=(1, 2.5))
    assert (copied.read, copied.total, copied.min_rate) == (5.0, 30, (1, 2.5))


@pytest.mark.parametrize("total", [-1, -0.5, float("nan")])
def test_a_negative_total_is_refused(total: float) -> None:
    with pytest.raises(ValueError, match="total must be >= 0"):
        faststream.Timeout(5.0, total=total)


@pytest.mark.parametrize("total", ["10", True, [1]])
def test_a_total_that_is_not_a_number_is_refused(total: typing.Any) -> None:
    with pytest.raises(TypeError, match="total must be a number"):
        faststream.Timeout(5.0, total=total)


@pytest.mark.parametrize(
    "min_rate", [100, (100,), (100, 1, 2), (0, 1), (100, 0), (-1, 1), (1.5, 1), ("1", 1), [1, 1]]
)
def test_a_bad_min_rate_is_refused(min_rate: typing.Any) -> None:
    with pytest.raises(ValueError, match=r"min_rate must be \(bytes, seconds\)"):
        faststream.Timeout(5.0, min_rate=min_rate)
