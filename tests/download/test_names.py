"""Target names: a server-supplied name lands inside the target directory, made safe (E13)."""

from __future__ import annotations

from pathlib import Path

import pytest

import faststream
from faststream._download_names import filename_from_disposition, safe_filename
from tests.download.conftest import fetch, leftovers, sha256
from tests.servers.ranges import RangeServer


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\x", "x"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("/abs/path/name.txt", "name.txt"),
        ("/abs", "abs"),
        ("C:x", "x"),
        ("C:\\dir\\file.exe", "file.exe"),
        ("%2e%2e%2f%2e%2e%2fpasswd", "passwd"),
        ("%2e%2e", None),
        ("..", None),
        (".", None),
        ("", None),
        ("a\x00b", "a_b"),
        ("line\r\nbreak", "line__break"),
        (".hidden", "hidden"),
        ("trailing. ", "trailing"),
        ("nul", "_nul"),
        ("CON.txt", "_CON.txt"),
        ("a<b>c|d?.txt", "a_b_c_d_.txt"),
        ("\u00e9t\u00e9.txt", "\u00e9t\u00e9.txt"),
        ("/", None),
        ("\\", None),
        ("\x00", None),
    ],
)
def test_safe_filename(name: str, safe: str | None) -> None:
    assert safe_filename(name) == safe


def test_long_names_are_bounded_and_keep_the_extension() -> None:
    name = safe_filename("a" * 10_000 + ".tar.gz")
    assert name is not None
    assert len(name.encode()) <= 200
    assert name.endswith(".gz")
    multibyte = safe_filename("\u00e9" * 5_000)
    assert multibyte is not None
    assert len(multibyte.encode()) <= 200
    assert multibyte == "\u00e9" * len(multibyte)  # never cut inside a character


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ('attachment; filename="plain.txt"', "plain.txt"),
        ("attachment; filename=bare.txt", "bare.txt"),
        ('attachment; filename="q\\"uote.txt"', 'q"uote.txt'),
        # filename* (RFC 8187) wins over filename, whatever the order
        (
            "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt",
            "\u20ac rates.txt",
        ),
        ("attachment; filename*=utf-8''first.txt; filename=\"second.txt\"", "first.txt"),
        ("attachment; filename*=iso-8859-1'en'%E9t%E9.txt", "\u00e9t\u00e9.txt"),
        # an unknown charset falls back to filename
        ("attachment; filename*=nosuch''x.txt; filename=\"y.txt\"", "y.txt"),
        ("inline", None),
        ("", None),
    ],
)
def test_content_disposition(value: str, name: str | None) -> None:
    assert filename_from_disposition(value) == name


HOSTILE = [
    ('attachment; filename="../../etc/passwd"', "passwd"),
    ('attachment; filename="..\\\\x"', "x"),
    ('attachment; filename="/abs"', "abs"),
    ('attachment; filename="C:x"', "x"),
    ('attachment; filename="%2e%2e%2f%2e%2e%2fescape"', "escape"),
    ("attachment; filename*=UTF-8''..%2F..%2Fstar", "star"),
    ("attachment; filename*=UTF-8''nul%00byte%0D%0A", "nul_byte__"),
    ('attachment; filename=".."', "file.bin"),  # nothing left: the URL's name
    ('attachment; filename="' + "n" * 10_000 + '"', "n" * 200),
]


@pytest.mark.parametrize(("disposition", "expected"), HOSTILE)
def test_hostile_names_land_inside_the_directory(
    mode: str,
    server: RangeServer,
    body: bytes,
    tmp_path: Path,
    disposition: str,
    expected: str,
) -> None:
    target = tmp_path / "a" / "b"
    target.mkdir(parents=True)
    server.disposition = disposition
    result = fetch(mode, server.url + "/dir/file.bin", target)
    assert result.path == target / expected
    assert result.sha256 == sha256(body)
    assert leftovers(target) == [expected]
    assert leftovers(tmp_path) == ["a"]
    assert leftovers(tmp_path / "a") == ["b"]


def test_name_from_the_url_then_download(server: RangeServer, body: bytes, tmp_path: Path) -> None:
    assert fetch("sync", server.url + "/x/report.csv?v=2", tmp_path).path == tmp_path / "report.csv"
    assert fetch("sync", server.url + "/", tmp_path).path == tmp_path / "download"
    assert fetch("sync", server.url + "/%2e%2e", tmp_path).path == tmp_path / "download"
    assert leftovers(tmp_path) == ["download", "report.csv"]


def test_directory_target_resumes_under_the_offered_name(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    server.disposition = 'attachment; filename="named.bin"'
    server.drop_every = 500_000
    with pytest.raises(Exception, match="peer closed"):
        fetch(mode, server.url + "/f", tmp_path, retries=0)
    assert (tmp_path / "named.bin.part").stat().st_size == 500_000
    server.drop_every = None
    result = fetch(mode, server.url + "/f", tmp_path)
    assert result.path == tmp_path / "named.bin"
    assert result.resumed_from == 500_000
    assert result.sha256 == sha256(body)
    assert leftovers(tmp_path) == ["named.bin"]


def test_raw_nul_in_the_header_is_refused_and_nothing_is_written(
    mode: str, server: RangeServer, tmp_path: Path
) -> None:
    server.disposition = 'attachment; filename="nul\x00byte"'
    with pytest.raises(faststream.RemoteProtocolError, match="header"):
        fetch(mode, server.url + "/f", tmp_path)
    assert leftovers(tmp_path) == []


def test_a_missing_directory_written_with_a_slash_is_an_error(
    mode: str, server: RangeServer, tmp_path: Path
) -> None:
    # "out/" names a directory: the body must not be stored as a file called "out"
    with pytest.raises(FileNotFoundError, match="download directory does not exist"):
        fetch(mode, server.url + "/f", str(tmp_path / "out") + "/")
    assert leftovers(tmp_path) == []
    assert server.requests == []  # refused before anything is sent
