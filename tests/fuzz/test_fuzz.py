"""Differential fuzzing: every compiled `_cstream` type against its pure twin (`targets.py`).

Run length, per target:

* ``FASTSTREAM_FUZZ_SECONDS=N``: batches of examples until N seconds have passed;
* ``FASTSTREAM_FUZZ_EXAMPLES=N``: N examples;
* neither: the Hypothesis profile's ``max_examples`` divided by 5. These targets overlap the
  property tests in tests/core, which run in full in every pass; the fuzz run proper is
  tools/fuzz-asan, which sets one of the variables above.

``FASTSTREAM_FUZZ_STATS=path`` appends one JSON line per target (examples, CPU and wall
seconds). ``FASTSTREAM_FUZZ_BUILD=dir`` (set by tools/fuzz-asan) requires the compiled modules
to come from that directory and to be built with ASan and UBSan, and the ASan runtime to be
loaded: a run that silently used the normal build would prove nothing.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings

import _cstream

from .targets import TARGETS, Target

COMPILED = ["_chunker", "_framing", "_h2frames", "_head", "_hpack", "_lines", "_sse", "_zlib"]
# Examples per Hypothesis run. A timed run checks the clock between runs, so it overshoots by
# at most one (a few seconds for the slowest target under ASan).
BATCH = 500
TIMED_BATCH = 100


def _compiled_or_skip() -> None:
    for name in COMPILED:
        try:
            importlib.import_module(f"_cstream.{name}")
        except ImportError as exc:
            if _cstream.REQUIRE_EXTENSIONS:
                raise
            pytest.skip(f"the compiled module {name} was not built on this machine ({exc})")


def test_sanitized_build_is_in_use() -> None:
    build = os.environ.get("FASTSTREAM_FUZZ_BUILD")
    if not build:
        pytest.skip("only under tools/fuzz-asan (FASTSTREAM_FUZZ_BUILD is not set)")
    assert hasattr(ctypes.CDLL(None), "__asan_init"), "the ASan runtime is not loaded"
    for name in COMPILED:
        path = Path(importlib.import_module(f"_cstream.{name}").__file__ or "")
        assert path.parent == Path(build), f"{name} was loaded from {path}, not from {build}"
        image = path.read_bytes()
        assert b"__asan_report_load" in image, f"{path} is not built with ASan"
        assert b"__ubsan_handle_" in image, f"{path} is not built with UBSan"


def _budget() -> tuple[int | None, float | None]:
    """(examples, seconds): exactly one is set."""
    seconds = float(os.environ.get("FASTSTREAM_FUZZ_SECONDS", "0") or 0)
    examples = int(os.environ.get("FASTSTREAM_FUZZ_EXAMPLES", "0") or 0)
    if examples:
        return examples, None
    if seconds:
        return None, seconds
    profile = settings.default
    assert profile is not None
    return max(1, profile.max_examples // 5), None


def fuzz(target: Target) -> dict[str, Any]:
    """Run `target` for the budget in batches, each with its own seed; the count of examples
    executed and the time spent."""
    examples, seconds = _budget()
    count = 0

    def once(case: Any) -> None:
        nonlocal count
        count += 1
        target.check(case)

    seeds = random.Random()
    cpu, wall = time.process_time(), time.monotonic()
    done = 0
    while True:
        n = TIMED_BATCH if examples is None else min(BATCH, examples - done)
        if n <= 0:
            break
        batch = settings(
            max_examples=n,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(given(target.strategy)(once))
        seed(seeds.getrandbits(64))(batch)()
        done += n
        if seconds is not None and time.monotonic() - wall >= seconds:
            break
    return {
        "examples": count,
        "cpu": time.process_time() - cpu,
        "wall": time.monotonic() - wall,
    }


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz(name: str) -> None:
    _compiled_or_skip()
    stats = {"target": name, **fuzz(TARGETS[name])}
    path = os.environ.get("FASTSTREAM_FUZZ_STATS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(stats) + "\n")
    assert stats["examples"] > 0
