"""faststream's plain-Python modules compiled with Cython: the extension modules run where they
were built, and FASTSTREAM_NO_EXTENSIONS=1 runs the .py sources beside them instead."""

from __future__ import annotations

import ast
import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import _cstream
import faststream
from faststream import _purepy

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(faststream.__file__).resolve().parent.parent

# Imports every compiled module (and faststream with it), then reports each one's file and the
# finder's view of what runs compiled.
_REPORT = """
import importlib, json, sys
names = json.loads(sys.argv[1])
files = {name: importlib.import_module(name).__file__ for name in names}
from faststream import _purepy
print(json.dumps({"files": files, "compiled": _purepy.compiled_modules()}))
"""


def python_modules() -> list[str]:
    """setup.py's PYTHON_MODULES: the faststream modules a build compiles."""
    setup = ROOT / "setup.py"
    if not setup.is_file():
        pytest.skip("no setup.py beside the tests: not a source tree")
    for node in ast.parse(setup.read_text(encoding="utf-8")).body:
        targets = [getattr(t, "id", None) for t in getattr(node, "targets", [])]
        if isinstance(node, ast.Assign) and targets == ["PYTHON_MODULES"]:
            names = ast.literal_eval(node.value)
            assert isinstance(names, list)
            return names
    raise AssertionError("setup.py has no PYTHON_MODULES list")


def extension_beside(name: str) -> Path | None:
    """The built extension module of faststream module `name`, where faststream is imported
    from, or None when there is none."""
    stem = PACKAGE_DIR.joinpath(*name.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = stem.with_name(stem.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def report(names: list[str], **env: str) -> dict[str, object]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("FASTSTREAM_")}
    child_env.update(env)
    done = subprocess.run(
        [sys.executable, "-c", _REPORT, json.dumps(names)],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_switch_runs_every_module_from_its_source() -> None:
    names = python_modules()
    got = report(names, FASTSTREAM_NO_EXTENSIONS="1")
    files = got["files"]
    assert isinstance(files, dict)
    assert [name for name, file in files.items() if not file.endswith(".py")] == []
    assert files["faststream._request"].endswith(os.path.join("faststream", "_request.py"))
    assert got["compiled"] == []


def test_a_build_runs_its_compiled_modules() -> None:
    names = python_modules()
    built = {name: extension_beside(name) for name in names}
    if not any(built.values()):
        pytest.skip("no faststream module was compiled (built without FASTSTREAM_COMPILE_PYTHON=1)")
    if _cstream.REQUIRE_EXTENSIONS:
        assert [name for name, ext in built.items() if ext is None] == []
    # in a tree built in place, a source edited after the build runs instead (the stale rule)
    fresh = [
        name
        for name, ext in built.items()
        if ext is not None and not _purepy.stale(str(ext), str(ext_source(name)))
    ]
    got = report(names)
    files = got["files"]
    assert isinstance(files, dict)
    assert {name: files[name] for name in fresh} == {name: str(built[name]) for name in fresh}
    assert got["compiled"] == sorted(fresh)


def ext_source(name: str) -> Path:
    return PACKAGE_DIR.joinpath(*name.split(".")).with_suffix(".py")


def test_a_stale_in_place_build_loses_to_its_edited_source(tmp_path: Path) -> None:
    source, generated = tmp_path / "_mod.py", tmp_path / "_mod.c"
    extension = tmp_path / ("_mod" + importlib.machinery.EXTENSION_SUFFIXES[0])
    for path in (source, generated, extension):
        path.write_text("", encoding="utf-8")
    os.utime(extension, (1_000_000, 1_000_000))
    os.utime(source, (2_000_000, 2_000_000))
    assert _purepy.stale(str(extension), str(source)) is True
    # a build newer than its source is used
    os.utime(extension, (3_000_000, 3_000_000))
    assert _purepy.stale(str(extension), str(source)) is False
    # an installed wheel carries no generated C: its compiled module is used whatever the times
    generated.unlink()
    os.utime(extension, (1_000_000, 1_000_000))
    assert _purepy.stale(str(extension), str(source)) is False


def _ok(request: faststream.Request) -> faststream.Response:
    return faststream.Response(200)


def test_the_cookies_deprecation_points_at_the_caller_compiled_or_not() -> None:
    # a compiled function has no Python frame: the warning still names this line's file
    with faststream.Client(transport=faststream.MockTransport(_ok)) as client:
        with pytest.warns(DeprecationWarning, match="per-request cookies") as record:
            client.request("GET", "http://example.org/", cookies={"a": "1"})
    assert [Path(w.filename).name for w in record] == [Path(__file__).name]


def test_the_async_cookies_deprecation_points_at_the_caller() -> None:
    import asyncio

    async def main() -> list[str]:
        transport = faststream.MockTransport(_ok)
        async with faststream.AsyncClient(transport=transport) as client:
            with pytest.warns(DeprecationWarning, match="per-request cookies") as record:
                await client.request("GET", "http://example.org/", cookies={"a": "1"})
        return [Path(w.filename).name for w in record]

    assert asyncio.run(main()) == [Path(__file__).name]
