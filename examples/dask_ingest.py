"""Sharded JSON-lines ingestion on a Dask cluster, each shard streamed with faststream.

Three ways to cut the work into tasks, one function each to run them on a
``dask.distributed`` cluster:

``ingest_urls(dask_client, urls, out_dir)``
    Many resources, one task per URL. Each task streams its shard with
    ``Client.stream`` + ``Response.iter_json`` and writes the records to its own file.

``ingest_ranges(dask_client, url, out_dir, shards=n)``
    One large JSON-lines resource split by byte ranges. A HEAD request gives the size;
    shard ``k`` owns exactly the lines that *start* inside its range ``[start, end)``: it
    skips the partial line at its start (the shard before owns it) and reads past its end,
    with further ``Range`` requests if needed, to finish its last line. Every line is
    owned by exactly one shard, wherever the boundaries fall.

``download_files(dask_client, urls, out_dir)``
    Plain file downloads, one task per URL, with ``faststream.download`` (resumable,
    written to ``<name>.part`` and renamed when complete).

Exactly once, even when a worker dies: every task writes its output to a temporary file
in the output directory and renames it over the final name only when the whole shard
was read (``os.replace`` is atomic). A task that fails, or whose worker is killed, leaves
no final file; Dask runs it again (``retries=`` for exceptions; a task whose worker died
is rescheduled by the scheduler on its own) and the new attempt writes the whole shard.
A final file therefore never holds half a shard, and a retried shard never holds its
records twice. Temporary files left by killed attempts are removed once every task is
done.

Run it against any server that serves JSON lines (the default starts none)::

    python examples/dask_ingest.py out/ https://example.org/part-0.jsonl https://example.org/part-1.jsonl
    python examples/dask_ingest.py out/ --ranges 8 https://example.org/big.jsonl

Dask is needed only here (``pip install "dask[distributed]"``); faststream does not
depend on it.
"""

# dask's Client and LocalCluster carry no annotations; calling them is fine here.
# mypy: allow-untyped-calls

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dask.distributed import Client as DaskClient, LocalCluster

import faststream

#: How far past its end a byte-range shard fetches at first to finish its last line;
#: a longer line costs one more request per extra window, never a wrong result.
READ_PAST = 1 << 20


@dataclass(frozen=True)
class ShardSummary:
    """What one task did: where its records went and how many it wrote."""

    source: str
    output: str
    records: int
    worker_pid: int


# --- writing a shard atomically ---------------------------------------------------------


def write_records(output: Path, records: Iterable[Any]) -> int:
    """Write ``records`` as JSON lines to ``output``, all of them or none.

    The lines go to a temporary file next to ``output`` (same directory, so the rename
    cannot cross file systems), are flushed to disk, and the file is renamed over
    ``output``. If anything fails before the rename, ``output`` is untouched.
    """
    fd, tmp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False))
                out.write("\n")
                count += 1
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, output)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return count


def remove_stale_temporaries(out_dir: Path, prefix: str) -> None:
    """Remove the temporary files of ``prefix*`` outputs that killed attempts left behind.

    Call it once every task has ended: then no attempt still writes to one of them.
    """
    for leftover in out_dir.glob(f".{prefix}*.tmp"):
        leftover.unlink(missing_ok=True)


# --- (a) one task per URL ---------------------------------------------------------------


def ingest_url(url: str, output: str, timeout: float = 30.0) -> ShardSummary:
    """One task: stream the JSON lines at ``url`` into the file ``output``."""
    with faststream.Client(timeout=timeout) as client:
        with client.stream("GET", url) as response:
            response.raise_for_status()
            count = write_records(Path(output), response.iter_json())
    return ShardSummary(url, output, count, os.getpid())


def ingest_urls(
    dask_client: DaskClient,
    urls: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    retries: int = 3,
    timeout: float = 30.0,
) -> list[ShardSummary]:
    """Ingest every URL on the cluster into ``out_dir/shard-NNNNN.jsonl`` (in URL order)."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    outputs = [str(directory / f"shard-{index:05d}.jsonl") for index in range(len(urls))]
    # pure=False: two equal URLs are still two tasks; retries= reruns a task that raised.
    futures = dask_client.map(
        ingest_url, urls, outputs, timeout=timeout, retries=retries, pure=False
    )
    summaries: list[ShardSummary] = dask_client.gather(futures)
    remove_stale_temporaries(directory, "shard-")
    return summaries


# --- (b) one resource split by byte ranges ----------------------------------------------


def plan_ranges(url: str, shards: int, timeout: float = 30.0) -> list[tuple[int, int]]:
    """Split the resource at ``url`` into ``shards`` byte ranges ``[start, end)``.

    Asks the size with HEAD; the server must serve byte ranges (``Accept-Ranges: bytes``)
    and send the stored bytes (no content coding, so offsets address them).
    """
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    response = faststream.head(url, headers={"Accept-Encoding": "identity"}, timeout=timeout)
    response.raise_for_status()
    if response.headers.get("Accept-Ranges", "").lower() != "bytes":
        raise RuntimeError(f"{url} does not serve byte ranges")
    size = int(response.headers["Content-Length"])
    bounds = [size * k // shards for k in range(shards + 1)]
    return [(bounds[k], bounds[k + 1]) for k in range(shards) if bounds[k] < bounds[k + 1]]


def _fetch(
    client: faststream.Client, url: str, first: int, last: int, size: int
) -> Generator[bytes, None, None]:
    """The bytes ``first..last`` (inclusive) of ``url``, checked to be exactly those.

    The total in ``Content-Range`` must still be ``size``: a resource that changed since
    the plan was made would give shards that no longer fit together.
    """
    headers = {"Range": f"bytes={first}-{last}", "Accept-Encoding": "identity"}
    with client.stream("GET", url, headers=headers) as response:
        response.raise_for_status()
        content_range = response.headers.get("Content-Range", "")
        if response.status_code != 206 or content_range != f"bytes {first}-{last}/{size}":
            raise RuntimeError(f"{url}: asked bytes {first}-{last}/{size}, got {content_range!r}")
        # Offsets address the stored bytes only when they arrive as stored.
        if response.headers.get("Content-Encoding", "identity").lower() != "identity":
            raise RuntimeError(f"{url}: byte ranges of an encoded representation")
        yield from response.iter_raw()


def owned_lines(
    client: faststream.Client, url: str, start: int, end: int, size: int, read_past: int
) -> Iterator[bytes]:
    """The lines (without their ``\\n``) of ``url`` that start at an offset in ``[start, end)``.

    A line starts at offset 0 or right after a ``\\n``. Reading from ``start - 1`` tells
    the two cases at ``start`` apart: the bytes up to and including the first ``\\n``
    are skipped, which is nothing but that ``\\n`` when a line starts exactly at
    ``start``, and the tail of the previous shard's last line otherwise.
    """
    pending = bytearray()
    line_offset = max(start - 1, 0)  # the file offset of pending[0]
    skipping = start > 0
    searched = 0  # pending[:searched] holds no newline
    first = line_offset
    last = min(end - 1 + read_past, size - 1)
    while first <= last:
        # closing(): returning early must close the response, not wait for the collector.
        with contextlib.closing(_fetch(client, url, first, last, size)) as chunks:
            for chunk in chunks:
                pending += chunk
                while (newline := pending.find(b"\n", searched)) >= 0:
                    line = bytes(pending[:newline])
                    del pending[: newline + 1]
                    searched = 0
                    if skipping:
                        skipping = False
                    else:
                        yield line
                    line_offset += newline + 1
                    if line_offset >= end:
                        return  # the next line starts in the next shard
                searched = len(pending)
        first, last = last + 1, min(last + read_past, size - 1)
    if pending and not skipping:
        yield bytes(pending)  # the resource's last line, without a final newline


def ingest_range(
    url: str,
    start: int,
    end: int,
    size: int,
    output: str,
    timeout: float = 30.0,
    read_past: int = READ_PAST,
) -> ShardSummary:
    """One task: parse the lines of ``url`` that start in ``[start, end)`` into ``output``."""
    with faststream.Client(timeout=timeout) as client:
        lines = owned_lines(client, url, start, end, size, read_past)
        records = (json.loads(line) for line in lines if line.strip())
        count = write_records(Path(output), records)
    return ShardSummary(f"{url} bytes {start}-{end - 1}", output, count, os.getpid())


def ingest_ranges(
    dask_client: DaskClient,
    url: str,
    out_dir: str | os.PathLike[str],
    *,
    shards: int,
    retries: int = 3,
    timeout: float = 30.0,
    read_past: int = READ_PAST,
) -> list[ShardSummary]:
    """Ingest one large resource as ``shards`` byte ranges into ``out_dir/range-NNNNN.jsonl``."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    ranges = plan_ranges(url, shards, timeout)
    size = ranges[-1][1] if ranges else 0
    futures = [
        dask_client.submit(
            ingest_range,
            url,
            start,
            end,
            size,
            str(directory / f"range-{index:05d}.jsonl"),
            timeout=timeout,
            read_past=read_past,
            retries=retries,
            pure=False,
        )
        for index, (start, end) in enumerate(ranges)
    ]
    summaries: list[ShardSummary] = dask_client.gather(futures)
    remove_stale_temporaries(directory, "range-")
    return summaries


# --- (c) file downloads -----------------------------------------------------------------


def download_file(url: str, out_dir: str, timeout: float = 30.0) -> ShardSummary:
    """One task: download ``url`` into ``out_dir`` (the name from the server or the URL)."""
    result = faststream.download(url, out_dir, timeout=timeout)
    return ShardSummary(url, str(result.path), result.size, os.getpid())


def download_files(
    dask_client: DaskClient,
    urls: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    retries: int = 3,
    timeout: float = 30.0,
) -> list[ShardSummary]:
    """Download every URL on the cluster into ``out_dir``; ``records`` holds each size."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    futures = dask_client.map(
        download_file, urls, out_dir=str(directory), timeout=timeout, retries=retries, pure=False
    )
    summaries: list[ShardSummary] = dask_client.gather(futures)
    return summaries


# --- command line -----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("out_dir")
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--ranges", type=int, metavar="N", help="split one URL into N ranges")
    parser.add_argument("--download", action="store_true", help="download files instead")
    parser.add_argument("--scheduler", help="address of a running scheduler (default: local)")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    args = parser.parse_args(argv)

    if args.scheduler:
        dask_client = DaskClient(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True)
        dask_client = DaskClient(cluster)
    with dask_client:
        if args.ranges:
            if len(args.urls) != 1:
                parser.error("--ranges splits exactly one URL")
            summaries = ingest_ranges(dask_client, args.urls[0], args.out_dir, shards=args.ranges)
        elif args.download:
            summaries = download_files(dask_client, args.urls, args.out_dir)
        else:
            summaries = ingest_urls(dask_client, args.urls, args.out_dir)
    for summary in summaries:
        print(f"{summary.records:>10}  {summary.output}  <- {summary.source}")


if __name__ == "__main__":
    main()
