"""nginx as the benchmark server: static files from bench/.data, configured from a temp dir.

Why nginx: at small-request rates (tens of thousands per second over loopback) the Python
server of bench/_server.py saturates its core before the fastest clients do. nginx runs one
worker on 127.0.0.1 with keep-alive (no request limit), sendfile for the fixed-length bodies
and no access log. Targets (the same bytes for every client):

* ``/small`` -- a 1 KiB 200 response (``return 200``; no file read);
* ``/identity`` -- ``size`` bytes with Content-Length (sendfile);
* ``/chunked`` -- the same bytes with ``Transfer-Encoding: chunked``: the file goes through
  the SSI filter (no directives in it), which drops the length, so nginx frames each output
  buffer as a chunk; ``sendfile off`` and ``output_buffers 16 <chunk>`` make each buffer
  ``chunk`` bytes (checked on the wire: 16 KiB chunks) and keep 16 of them in flight (one
  buffer capped every client near 350 MB/s: nginx waited for each write before the next
  read; 8 to 32 buffers ran 2-3x faster here); the clients must agree on the decoded bytes.
  The filter costs nginx a copy per buffer: it saturated its core near 1.1 GB/s for every
  client, so bench/peers.py serves its chunked and identity rows from bench/_server.py
  (pre-framed, ``os.sendfile``) instead;
* ``/jsonl`` -- the JSONL corpus of bench/_data.py with Content-Length;
* ``/gzip``, ``/br``, ``/zstd`` -- that corpus pre-compressed (gzip level 6, brotli quality 5,
  zstd level 3) and sent with ``Content-Encoding`` set whatever the request's Accept-Encoding
  says, so every client decodes the same compressed bytes.

``serve()`` yields a ``Server`` with ``base_url`` and ``cpu_times()`` (the worker's user and
system CPU seconds from /proc), the interface of bench/_server.py's.

With ``http2=True`` the same worker also listens on a second port for h2c with prior knowledge
(nginx before 1.25 cannot offer HTTP/1.1 and h2c on one plain port): ``Server.h2_base_url``,
the same locations, up to 1024 concurrent streams per connection (so 256 requests in flight
share one), DATA frames of ``http2_chunk`` bytes at most (nginx's ``http2_chunk_size``; it
ignores the client's larger SETTINGS_MAX_FRAME_SIZE and picks its own). That port has sendfile
and ``tcp_nopush`` off: with them, each small h2 response waited ~45 ms (22 requests/s, one
in flight, for every client), and the large body was no slower without them.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _data

SMALL_BODY = b"x" * 1023 + b"\n"


def available() -> str | None:
    """The nginx binary, or None."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def identity_file(size: int) -> Path:
    """A `size`-byte file of a repeated 1 MiB pseudo-random block, cached in bench/.data."""
    path = _data.DATA_DIR / f"identity-{size}.bin"
    if path.exists() and path.stat().st_size == size:
        return path
    _data.DATA_DIR.mkdir(parents=True, exist_ok=True)
    block = bytes((i * 7919 + (i >> 8) * 31) & 0xFF for i in range(1 << 20))
    with path.open("wb") as f:
        left = size
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    return path


def brotli_file(size_mb: int) -> Path:
    """The JSONL corpus of `size_mb` MiB compressed with brotli (quality 5), cached."""
    path = _data.DATA_DIR / f"jsonl-{size_mb}mb.jsonl.br"
    if not path.exists():
        try:
            import brotli
        except ImportError:
            import brotlicffi as brotli
        path.write_bytes(brotli.compress(_data.jsonl(size_mb), quality=5))
    return path


def zstd_module() -> Any:
    """The zstd library faststream prefers (the stdlib's on 3.14+, its backport, zstandard)."""
    for name in ("compression.zstd", "backports.zstd", "zstandard"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise RuntimeError("no zstd library: pip install faststream-http[zstd]")


def zstd_file(size_mb: int) -> Path:
    """The JSONL corpus of `size_mb` MiB compressed with zstd (level 3, one frame), cached."""
    path = _data.DATA_DIR / f"jsonl-{size_mb}mb.jsonl.zst"
    if not path.exists():
        path.write_bytes(zstd_module().compress(_data.jsonl(size_mb), 3))
    return path


def gzip_file(size_mb: int) -> Path:
    _data.gzipped(size_mb)
    return _data.DATA_DIR / f"jsonl-{size_mb}mb.jsonl.gz"


def jsonl_file(size_mb: int) -> Path:
    _data.jsonl(size_mb)
    return _data.DATA_DIR / f"jsonl-{size_mb}mb.jsonl"


@dataclass
class Server:
    base_url: str
    pid: int  # the worker's
    h2_base_url: str | None = None  # h2c (prior knowledge), when served with http2=True

    def cpu_times(self) -> tuple[float, float] | None:
        """(user, system) CPU seconds used so far by the nginx worker (Linux /proc)."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick  # utime, stime


def run_queue_wait(pid: int) -> float | None:
    """Seconds the threads of `pid` have spent runnable but waiting for a core (Linux
    /proc/<pid>/task/*/schedstat, second field, ns): on oversubscribed cores a server can pace
    its clients while its CPU share stays well under one core."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return None
    total = 0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # a thread that ended meanwhile
    return total / 1e9


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _config(
    tmp: Path, port: int, files: dict[str, Path], chunk: int, h2_port: int | None, h2_chunk: int
) -> str:
    user = "user root root;" if os.geteuid() == 0 else ""
    small = SMALL_BODY.decode()
    locations = [f'location = /small {{ default_type text/plain; return 200 "{small}"; }}']
    for name, path in files.items():
        extra = ""
        if name == "chunked":
            extra = f"ssi on; ssi_types *; sendfile off; output_buffers 16 {chunk};"
        elif name in ("gzip", "br", "zstd"):
            extra = f"add_header Content-Encoding {name};"
        locations.append(f"location = /{name} {{ alias {path}; {extra} }}")
    body = "\n    ".join(locations)
    h2 = ""
    if h2_port is not None:
        h2 = f"""
  server {{
    listen 127.0.0.1:{h2_port} http2 backlog=4096;
    sendfile off;
    tcp_nopush off;
    http2_max_concurrent_streams 1024;
    http2_chunk_size {h2_chunk};
    {body}
  }}"""
    return f"""{user}
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log error;
events {{ worker_connections 4096; multi_accept on; }}
http {{
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 100000000;
  keepalive_timeout 600s;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    {body}
  }}{h2}
}}
"""


def _worker_pid(master: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise RuntimeError("nginx started no worker")


@contextmanager
def serve(
    files: dict[str, Path],
    chunk: int = 16 * 1024,
    http2: bool = False,
    http2_chunk: int = 8 * 1024,
) -> Iterator[Server]:
    """Run nginx serving `files` (target name -> path) on a free loopback port (and h2c on
    a second one with `http2`)."""
    binary = available()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    with tempfile.TemporaryDirectory(prefix="faststream-bench-nginx-") as tmp_name:
        tmp = Path(tmp_name)
        port = _free_port()
        h2_port = _free_port() if http2 else None
        conf = tmp / "nginx.conf"
        conf.write_text(_config(tmp, port, files, chunk, h2_port, http2_chunk))
        proc = subprocess.Popen(
            [binary, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(conf)],
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 10.0
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        err = proc.stderr.read().decode() if proc.stderr else ""
                        raise RuntimeError(f"nginx did not start: {err}") from None
                    time.sleep(0.05)
            h2_url = f"http://127.0.0.1:{h2_port}" if h2_port is not None else None
            yield Server(f"http://127.0.0.1:{port}", _worker_pid(proc.pid), h2_url)
        finally:
            proc.send_signal(signal.SIGQUIT)  # graceful stop
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
