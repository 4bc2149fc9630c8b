"""JSON lines (JSONL, NDJSON): `Response.iter_json()` and `Response.aiter_json()`.

```
with client.stream("GET", "http://localhost/records.jsonl") as response:
    for record in response.iter_json():
        ...
```

Rules (every observable one is tested):

* Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (the compiled splitter `iter_lines` uses; U+2028 and
  U+0085 stay inside a line) and are numbered from 1, every line counted.
* One value per line. A line that is empty or holds only spaces and tabs holds no value and is
  passed over: JSON whitespace around a value is insignificant, so such a line is blank, not
  malformed (a trailing blank line from a pretty-printing server must not fail a stream).
* The text is UTF-8 whatever the charset parameter says (JSON text exchanged between systems
  is UTF-8), after the Content-Encoding is undone; one U+FEFF (a BOM) at the very start of
  the body is dropped. A line that is not valid UTF-8 is malformed.
* A malformed line raises `DecodingError` naming its line number, with the parser's error as
  the cause; the values of the lines before it are delivered first and the response is closed.
  With ``on_error="skip"`` it is passed over instead, and the iterator's `skipped` counts it.
* Values are what `json.loads` gives, whether or not orjson is installed. orjson parses when
  it is (several times faster); where it refuses what `json` accepts (NaN, Infinity, numbers
  that overflow a double, lone surrogate escapes) that line goes to `json`, and so does a line
  that may hold an integer of 19 digits or more, which orjson would turn into a float. Error
  messages are always `json`'s. ``FASTSTREAM_JSON=json`` in the environment (read at import)
  or `use_orjson(False)` makes `json` parse everything.

Memory is O(longest line): lines are parsed as they complete, one network piece at a time.
"""

from __future__ import annotations

import itertools
import json
import json.scanner
import operator
import os
import re
import typing
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterable, Iterator

import _cstream

from ._decoders import LinesBeforeTooLong, Stage, decoding_error, line_stage
from ._exceptions import DecodingError

if typing.TYPE_CHECKING:
    from ._response import Response

_orjson_module: typing.Any
try:
    import orjson as _orjson_module
except ImportError:  # pragma: no cover - orjson is in the test extra
    _orjson_module = None

__all__ = ["AsyncJSONLines", "JSONLines", "OnError", "aiter_json", "iter_json", "use_orjson"]

OnError = typing.Literal["raise", "skip"]

#: The orjson module while it is used, else None (see `use_orjson`).
_orjson: typing.Any = None


def use_orjson(enabled: bool) -> bool:
    """Parse with orjson (when it is installed) or with `json` alone, for iterators made from
    now on; returns whether orjson is now used. Values are the same either way."""
    global _orjson
    _orjson = _orjson_module if enabled else None
    return _orjson is not None


use_orjson(os.environ.get("FASTSTREAM_JSON", "") != "json")

# JSON whitespace that can remain in a line once the terminators are gone.
_BLANK = " \t"
# A UTF-8 BOM as the Latin-1 line splitter hands it over (one character per byte).
_BOM = "\xef\xbb\xbf"
# An integer part of 19 digits or more where a number may start: such an integer may not fit
# in 64 bits, and orjson returns a float for one that does not. Digits inside strings match
# too; those lines merely go to `json`.
_LONG_INTEGER = re.compile(r"(?:^|[\[,:\s])-?[0-9]{19}")
# The same test on raw bytes, cheaply: digits become "0", the characters that may come before
# a number's digits become " ", every other byte "x"; then search for " " and 19 "0"s.
_NUMBER_MAP = bytes(
    0x30 if 0x30 <= b <= 0x39 else 0x20 if b in b"[,: \t\r\n-" else 0x78 for b in range(256)
)
_LONG_MARK = b" " + b"0" * 19
_TAIL = len(_LONG_MARK)
# The most bytes parsed into one list of values.
_SLICE = 64 * 1024


# `json`'s own scanner (its C one where there is one): ``scan(text, 0)`` is ``(value, end)``
# for the value at the start of `text`, what `json.loads` parses once it has skipped leading
# whitespace; ``json.loads(text)`` is that value exactly when the text starts with no
# whitespace and ends at `end`. Called directly, it saves json.loads's three Python frames and
# two regular-expression matches per line, about half of the time spent on a short record.
_scan: typing.Callable[[str, int], tuple[typing.Any, int]] = json.scanner.make_scanner(
    typing.cast(typing.Any, json.JSONDecoder())  # the stub asks for a scanner, wrongly
)
_value = operator.itemgetter(0)
_end = operator.itemgetter(1)


def _as_utf8(lines: list[str]) -> list[str] | None:
    """The lines as text: the Latin-1 lines themselves when all are ASCII, else the whole
    batch decoded as UTF-8 at once (one decode, not one a line); None if it is not UTF-8."""
    if all(map(str.isascii, lines)):
        return lines
    try:
        # no line holds "\n" (the splitter ended lines there), so the join splits back
        return "\n".join(lines).encode("latin-1").decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None


def _scan_batch(lines: list[str]) -> list[typing.Any]:
    """The values of `lines`, or ValueError where one line's value would not be
    ``json.loads(line)``: it starts with whitespace, has text after its value, is blank or
    malformed. The caller then parses the lines one by one, and `json` reports the error."""
    # the scanner signals "no value here" with StopIteration, which ends `map` early: a short
    # result is such a line
    scanned = list(map(_scan, lines, itertools.repeat(0)))
    if len(scanned) != len(lines) or list(map(_end, scanned)) != list(map(len, lines)):
        raise ValueError("a line is not exactly one value")
    return list(map(_value, scanned))


class _Stop(_cstream.DecodeError):
    """Raised by the stage at a malformed line with no values before it in its batch (or when
    called again after one): it stops the body's loop at once, closing the response, rather
    than have it wait for the next piece. The iterator then raises the line's own error."""


class _JSONStage:
    """Decoded body pieces in, parsed values out (a `Stage`), counting lines and skips."""

    __slots__ = (
        "_capped",
        "_careful",
        "_decode",
        "_flush",
        "_orjson",
        "_skip",
        "_stop_inside",
        "_tail",
        "error",
        "error_line",
        "line",
        "produced",
        "skipped",
    )

    def __init__(self, skip: bool, stop_inside: bool, max_line_length: int | None = None) -> None:
        # Latin-1 hands over each line's bytes one character per byte, so an ASCII line is a
        # str the parser takes as it is and any other is re-encoded and decoded as UTF-8.
        # `max_line_length` bounds a line in bytes (a longer one: ResponseTooLarge). Under a
        # cap the splitter is the capped line stage: when a piece crosses the cap, it hands
        # over the lines of that piece before the over-long one with its error.
        self._decode: typing.Callable[[bytes | memoryview], list[str]]
        self._flush: typing.Callable[[], list[str]]
        if max_line_length is None:
            lines = _cstream.ByteLineDecoder("latin-1", None)
            self._decode, self._flush = lines.decode, lines.flush
        else:
            capped = line_stage("latin-1", max_line_length)
            # whole pieces only reach it: under a cap a piece is not parsed a slice at a time
            self._decode = typing.cast(
                "typing.Callable[[bytes | memoryview], list[str]]", capped.step
            )
            self._flush = capped.end
        self._capped = max_line_length is not None
        self._orjson = _orjson
        self._skip = skip
        self._stop_inside = stop_inside  # raise _Stop from a lazily parsed batch (async)
        self._tail = b" "  # the last bytes seen, mapped by _NUMBER_MAP (the body start: " ")
        self._careful = 0  # how many more batches may hold a long integer
        self.line = 0  # lines handed over so far
        self.produced = 0  # values handed out so far
        self.skipped = 0
        self.error: Exception | None = None  # the first malformed line's parser error
        self.error_line = 0

    def stage(self) -> Stage[typing.Any]:
        return Stage(typing.cast("typing.Callable[[bytes], list[typing.Any]]", self.step), self.end)

    def step(self, piece: bytes) -> Iterable[typing.Any]:
        # Under a line cap a piece is parsed at once: a crossed cap then raises from here,
        # where the body's loop hands out the values it carries before raising.
        if len(piece) <= _SLICE or self._capped:
            return self._step(piece)
        # A large piece (an identity body read in big gulps) is parsed a slice at a time as
        # it is consumed: a batch of thousands of values held at once costs more in cache
        # misses and collector passes than the parsing itself.
        return itertools.chain.from_iterable(self._slices(memoryview(piece)))

    def _slices(self, view: memoryview) -> Iterator[list[typing.Any]]:
        try:
            for start in range(0, len(view), _SLICE):
                yield self._step(view[start : start + _SLICE])
        except _Stop:
            # raised from here, the stop would reach a sync consumer directly; there, the
            # iterator sees the error once this batch is consumed
            if self._stop_inside:
                raise

    def _step(self, piece: bytes | memoryview) -> list[typing.Any]:
        if self._orjson is not None:
            self._look_for_long_integers(piece)
        try:
            lines = self._decode(piece)
        except LinesBeforeTooLong as exc:
            # The lines before the over-long one are parsed as any batch. A malformed one
            # among them ends the stream first, with its own error (or is skipped).
            values = self._parse(exc.items)
            if self.error is not None:
                return self._checked(values)
            raise LinesBeforeTooLong(str(exc), self._checked(values)) from None
        return self._checked(self._parse(lines))

    def end(self) -> list[typing.Any]:
        if self.error is not None:
            # stopped at a malformed line: the splitter may hold what came after it
            raise _Stop("stopped at a malformed line")
        return self._checked(self._parse(self._flush()))

    def _checked(self, values: list[typing.Any]) -> list[typing.Any]:
        if self.error is not None and not values:
            raise _Stop("stopped at a malformed line")
        self.produced += len(values)
        return values

    def _look_for_long_integers(self, piece: bytes | memoryview) -> None:
        mapped = bytes(piece).translate(_NUMBER_MAP)
        joint = self._tail + mapped[:_TAIL]
        if _LONG_MARK in joint or _LONG_MARK in mapped:
            # the line holding it completes in this batch or in the next one with lines
            self._careful = 2
        self._tail = (self._tail + mapped)[-_TAIL:] if len(mapped) < _TAIL else mapped[-_TAIL:]

    def _parse(self, lines: list[str]) -> list[typing.Any]:
        if not lines or self.error is not None:
            return []
        first = self.line
        self.line = first + len(lines)
        if first == 0 and lines[0].startswith(_BOM):
            lines[0] = lines[0][len(_BOM) :]
        careful = self._careful > 0
        if careful:
            self._careful -= 1
        elif (text := _as_utf8(lines)) is not None:
            # The common batch: valid UTF-8 and a value on every line. C-level loops only; any
            # failure (a blank or malformed line, NaN for orjson) sends the batch the slow way.
            try:
                if self._orjson is not None:
                    return list(map(self._orjson.loads, text))
                return _scan_batch(text)
            except (ValueError, RecursionError):
                pass
        return self._parse_each(lines, first, careful)

    def _parse_each(self, lines: list[str], first: int, careful: bool) -> list[typing.Any]:
        values = []
        fast = self._orjson
        for number, line in enumerate(lines, first + 1):
            try:
                if not line.isascii():
                    line = line.encode("latin-1").decode("utf-8")
                if not line.strip(_BLANK):
                    continue
                if fast is not None and not (careful and _LONG_INTEGER.search(line)):
                    try:
                        values.append(fast.loads(line))
                        continue
                    except fast.JSONDecodeError:
                        pass  # json decides: it accepts more, and its message is the one shown
                values.append(json.loads(line))
            except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
                if self._skip:
                    self.skipped += 1
                    continue
                self.error, self.error_line = exc, number
                self.line = number
                break
        return values


def _check(on_error: str) -> bool:
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    return on_error == "skip"


def _line_error(stage: _JSONStage, response: Response) -> DecodingError:
    exc = stage.error
    if isinstance(exc, UnicodeDecodeError):
        reason = f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
    else:
        reason = f"not valid JSON ({exc})"
    return DecodingError(f"line {stage.error_line} is {reason}", request=response._request)


class JSONLines(itertools.chain[typing.Any]):
    """What `Response.iter_json()` returns: an iterator of parsed values, with `skipped` (the
    malformed lines passed over so far, with ``on_error="skip"``) and a generator's `close()`
    (it stops the loop over the body)."""

    __slots__ = ("_batches", "_stage")
    _batches: Generator[Iterable[typing.Any], None, None]
    _stage: _JSONStage

    @property
    def skipped(self) -> int:
        return self._stage.skipped

    def close(self) -> None:
        self._batches.close()


def _read_batches(
    stage: _JSONStage, content: bytes, response: Response
) -> Iterator[Iterable[typing.Any]]:
    """The batches of a body already read (nothing to close), up to a malformed line."""
    try:
        if stage._capped:
            # a slice at a time, as `step` does without a cap (which it cannot do under one)
            for start in range(0, len(content), _SLICE):
                yield stage.step(content[start : start + _SLICE])
        else:
            yield stage.step(content)
        yield stage.end()
    except _Stop:
        return
    except LinesBeforeTooLong as exc:
        yield exc.items
        raise decoding_error(exc, response._request) from exc
    except _cstream.LineTooLongError as exc:
        raise decoding_error(exc, response._request) from exc


def _batches(response: Response, stage: _JSONStage) -> Generator[Iterable[typing.Any], None, None]:
    content = response._content
    try:
        if content is not None:
            yield from _read_batches(stage, content, response)
        else:
            batches = response._drive_batches(stage.stage, None)
            for batch in batches:
                yield batch
                if stage.error is not None:  # this batch's values are delivered: stop here
                    batches.close()
                    response.close()
                    break
    except (DecodingError, _Stop):
        if stage.error is None:
            raise
    if stage.error is not None:
        raise _line_error(stage, response) from stage.error


def _line_cap(response: Response, max_line_length: int | None) -> int | None:
    # The keyword, else the cap the client set on the response (if any).
    caps = response._caps
    if max_line_length is None and caps is not None:
        return caps.max_line_length
    return max_line_length


def iter_json(
    response: Response, on_error: OnError = "raise", max_line_length: int | None = None
) -> JSONLines:
    """`Response.iter_json()`: lazy (nothing runs before the first next())."""
    stage = _JSONStage(_check(on_error), False, _line_cap(response, max_line_length))
    batches = _batches(response, stage)
    values = typing.cast(JSONLines, JSONLines.from_iterable(batches))
    values._batches = batches
    values._stage = stage
    return values


class AsyncJSONLines:
    """What `Response.aiter_json()` returns: `JSONLines` for an async stream, with `aclose()`."""

    __slots__ = ("_stage", "_values")

    def __init__(self, values: AsyncGenerator[typing.Any, None], stage: _JSONStage) -> None:
        self._values = values
        self._stage = stage

    @property
    def skipped(self) -> int:
        return self._stage.skipped

    def __aiter__(self) -> AsyncJSONLines:
        return self

    def __anext__(self) -> typing.Awaitable[typing.Any]:
        return self._values.__anext__()

    async def aclose(self) -> None:
        await self._values.aclose()


async def _avalues(response: Response, stage: _JSONStage) -> AsyncIterator[typing.Any]:
    content = response._content
    if content is not None:
        try:
            for batch in _read_batches(stage, content, response):
                for value in batch:
                    yield value
        except _Stop:
            pass
    else:
        values = typing.cast(
            "AsyncGenerator[typing.Any, None]", response._adrive(stage.stage, None)
        )
        delivered = 0
        try:
            async for value in values:
                yield value
                delivered += 1
                if stage.error is not None and delivered == stage.produced:
                    break  # the values before the malformed line are delivered: stop here
        except DecodingError:
            if stage.error is None:
                raise
        finally:
            await values.aclose()  # stopped early: close the body's loop now
        if stage.error is not None:
            await response.aclose()
    if stage.error is not None:
        raise _line_error(stage, response) from stage.error


def aiter_json(
    response: Response, on_error: OnError = "raise", max_line_length: int | None = None
) -> AsyncJSONLines:
    """`Response.aiter_json()`: `iter_json` for an async stream."""
    stage = _JSONStage(_check(on_error), True, _line_cap(response, max_line_length))
    values = typing.cast("AsyncGenerator[typing.Any, None]", _avalues(response, stage))
    return AsyncJSONLines(values, stage)
