"""FastStream (distribution `faststream`) installed alongside: `import faststream` refuses.

Each case imports the package in a fresh interpreter whose sys.path holds a directory with
fake metadata, as pip would leave it next to ours in site-packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def import_with(extra_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import faststream; print(faststream.__title__)"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=extra_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(extra_path), *sys.path])},
    )


def fake_metadata(directory: Path, name: str) -> None:
    meta = directory / name
    meta.mkdir()
    project = name.partition("-")[0]
    (meta / ("PKG-INFO" if name.endswith(".egg-info") else "METADATA")).write_text(
        f"Metadata-Version: 2.1\nName: {project}\nVersion: 0.5.48\n"
    )


@pytest.mark.parametrize(
    "entry",
    [
        "faststream-0.5.48.dist-info",
        "FastStream-0.6.0.dist-info",
        "faststream-0.5.0-py3.11.egg-info",
    ],
)
def test_import_fails_with_the_fix_when_faststream_is_installed(tmp_path: Path, entry: str) -> None:
    fake_metadata(tmp_path, entry)
    done = import_with(tmp_path)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: faststream-http (the HTTP client, imported as ")
    assert str(tmp_path / entry) in last
    assert "FastStream, the messaging framework" in last
    assert "two separate virtual environments" in last
    assert "pip uninstall faststream faststream-http" in last


@pytest.mark.parametrize(
    "entry", ["faststream_http-0.1.0.dist-info", "faststream_extras-1.0.dist-info"]
)
def test_our_own_and_other_similar_names_do_not_trip_it(tmp_path: Path, entry: str) -> None:
    fake_metadata(tmp_path, entry)
    done = import_with(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "faststream\n"


def test_files_of_faststream_in_the_package_directory_trip_it(tmp_path: Path) -> None:
    from faststream import _clash

    package = tmp_path / "faststream"
    package.mkdir()
    assert _clash.find_other_distribution(str(package)) is None
    (package / "broker").mkdir()
    assert _clash.find_other_distribution(str(package)) == str(package / "broker")
    with pytest.raises(ImportError, match="two separate virtual environments"):
        _clash.check(str(package))
