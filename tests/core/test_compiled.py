"""faststream.compiled() says which core runs, as the environment selected it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import _cstream
import faststream


def test_compiled_agrees_with_the_selector() -> None:
    assert faststream.compiled() is (_cstream.IMPLEMENTATION == "c")
    type_home = type(_cstream.ByteChunker()).__module__
    # the compiled types live in the extension modules, the twins under _cstream._pure
    assert faststream.compiled() is not type_home.startswith("_cstream._pure")


@pytest.mark.skipif(
    not _cstream.REQUIRE_EXTENSIONS,
    reason="only meaningful when FASTSTREAM_REQUIRE_EXTENSIONS=1 (CI sets it)",
)
def test_compiled_is_true_when_the_build_is_required() -> None:
    assert faststream.compiled() is True


def _compiled_in_child(**env: str) -> str:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("FASTSTREAM_")}
    child_env.update(env)
    result = subprocess.run(
        [sys.executable, "-c", "import faststream; print(faststream.compiled())"],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_compiled_is_false_when_the_twins_are_selected() -> None:
    assert _compiled_in_child(FASTSTREAM_NO_EXTENSIONS="1") == "False"


@pytest.mark.skipif(
    _cstream.NO_EXTENSIONS or _cstream.IMPLEMENTATION != "c",
    reason="the pure twins are selected here (or the compiled modules were not built)",
)
def test_compiled_is_true_in_a_fresh_interpreter_with_the_build() -> None:
    assert _compiled_in_child() == "True"
