"""`codes`: every member, phrase, alias and predicate equals httpx's."""

from __future__ import annotations

import enum
import pickle
import typing

import httpx
import pytest

from faststream._status_codes import codes


def test_members_names_values_and_phrases_equal_httpx() -> None:
    ours = [(m.name, m.value, m.phrase) for m in codes]
    theirs = [(m.name, m.value, m.phrase) for m in typing.cast(typing.Any, httpx.codes)]
    assert ours == theirs
    assert len(ours) == 62


def test_member_basics() -> None:
    assert issubclass(codes, enum.IntEnum)
    status: int = 200
    assert codes.OK == status
    assert codes(404) is codes.NOT_FOUND
    assert codes["NOT_FOUND"] is codes.NOT_FOUND
    assert codes.NOT_FOUND.phrase == "Not Found"
    assert codes.IM_A_TEAPOT.phrase == "I'm a teapot"
    assert str(codes.NOT_FOUND) == "404"
    assert f"{codes.NOT_FOUND}" == "404"
    assert repr(codes.NOT_FOUND) == "<codes.NOT_FOUND: 404>"
    assert codes.OK + 1 == 201
    assert hash(codes.OK) == hash(200)
    assert pickle.loads(pickle.dumps(codes.CREATED)) is codes.CREATED


@pytest.mark.parametrize("value", [0, 99, 199, 306, 999, -1])
def test_unregistered_values_are_not_members(value: int) -> None:
    with pytest.raises(ValueError):
        codes(value)
    assert codes.get_reason_phrase(value) == ""


def test_lower_case_aliases_are_plain_ints_like_httpx() -> None:
    for member in codes:
        alias = getattr(codes, member.name.lower())
        assert type(alias) is int
        assert alias == member.value == getattr(httpx.codes, member.name.lower())
    assert codes.not_found == 404
    assert getattr(codes, "continue") == 100
    with pytest.raises(KeyError):
        codes["not_found"]


def test_aliases_declared_for_type_checkers_match_the_members() -> None:
    declared = set(codes.__annotations__) - {"_value_", "phrase"}
    expected = {m.name.lower() for m in codes} - {"continue"}
    assert declared == expected


def test_reason_phrases_for_every_value_equal_httpx() -> None:
    for value in range(-1, 1000):
        assert codes.get_reason_phrase(value) == httpx.codes.get_reason_phrase(value)
    assert codes.get_reason_phrase(418) == "I'm a teapot"


def test_get_reason_phrase_of_a_non_int_is_empty_like_httpx() -> None:
    assert codes.get_reason_phrase("200") == httpx.codes.get_reason_phrase("200") == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "predicate",
    [
        "is_informational",
        "is_success",
        "is_redirect",
        "is_client_error",
        "is_server_error",
        "is_error",
    ],
)
def test_predicates_equal_httpx_on_every_value(predicate: str) -> None:
    ours, theirs = getattr(codes, predicate), getattr(httpx.codes, predicate)
    for value in range(-1, 701):
        assert ours(value) is theirs(value), value
    # Callable on members too, as class methods.
    assert getattr(codes.OK, predicate)(200) is theirs(200)


def test_predicate_boundaries() -> None:
    assert codes.is_informational(100) and codes.is_informational(199)
    assert not codes.is_informational(200)
    assert codes.is_success(299) and not codes.is_success(300)
    assert codes.is_redirect(304) and not codes.is_redirect(400)
    assert codes.is_error(400) and codes.is_error(599) and not codes.is_error(600)
    assert codes.is_client_error(499) and not codes.is_client_error(500)
    assert codes.is_server_error(500) and not codes.is_server_error(399)
