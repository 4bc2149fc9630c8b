"""The public namespace: httpx's names, sorted, nothing else public, submodules private."""

from __future__ import annotations

import pickle

import httpx

import faststream


def test_all_is_httpx_rule_exactly() -> None:
    # httpx's own check: the module's public names plus three dunders, in the order of a
    # stable casefold sort of `vars()`, so names equal under casefold keep definition order
    # (`request` is bound before `Request`, as in httpx).
    dunders = ["__description__", "__title__", "__version__"]
    names = [name for name in vars(faststream) if not name.startswith("_") or name in dunders]
    assert faststream.__all__ == sorted(names, key=str.casefold)
    assert faststream.__all__.index("request") + 1 == faststream.__all__.index("Request")


def test_all_is_sorted_case_insensitively() -> None:
    assert faststream.__all__ == sorted(faststream.__all__, key=str.casefold)


def test_all_equals_the_public_names() -> None:
    public = {name for name in vars(faststream) if not name.startswith("_")}
    dunders = {"__description__", "__title__", "__version__"}
    assert set(faststream.__all__) == public | dunders


# faststream's public names beyond httpx's
ADDITIONS = {
    "aconnect_sse",
    "ChecksumMismatch",
    "compiled",
    "connect_sse",
    "download",
    "DownloadProgress",
    "DownloadResult",
    "EventSource",
    "ResponseTooLarge",
    "ServerSentEvent",
    "SSEError",
}


def test_every_httpx_name_is_exported_and_nothing_else() -> None:
    assert set(faststream.__all__) == set(httpx.__all__) | ADDITIONS
    # The same order too: both follow the rule above.
    assert [name for name in faststream.__all__ if name not in ADDITIONS] == httpx.__all__


def test_metadata() -> None:
    assert faststream.__title__ == "faststream"
    assert faststream.__version__.count(".") >= 2


def test_exported_objects_report_the_package_as_module() -> None:
    for name in faststream.__all__:
        obj = getattr(faststream, name)
        if not name.startswith("__"):
            assert obj.__module__ == "faststream", name


def test_exceptions_pickle_through_the_package_path() -> None:
    exc = faststream.InvalidURL("bad")
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is faststream.InvalidURL
    assert str(again) == "bad"
