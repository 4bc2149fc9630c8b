"""The sdist built from the tracked files carries what a from-sdist build and the test run need
(the Cython sources and headers, the stubs, every tracked source and test, .ci/run and what it
calls) and none of the build outputs (generated C, compiled modules, bytecode, build trees).

The tracked files are copied into an empty folder and setuptools' PEP 517 backend builds the
sdist there in a fresh interpreter, with the compiled core enabled as a release build has it
(cythonize runs and writes .c files next to the sources; they must not reach the archive) and
with it disabled (the pure-Python-only build)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What .ci/run and a build from the sdist use beyond the package sources and the tests.
REQUIRED = [
    ".ci/run",
    ".ci/stubtest-allowlist.txt",
    "MANIFEST.in",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "pyproject.toml",
    "setup.py",
    "requirements/cython.txt",
    "requirements/build.txt",
    "tools/unasync.py",
    "tools/fuzz-asan",
    "tools/release-check",
    "tools/readme_example.py",
    "mkdocs.yml",
    "docs/index.md",
    "src/faststream/py.typed",
    "src/_cstream/py.typed",
]

# Build outputs: none may be in the archive.
FORBIDDEN_SUFFIXES = (".c", ".so", ".pyd", ".pyc", ".pyo", ".html", ".o")
FORBIDDEN_PARTS = ("__pycache__", "build", "dist", ".hypothesis", ".pytest_cache")

_BUILD = """
import sys
from setuptools import build_meta
print(build_meta.build_sdist(sys.argv[1]))
"""


def tracked_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (an sdist itself, say): no tracked files to build from")
    # a tracked file deleted in the working tree is not part of what would be built
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def build_sdist(tmp_path: Path, files: list[str], extensions: bool) -> tuple[list[str], str]:
    """The member names of the sdist built from `files`, without the top-level folder, and its
    PKG-INFO (the core metadata an index shows)."""
    tree = tmp_path / "tree"
    for name in files:
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    out = tmp_path / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTSTREAM_")}
    if not extensions:
        env["FASTSTREAM_NO_EXTENSIONS"] = "1"
    child = subprocess.run(
        [sys.executable, "-c", _BUILD, str(out)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-4000:]
    archive = out / child.stdout.split()[-1]
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        top = names[0].split("/")[0]
        info = tar.extractfile(f"{top}/PKG-INFO")
        assert info is not None
        pkg_info = info.read().decode()
    return [name[len(top) + 1 :] for name in names if name.startswith(top + "/")], pkg_info


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("extensions", [True, False], ids=["compiled", "pure"])
def test_sdist_contents(tmp_path: Path, extensions: bool) -> None:
    if extensions:
        pytest.importorskip("Cython", reason="cythonize runs while the sdist is made")
    files = tracked_files()
    names, pkg_info = build_sdist(tmp_path, files, extensions)
    members = set(names)

    assert [name for name in REQUIRED if name not in members] == []
    cython = [
        f for f in files if f.startswith("src/_cstream/") and f.endswith((".pyx", ".pyi", ".h"))
    ]
    assert len(cython) >= 10
    sources = [f for f in files if f.startswith(("src/", "tests/")) and f.endswith(".py")]
    assert [name for name in cython + sources if name not in members] == []

    bad = [
        name
        for name in members
        if name.endswith(FORBIDDEN_SUFFIXES)
        or any(part in FORBIDDEN_PARTS for part in name.split("/"))
    ]
    assert bad == []


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_sdist_metadata(tmp_path: Path) -> None:
    """What an index shows: the license by SPDX expression with its file, the project's
    addresses, and one classifier per supported Python version, from the floor up."""
    _, pkg_info = build_sdist(tmp_path, tracked_files(), extensions=False)
    fields = [line.split(": ", 1) for line in pkg_info.split("\n\n", 1)[0].splitlines()]
    values: dict[str, list[str]] = {}
    for field in fields:
        if len(field) == 2:
            values.setdefault(field[0], []).append(field[1])

    assert values["License-Expression"] == ["BSD-3-Clause"]
    assert values["License-File"] == ["LICENSE"]
    assert values["Requires-Python"] == [">=3.10"]
    urls = dict(url.split(", ", 1) for url in values["Project-URL"])
    assert sorted(urls) == ["Changelog", "Documentation", "Homepage", "Issues", "Repository"]
    assert all(url.startswith("https://") for url in urls.values())
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in values["Classifier"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert versions == ["3.10", "3.11", "3.12", "3.13", "3.14"]
    assert "Operating System :: OS Independent" in values["Classifier"]
