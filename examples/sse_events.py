"""Server-sent events, parsed by the standard's rules, with reconnection.

The hand-written version keeps the lines that start with ``data: `` and nothing else: it loses
multi-line ``data``, the event name, ``id`` and ``retry``, takes ``data:x`` (no space) for no
data, and stops for good when the connection drops.

``connect_sse`` (the shape httpx-sse users know) parses one response into `ServerSentEvent`s;
``Client.iter_events`` is a browser's EventSource: when the stream ends or the connection
breaks it waits (the server's ``retry``), reconnects with ``Last-Event-ID`` and goes on, and it
stops on 204 No Content.

    python examples/sse_events.py http://127.0.0.1:8000/events            # one response
    python examples/sse_events.py http://127.0.0.1:8000/events --follow 5  # reconnecting
"""

from __future__ import annotations

import argparse
import itertools
import sys

import faststream


def show(event: faststream.ServerSentEvent) -> None:
    print(f"Event {event.event!r} id={event.id!r}: {event.data!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument(
        "--follow", type=int, metavar="N", help="reconnect as needed until N events arrived"
    )
    parser.add_argument("--retry", type=float, default=3.0, help="seconds before a reconnection")
    args = parser.parse_args(argv)
    with faststream.Client(timeout=faststream.Timeout(10.0)) as client:
        if args.follow is None:
            with faststream.connect_sse(client, "GET", args.url) as source:
                for event in source.iter_sse():
                    show(event)
        else:
            events = client.iter_events(args.url, retry=args.retry, max_reconnects=5)
            for event in itertools.islice(events, args.follow):
                show(event)
    return 0


if __name__ == "__main__":
    sys.exit(main())
