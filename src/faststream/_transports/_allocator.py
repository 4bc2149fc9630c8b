"""One allocation made and freed at import, so large body reads do not churn page mappings.

The backends receive a large body in pieces of up to `MAX_BUFFER` bytes, each a fresh bytes
object (or a copy out of a reused buffer). glibc's malloc serves a block at or above its mmap
threshold (128 KiB at start) with a fresh mapping of its own, and raises the threshold to the
size of each such block freed. A socket read asks for `MAX_BUFFER` bytes and usually gets
fewer, and the bytes object is shrunk to what came: the freed blocks stay smaller than the
next request, so read after read gets a new mapping, zero-filled page by page by the kernel --
tens of thousands of page faults in a process's first large response (the ones after it are
served from the heap once a full-size block happened to be freed). Freeing one block of twice
`MAX_BUFFER` at the start sets the threshold above every piece (and the heap's trim threshold
to twice that), so every response, the first included, reads from reused heap memory.

Other allocators ignore it; the cost is one untouched allocation per process.
"""

from __future__ import annotations

from ._http11_exchange import MAX_BUFFER


def raise_mmap_threshold() -> None:
    block = bytes(2 * MAX_BUFFER)  # calloc'd: fresh mappings are zero, no page is touched
    del block
