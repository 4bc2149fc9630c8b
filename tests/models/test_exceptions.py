"""The exception hierarchy: httpx's names, bases, signatures and messages."""

from __future__ import annotations

import inspect

import httpx
import pytest

from faststream import _exceptions as exceptions

EXCEPTION_NAMES = sorted(
    name
    for name in httpx.__all__
    if isinstance(getattr(httpx, name), type) and issubclass(getattr(httpx, name), Exception)
)


def test_httpx_exports_the_28_exception_classes_of_the_spec() -> None:
    assert len(EXCEPTION_NAMES) == 28


@pytest.mark.parametrize("name", EXCEPTION_NAMES)
def test_same_class_hierarchy_as_httpx(name: str) -> None:
    ours = getattr(exceptions, name)
    theirs = getattr(httpx, name)
    assert [cls.__name__ for cls in ours.__mro__] == [cls.__name__ for cls in theirs.__mro__]


@pytest.mark.parametrize("name", EXCEPTION_NAMES)
def test_same_constructor_signature_as_httpx(name: str) -> None:
    def shape(cls: type) -> list[tuple[str, object, object]]:
        parameters = inspect.signature(cls).parameters.values()
        return [(p.name, p.kind, p.default) for p in parameters]

    assert shape(getattr(exceptions, name)) == shape(getattr(httpx, name))


# faststream's own exceptions, beyond httpx's
ADDITIONS = ["ChecksumMismatch", "ResponseTooLarge", "SSEError"]


def test_module_all_lists_exactly_the_exception_classes() -> None:
    assert sorted(exceptions.__all__) == sorted(EXCEPTION_NAMES + ADDITIONS)


def test_sse_error_is_a_transport_error() -> None:
    exc = exceptions.SSEError("not an event stream")
    assert isinstance(exc, exceptions.TransportError)
    assert str(exc) == "not an event stream"
    with pytest.raises(RuntimeError):
        exc.request  # noqa: B018


def test_checksum_mismatch_is_an_http_error_with_both_digests() -> None:
    exc = exceptions.ChecksumMismatch("sha256 differs", expected="00", actual="ff")
    assert isinstance(exc, exceptions.HTTPError)
    assert not isinstance(exc, exceptions.RequestError)
    assert (str(exc), exc.expected, exc.actual) == ("sha256 differs", "00", "ff")


@pytest.mark.parametrize(
    "name", ["StreamConsumed", "StreamClosed", "ResponseNotRead", "RequestNotRead"]
)
def test_stream_errors_take_no_arguments_and_carry_httpx_message(name: str) -> None:
    ours = getattr(exceptions, name)()
    assert isinstance(ours, exceptions.StreamError)
    assert isinstance(ours, RuntimeError)
    assert str(ours) == str(getattr(httpx, name)())
    with pytest.raises(TypeError):
        getattr(exceptions, name)("message")


def test_stream_consumed_message_keeps_httpx_wording() -> None:
    message = str(exceptions.StreamConsumed())
    assert message.startswith("Attempted to read or stream some content, but the content has")
    assert "authentication flow.For responses" in message


@pytest.mark.parametrize(
    "name",
    [n for n in EXCEPTION_NAMES if issubclass(getattr(exceptions, n), exceptions.RequestError)],
)
def test_request_errors_without_request_raise_runtime_error_on_access(name: str) -> None:
    exc = getattr(exceptions, name)("boom")
    assert str(exc) == "boom"
    assert exc.args == ("boom",)
    assert repr(exc) == f"{name}('boom')"
    with pytest.raises(RuntimeError, match=r"^The \.request property has not been set\.$"):
        exc.request  # noqa: B018


def test_request_given_to_constructor_or_set_later() -> None:
    marker = object()
    assert exceptions.ReadTimeout("slow", request=marker).request is marker
    exc = exceptions.ConnectError("refused")
    exc.request = marker
    assert exc.request is marker


def test_http_status_error_carries_request_and_response() -> None:
    request, response = object(), object()
    exc = exceptions.HTTPStatusError("404 Not Found", request=request, response=response)
    assert exc.request is request
    assert exc.response is response
    assert str(exc) == "404 Not Found"
    assert isinstance(exc, exceptions.HTTPError)
    assert not isinstance(exc, exceptions.RequestError)
    with pytest.raises(TypeError):
        exceptions.HTTPStatusError("x")  # type: ignore[call-arg]


def test_http_error_itself_takes_only_a_message() -> None:
    exc = exceptions.HTTPError("oops")
    with pytest.raises(RuntimeError):
        exc.request  # noqa: B018
    with pytest.raises(TypeError):
        exceptions.HTTPError("oops", request=None)  # type: ignore[call-arg]


@pytest.mark.parametrize("cls", [exceptions.InvalidURL, exceptions.CookieConflict])
def test_plain_exceptions_outside_the_http_error_tree(cls: type[Exception]) -> None:
    exc = cls("bad")
    assert str(exc) == "bad"
    assert not isinstance(exc, exceptions.HTTPError)
    assert not hasattr(exc, "request")


def test_request_context_attaches_the_request_to_request_errors() -> None:
    request = object()
    with pytest.raises(exceptions.ReadError) as info:
        with exceptions.request_context(request=request):
            raise exceptions.ReadError("reset")
    assert info.value.request is request


def test_request_context_replaces_an_existing_request() -> None:
    old, new = object(), object()
    with pytest.raises(exceptions.DecodingError) as info:
        with exceptions.request_context(request=new):
            raise exceptions.DecodingError("bad gzip", request=old)
    assert info.value.request is new


def test_request_context_without_request_attaches_nothing() -> None:
    with pytest.raises(exceptions.WriteError) as info:
        with exceptions.request_context():
            raise exceptions.WriteError("pipe")
    with pytest.raises(RuntimeError):
        info.value.request  # noqa: B018


def test_request_context_leaves_other_exceptions_alone() -> None:
    status_error = exceptions.HTTPStatusError("x", request="r", response="s")
    with pytest.raises(exceptions.HTTPStatusError) as info:
        with exceptions.request_context(request="other"):
            raise status_error
    assert info.value.request == "r"
    with pytest.raises(ValueError):
        with exceptions.request_context(request="other"):
            raise ValueError("not ours")


def test_request_context_passes_through_when_nothing_is_raised() -> None:
    with exceptions.request_context(request=object()):
        value = 1
    assert value == 1
