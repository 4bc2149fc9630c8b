"""Where gzip and brotli lose time between the socket and the decoder.

Usage: ``python bench/decoder_socket.py [--coding gzip|br] [--jsonl-mb 200] [--rounds 5]
[--buffer-kb 512] [--cases a,b,...] [--once CASE]``.

nginx (bench/_nginx.py) serves the pre-compressed JSONL of bench/peers.py (the same files);
one process runs every case, round-robin over ``--rounds``, and prints the medians of the
client's CPU seconds per GiB of decoded output (``time.process_time``: user + system, which
a loaded machine inflates far less than wall time), then the seconds per GiB it waited
runnable for a core (``queued``: other processes' load) and neither ran nor queued
(``idle``: blocked on the socket), wall MB/s, minor page faults and context switches per GiB.
``main`` and ``worker`` split the CPU seconds per GiB between the main thread and the others
(the decoding worker; schedstat): on a quiet machine with a core for each, the wall time of
``client`` is bounded below by the larger of the two, not by their sum. Cases:

* ``sock-only`` -- ``recv_into`` one reused buffer of ``--buffer-kb``, no decoding (rates and
  CPU per GiB of the decoded size, to compare);
* ``sock-all`` -- the whole body received first (into one buffer), then decoded as
  ``mem-bare`` does: the two costs without interleaving them;
* ``sock-bare`` -- a raw socket: ``recv_into`` one reused buffer of ``--buffer-kb``, each
  read handed to the bare decoder (``isal_zlib.decompressobj(31).decompress`` /
  ``brotli.Decompressor().process``) as a memoryview; it records the read sizes;
* ``sock-fresh`` -- ``sock-bare`` with each read a fresh bytes object (``recv``), the way
  the transport reads a Content-Length body;
* ``mem-bare`` -- the bare decoder over the compressed file held in memory, cut into the read
  sizes ``sock-bare`` recorded (its first round runs before the others to record them);
* ``mem-bare16`` -- the same in 16 KiB pieces (the in-memory limit bench/peers.py prints);
* ``mem-ours`` -- our content decoder (``_cstream.make_decoder``, the client's ``max_length``)
  over the recorded read sizes, each a bytes object;
* ``sock-ours`` -- ``recv`` into a fresh bytes object per read (what the transport does for a
  Content-Length body), each handed to our content decoder;
* ``client`` -- ``faststream.Client.stream`` + ``iter_bytes()`` (the peers row): past its
  first MiB a gzip body is inflated on a worker thread while this one receives;
* ``client-serial`` -- ``client`` with that worker disabled (``_overlap.ENABLED``): receiving
  and inflating alternate on one thread;
* ``pycurl`` -- libcurl decoding (``ACCEPT_ENCODING ""``, ``BUFFERSIZE`` ``--buffer-kb``), a
  write callback counting bytes (bench/peers.py's pycurl row).

``--once CASE [--repeat N]`` runs one case N times after one warm-up run, for ``perf stat``
and ``valgrind --tool=callgrind``: the instructions of one body are the difference between
``--repeat 3`` and ``--repeat 1``, halved (start-up, imports and input preparation cancel).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import _nginx  # noqa: E402

CASES = (
    "sock-only",
    "sock-all",
    "sock-bare",
    "sock-fresh",
    "mem-bare",
    "mem-bare16",
    "mem-ours",
    "sock-ours",
    "client",
    "client-serial",
    "pycurl",
)
GIB = 2**30
_BODY = bytearray()  # sock-all's receive buffer, kept across rounds


def _bare(coding: str) -> Callable[[Any], bytes]:
    if coding == "gzip":
        from isal import isal_zlib

        return isal_zlib.decompressobj(31).decompress
    import brotli

    return brotli.Decompressor().process  # type: ignore[no-any-return]


def _ours(coding: str) -> Callable[[bytes], Iterator[bytes]]:
    import _cstream
    from faststream._decoders import DECODE_STEP

    return _cstream.make_decoder(coding, DECODE_STEP).decode


def _open(base_url: str, path: str) -> tuple[socket.socket, int, bytes]:
    """GET `path`: the socket, the Content-Length and the body bytes read with the head."""
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip, br\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        got = sock.recv(65536)
        if not got:
            raise ConnectionError("no response head")
        head += got
    head, _, rest = head.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return sock, length, rest


def sock_bare(url: tuple[str, str], coding: str, buf_size: int, sizes: list[int]) -> int:
    step = _bare(coding)
    sock, left, rest = _open(*url)
    total = len(step(rest))
    left -= len(rest)
    buf = bytearray(buf_size)
    view = memoryview(buf)
    sizes.clear()
    while left > 0:
        got = sock.recv_into(view, min(left, buf_size))
        if not got:
            raise ConnectionError("short body")
        sizes.append(got)
        left -= got
        total += len(step(view[:got]))
    sock.close()
    return total


def sock_fresh(url: tuple[str, str], coding: str, buf_size: int) -> int:
    """`sock-bare` with each read a fresh bytes object (``recv``), as the transport reads a
    Content-Length body, handed to the bare decoder."""
    step = _bare(coding)
    sock, left, rest = _open(*url)
    total = len(step(rest))
    left -= len(rest)
    while left > 0:
        got = sock.recv(min(left, buf_size))
        if not got:
            raise ConnectionError("short body")
        left -= len(got)
        total += len(step(got))
    sock.close()
    return total


def sock_only(url: tuple[str, str], buf_size: int, out: int) -> int:
    """Receive the body without decoding it; returns `out` (the decoded size) so the rate and
    CPU per GiB compare with the decoding cases."""
    sock, left, rest = _open(*url)
    left -= len(rest)
    view = memoryview(bytearray(buf_size))
    while left > 0:
        got = sock.recv_into(view, min(left, buf_size))
        if not got:
            raise ConnectionError("short body")
        left -= got
    sock.close()
    return out


def sock_all(url: tuple[str, str], coding: str, buf_size: int, sizes: list[int]) -> int:
    """Receive the whole body into memory first, then decode it like `mem-bare`: the sum of
    the two costs without interleaving them."""
    sock, left, rest = _open(*url)
    if len(_BODY) < left:
        _BODY.extend(bytes(left - len(_BODY)))  # once, outside later rounds: no fresh pages
    view = memoryview(_BODY)[:left]
    pos = len(rest)
    view[:pos] = rest
    while pos < left:
        got = sock.recv_into(view[pos:], min(left - pos, buf_size))
        if not got:
            raise ConnectionError("short body")
        pos += got
    sock.close()
    return mem_bare(cut(view, sizes, False), coding)  # type: ignore[arg-type]


def sock_ours(url: tuple[str, str], coding: str, buf_size: int) -> int:
    decode = _ours(coding)
    sock, left, rest = _open(*url)
    total = sum(map(len, decode(rest)))
    left -= len(rest)
    while left > 0:
        got = sock.recv(min(left, buf_size))
        if not got:
            raise ConnectionError("short body")
        left -= len(got)
        for piece in decode(got):
            total += len(piece)
    sock.close()
    return total


def cut(data: bytes, sizes: list[int], as_bytes: bool) -> list[Any]:
    """`data` in pieces of `sizes` (then the rest): bytes objects, or views of `data`."""
    view = memoryview(data)
    pieces: list[Any] = []
    pos = 0
    for n in sizes:
        pieces.append(bytes(view[pos : pos + n]) if as_bytes else view[pos : pos + n])
        pos += n
    if pos < len(data):
        pieces.append(bytes(view[pos:]) if as_bytes else view[pos:])
    return pieces


def mem_bare(pieces: list[Any], coding: str) -> int:
    step = _bare(coding)
    total = 0
    for piece in pieces:
        total += len(step(piece))
    return total


def mem_ours(pieces: list[bytes], coding: str) -> int:
    decode = _ours(coding)
    total = 0
    for piece in pieces:
        for out in decode(piece):
            total += len(out)
    return total


def client(base_url: str, path: str) -> int:
    import faststream

    total = 0
    with faststream.Client() as c, c.stream("GET", base_url + path) as response:
        for chunk in response.iter_bytes():
            total += len(chunk)
    return total


def client_serial(base_url: str, path: str) -> int:
    from faststream import _overlap

    enabled, _overlap.ENABLED = _overlap.ENABLED, False
    try:
        return client(base_url, path)
    finally:
        _overlap.ENABLED = enabled


def pycurl_get(base_url: str, path: str, buf_size: int) -> int:
    import pycurl

    total = 0

    def count(data: bytes) -> None:
        nonlocal total
        total += len(data)

    curl = pycurl.Curl()
    curl.setopt(pycurl.URL, base_url + path)
    curl.setopt(pycurl.BUFFERSIZE, buf_size)
    curl.setopt(pycurl.ACCEPT_ENCODING, "")
    curl.setopt(pycurl.WRITEFUNCTION, count)
    curl.perform()
    curl.close()
    return total


def _run_queue_wait() -> float:
    """Seconds this thread has waited runnable for a core (Linux schedstat; 0 elsewhere)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _thread_cpu() -> dict[int, float]:
    """CPU seconds of each thread of this process (Linux schedstat; empty elsewhere)."""
    times = {}
    with contextlib.suppress(OSError):
        for task in Path("/proc/self/task").iterdir():
            with contextlib.suppress(OSError, IndexError, ValueError):
                times[int(task.name)] = int((task / "schedstat").read_text().split()[0]) / 1e9
    return times


def _measure(run: Callable[[], int]) -> dict[str, float]:
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    q0 = _run_queue_wait()
    m0 = _thread_cpu()
    t0, c0 = time.perf_counter(), time.process_time()
    out = run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    m1 = _thread_cpu()
    queued = _run_queue_wait() - q0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    per = GIB / out
    main = threading.get_native_id()
    others = sum(t - m0.get(tid, 0.0) for tid, t in m1.items() if tid != main)
    return {
        "main_gib": (m1.get(main, 0.0) - m0.get(main, 0.0)) * per,
        "others_gib": others * per,
        "queued_gib": queued * per,
        "idle_gib": max(0.0, wall - cpu - queued) * per,
        "out": out,
        "cpu_gib": cpu * per,
        "user_gib": (r1.ru_utime - r0.ru_utime) * per,
        "sys_gib": (r1.ru_stime - r0.ru_stime) * per,
        "mbs": out / wall / 1e6,
        "faults_gib": (r1.ru_minflt - r0.ru_minflt) * per,
        "csw_gib": (r1.ru_nvcsw + r1.ru_nivcsw - r0.ru_nvcsw - r0.ru_nivcsw) * per,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--coding", choices=("gzip", "br"), default="gzip")
    parser.add_argument("--jsonl-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--buffer-kb", type=int, default=512)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--once", choices=CASES)
    parser.add_argument("--repeat", type=int, default=1, help="with --once: run it this often")
    args = parser.parse_args(argv)
    path = "/" + args.coding
    file = (
        _nginx.gzip_file(args.jsonl_mb)
        if args.coding == "gzip"
        else _nginx.brotli_file(args.jsonl_mb)
    )
    data = file.read_bytes()
    buf_size = args.buffer_kb * 1024
    if os.environ.get("FASTSTREAM_NO_EXTENSIONS"):
        print("note: FASTSTREAM_NO_EXTENSIONS is set: our decoder is the pure twin")
    import faststream  # noqa: F401  (imports, and the allocator priming, outside the timing)

    _bare(args.coding)
    with _nginx.serve({args.coding: file}) as server:
        url = (server.base_url, path)
        sizes: list[int] = []
        out = sock_bare(url, args.coding, buf_size, sizes)  # warm-up; records the read sizes
        sixteen = [16384] * (len(data) // 16384)
        views, pieces = cut(data, sizes, False), cut(data, sizes, True)
        runs: dict[str, Callable[[], int]] = {
            "sock-only": lambda: sock_only(url, buf_size, out),
            "sock-fresh": lambda: sock_fresh(url, args.coding, buf_size),
            "sock-all": lambda: sock_all(url, args.coding, buf_size, sizes),
            "sock-bare": lambda: sock_bare(url, args.coding, buf_size, []),
            "mem-bare": lambda: mem_bare(views, args.coding),
            "mem-bare16": lambda: mem_bare(cut(data, sixteen, False), args.coding),
            "mem-ours": lambda: mem_ours(pieces, args.coding),
            "sock-ours": lambda: sock_ours(url, args.coding, buf_size),
            "client": lambda: client(*url),
            "client-serial": lambda: client_serial(*url),
            "pycurl": lambda: pycurl_get(*url, buf_size),
        }
        if args.once:
            runs[args.once]()  # the warm-up the round-robin runs get from earlier rounds
            for _ in range(args.repeat):
                print(args.once, runs[args.once]())
            return 0
        cases = [c for c in args.cases.split(",") if c]
        reads = statistics.median(sizes) / 1024 if sizes else 0.0
        print(
            f"{args.coding}: {len(data) / 1e6:.1f} MB compressed, {len(sizes)} reads "
            f"(median {reads:.1f} KiB) into a {args.buffer_kb} KiB buffer; "
            f"{args.rounds} rounds, medians"
        )
        results: dict[str, list[dict[str, float]]] = {c: [] for c in cases}
        for _ in range(args.rounds):
            for case in cases:
                results[case].append(_measure(runs[case]))
        outs = {results[c][0]["out"] for c in cases}
        if len(outs) != 1:
            raise SystemExit(f"cases disagree on the decoded size: {outs}")
        print(
            f"{'case':<13} {'CPU s/GiB':>10} {'main':>6} {'worker':>6} {'user':>7} {'sys':>7} "
            f"{'queued':>7} {'idle':>7} {'MB/s':>8} {'faults/GiB':>11} {'csw/GiB':>9}"
        )
        for case in cases:
            med = {k: statistics.median(r[k] for r in results[case]) for k in results[case][0]}
            print(
                f"{case:<13} {med['cpu_gib']:>10.3f} {med['main_gib']:>6.3f} "
                f"{med['others_gib']:>6.3f} {med['user_gib']:>7.3f} "
                f"{med['sys_gib']:>7.3f} {med['queued_gib']:>7.3f} {med['idle_gib']:>7.3f} "
                f"{med['mbs']:>8.1f} {med['faults_gib']:>11.0f} "
                f"{med['csw_gib']:>9.0f}"
            )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
