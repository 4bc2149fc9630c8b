"""Core benchmark: in-memory throughput of each `_cstream` type vs its pure twin vs httpx.

Input: >= 256 MiB of realistic JSONL (~200-byte lines) and its gzip (~5:1), cut into pieces of
random sizes like a socket delivers them. Every case runs `--runs` times (round-robin, so drift
hits all cases alike); the table gives the median, and ratios against httpx and the pure twin
measured in the same run. Usage: ``python bench/core.py [--size-mb 256] [--runs 5] [--only ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import types
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cstream  # noqa: E402
import _data  # noqa: E402
from _cstream import _pure  # noqa: E402

_c: types.ModuleType | None
try:
    from _cstream import _c as _compiled

    _c = _compiled
except ImportError:  # pragma: no cover - a machine without the compiled core
    _c = None

hx: Any
try:
    import httpx._decoders as _httpx_decoders

    hx = _httpx_decoders
except ImportError:  # httpx is optional: without it the table has no httpx column
    hx = None

GROUPS = ("rechunk", "text", "lines", "gzip")


@dataclass
class Case:
    group: str
    name: str
    unit: str  # "MB/s" (decoded bytes) or "Mlines/s"
    run: Callable[[], int]
    expected: int
    times: list[float] = field(default_factory=list)

    def median_rate(self) -> float:
        scale = 1e6
        return self.expected / statistics.median(self.times) / scale


def _impls() -> list[tuple[str, types.ModuleType]]:
    out: list[tuple[str, types.ModuleType]] = []
    if _c is not None:
        out.append(("faststream C", _c))
    out.append(("faststream pure", _pure))
    return out


# --- rechunking: iter_bytes(chunk_size) / iter_raw(chunk_size) ----------------------------------


def _rechunk_cases(pieces: list[bytes], total: int) -> list[Case]:
    cases: list[Case] = []
    for size, label in ((1024, "1 KiB"), (8192, "8 KiB"), (65536, "64 KiB"), (1 << 20, "1 MiB")):
        group = f"rechunk {label}"

        def make(factory: Callable[[], Any]) -> Callable[[], int]:
            def run() -> int:
                chunker = factory()
                n = 0
                for piece in pieces:
                    for chunk in chunker.decode(piece):
                        n += len(chunk)
                for chunk in chunker.flush():
                    n += len(chunk)
                return n

            return run

        for name, mod in _impls():
            cases.append(Case(group, name, "MB/s", make(partial(mod.ByteChunker, size)), total))
        if hx is not None:
            cases.append(Case(group, "httpx", "MB/s", make(partial(hx.ByteChunker, size)), total))
    return cases


# --- text: iter_text() = TextDecoder then TextChunker ---------------------------------------------


def _text_cases(pieces: list[bytes], total: int) -> list[Case]:
    def make(decoder_f: Callable[[], Any], chunker_f: Callable[[], Any]) -> Callable[[], int]:
        def run() -> int:
            decoder, chunker = decoder_f(), chunker_f()
            n = 0
            for piece in pieces:
                for text in chunker.decode(decoder.decode(piece)):
                    n += len(text)
            for text in chunker.decode(decoder.flush()):
                n += len(text)
            for text in chunker.flush():
                n += len(text)
            return n

        return run

    cases: list[Case] = []
    for size, label in ((None, "chunk_size=None"), (8192, "8 Ki chars")):
        group = f"text {label}"
        for name, mod in _impls():
            run = make(partial(mod.TextDecoder, "utf-8"), partial(mod.TextChunker, size))
            cases.append(Case(group, name, "MB/s", run, total))
        if hx is not None:
            run = make(partial(hx.TextDecoder, "utf-8"), partial(hx.TextChunker, size))
            cases.append(Case(group, "httpx", "MB/s", run, total))
    return cases


# --- lines: iter_lines() --------------------------------------------------------------------------


def _lines_cases(pieces: list[bytes], n_lines: int) -> list[Case]:
    def via_bytes(mod: types.ModuleType) -> Callable[[], int]:
        def run() -> int:
            decoder = mod.ByteLineDecoder("utf-8")
            n = 0
            for piece in pieces:
                n += len(decoder.decode(piece))
            return n + len(decoder.flush())

        return run

    def via_text(text_f: Callable[[], Any], lines_f: Callable[[], Any]) -> Callable[[], int]:
        def run() -> int:
            text, lines = text_f(), lines_f()
            n = 0
            for piece in pieces:
                n += len(lines.decode(text.decode(piece)))
            n += len(lines.decode(text.flush()))
            return n + len(lines.flush())

        return run

    cases: list[Case] = []
    for name, mod in _impls():
        cases.append(Case("lines", f"{name} (bytes path)", "Mlines/s", via_bytes(mod), n_lines))
        run = via_text(partial(mod.TextDecoder, "utf-8"), mod.LineDecoder)
        cases.append(Case("lines", f"{name} (text path)", "Mlines/s", run, n_lines))
    if hx is not None:
        run = via_text(partial(hx.TextDecoder, "utf-8"), hx.LineDecoder)
        cases.append(Case("lines", "httpx", "Mlines/s", run, n_lines))
    return cases


# --- gzip: content decoding -----------------------------------------------------------------------


def _gzip_cases(gz_pieces: list[bytes], total: int) -> list[Case]:
    def via_decoder(factory: Callable[[], Any]) -> Callable[[], int]:
        def run() -> int:
            decoder = factory()
            n = 0
            for piece in gz_pieces:
                for out in decoder.decode(piece):
                    n += len(out)
            for out in decoder.flush():
                n += len(out)
            return n

        return run

    def httpx_decoder() -> int:
        decoder = hx.GZipDecoder()  # returns bytes per call, not an iterator
        n = 0
        for piece in gz_pieces:
            n += len(decoder.decode(piece))
        return n + len(decoder.flush())

    def bare_loop(decompressobj: Callable[[int], Any]) -> Callable[[], int]:
        def run() -> int:
            d = decompressobj(31)
            n = 0
            for piece in gz_pieces:
                n += len(d.decompress(piece))
            return n + len(d.flush())

        return run

    cases: list[Case] = []
    backends = _cstream.INFLATE_BACKENDS
    for name, mod in _impls():
        for backend in backends:
            run = via_decoder(partial(mod.GzipDecoder, 65536, backend=backend))
            cases.append(Case("gzip", f"{name} ({backend})", "MB/s", run, total))
    if hx is not None:
        cases.append(Case("gzip", "httpx", "MB/s", httpx_decoder, total))
    run = bare_loop(zlib.decompressobj)
    cases.append(Case("gzip", "bare zlib.decompressobj loop", "MB/s", run, total))
    if "isal" in backends:
        from isal import isal_zlib

        run = bare_loop(isal_zlib.decompressobj)
        cases.append(Case("gzip", "bare isal_zlib.decompressobj loop", "MB/s", run, total))
    return cases


# --- running and reporting ------------------------------------------------------------------------


def _measure(cases: list[Case], runs: int) -> None:
    for i in range(runs):
        print(f"run {i + 1}/{runs} ...", file=sys.stderr, flush=True)
        for case in cases:
            t0 = time.perf_counter()
            got = case.run()
            case.times.append(time.perf_counter() - t0)
            if got != case.expected:
                raise SystemExit(f"{case.group} / {case.name}: {got} produced, {case.expected} due")


def _report(cases: list[Case]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(case.group, []).append(case)
    for group, members in groups.items():
        httpx_rate = next((c.median_rate() for c in members if c.name == "httpx"), None)
        unit = members[0].unit
        print(f"\n{group}  ({unit}, median of {len(members[0].times)} runs)")
        for case in members:
            rate = case.median_rate()
            twin = _twin_rate(case, members)
            vs_httpx = f"{rate / httpx_rate:6.2f}x httpx" if httpx_rate else ""
            vs_twin = f"{rate / twin:6.2f}x pure" if twin else ""
            print(f"  {case.name:<40} {rate:10.2f}  {vs_httpx:>14}  {vs_twin:>12}")
            rows.append(
                {
                    "group": group,
                    "case": case.name,
                    "unit": unit,
                    "median": rate,
                    "vs_httpx": rate / httpx_rate if httpx_rate else None,
                    "vs_pure": rate / twin if twin else None,
                    "seconds": case.times,
                }
            )
    return rows


def _twin_rate(case: Case, members: list[Case]) -> float | None:
    """The pure twin's rate for a compiled case (same variant), else None."""
    if not case.name.startswith("faststream C"):
        return None
    twin_name = case.name.replace("faststream C", "faststream pure", 1)
    return next((c.median_rate() for c in members if c.name == twin_name), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256, help="JSONL input size (MiB)")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (median)")
    parser.add_argument("--only", default=",".join(GROUPS), help=f"subset of {GROUPS}")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args(argv)
    only = {g.strip() for g in args.only.split(",") if g.strip()}
    unknown = only - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups: {sorted(unknown)}")

    print(
        f"faststream core benchmark: _cstream.IMPLEMENTATION={_cstream.IMPLEMENTATION}, "
        f"compiled types {'loaded' if _c is not None else 'NOT BUILT'}, "
        f"httpx {'present' if hx is not None else 'absent'}, "
        f"inflate backends {_cstream.INFLATE_BACKENDS}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    raw = _data.jsonl(args.size_mb)
    pieces = _data.pieces(raw)
    n_lines = raw.count(b"\n")
    print(f"input: {len(raw) / 2**20:.0f} MiB JSONL, {n_lines} lines, {len(pieces)} pieces")

    cases: list[Case] = []
    if "rechunk" in only:
        cases += _rechunk_cases(pieces, len(raw))
    if "text" in only:
        cases += _text_cases(pieces, len(raw.decode("utf-8")))
    if "lines" in only:
        cases += _lines_cases(pieces, n_lines)
    if "gzip" in only:
        gz = _data.gzipped(args.size_mb)
        print(f"gzip: {len(gz) / 2**20:.1f} MiB compressed, ratio {len(raw) / len(gz):.1f}:1")
        cases += _gzip_cases(_data.pieces(gz, low=512, high=64 * 1024), len(raw))
    _measure(cases, args.runs)
    rows = _report(cases)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
