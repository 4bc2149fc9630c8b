# HTTP/1.1 message heads, compiled: ResponseHeadParser and serialize_request. The pure twin
# is _pure/_head.py, which drives h11 0.16 itself; this module gives the same results (the
# same heads, the same accept/reject decisions, any split of the input) without h11's
# per-event Python cost. The API and its docs are in _head.pyi.
#
# h11's grammar, as these functions apply it:
#
# * The head ends at the first LF followed by LF or CRLF. Lines are split on LF and lose one
#   trailing CR each. A head starting with a byte below 0x21 is an error (h11: an empty
#   first line, or an "obviously invalid" start).
# * Status line: "HTTP/" DIGIT "." DIGIT SP 3DIGIT, then nothing or SP and a reason of any
#   bytes but NUL, CR, LF, VT, FF. Status 101 is refused (no upgrade was proposed), and so is
#   a status below 100.
# * A line starting with SP or HTAB continues the previous one (obs-fold): its leading
#   whitespace becomes one SP. A continuation with no field before it is an error.
# * Field line: a token, ":", optional SP/HTAB, a value, optional SP/HTAB; the value holds no
#   NUL, CR, LF, VT or FF.
# * Content-Length: a comma list whose stripped members must all be equal, 1-20 digits; a
#   repeated Content-Length field must carry the same value and is dropped. Transfer-Encoding:
#   at most one field, whose value is "chunked" in any case (kept lowercased).
# * A request (serialize_request) also needs: a token method, a target of VCHARs, values with
#   no surrounding whitespace, exactly one Host field (written first).
#
# Memory: the parser keeps the unconsumed bytes in one bytearray (amortised appends); an
# incomplete head longer than max_size raises. Time: linear; the end-of-head search restarts
# where the previous one stopped.

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.string cimport memchr, memcpy

cimport cython

from ._errors import HeadError

__all__ = ["HeadError", "ResponseHeadParser", "serialize_request"]

cdef bytes _V11 = b"1.1"
cdef bytes _V10 = b"1.0"
cdef bytes _EMPTY = b""
cdef bytes _CONTENT_LENGTH = b"content-length"
cdef bytes _TRANSFER_ENCODING = b"transfer-encoding"
cdef bytes _CHUNKED = b"chunked"
cdef bytes _CONTENT_ENCODING = b"content-encoding"
cdef bytes _SET_COOKIE = b"set-cookie"
cdef bytes _SET_COOKIE2 = b"set-cookie2"
# The bits of a head's `marks` (names a response's consumers look for in every response,
# noted while the fields are split so that they need not scan them again).
cdef int _MARK_SET_COOKIE = 1  # a Set-Cookie or Set-Cookie2 field
cdef int _MARK_CONTENT_ENCODING = 2  # a Content-Encoding field

# tchar (RFC 9110): ALPHA DIGIT and !#$%&'*+-.^_`|~
cdef bint _TOKEN[256]
cdef int _i
for _i in range(256):
    _TOKEN[_i] = (
        (48 <= _i <= 57) or (65 <= _i <= 90) or (97 <= _i <= 122)
        or _i in (33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126)
    )


cdef inline bint _bad_value_byte(unsigned char c) noexcept:
    """NUL, LF, VT, FF, CR: never allowed in a field value or a reason phrase."""
    return c == 0 or c == 10 or c == 11 or c == 12 or c == 13


cdef inline bint _ows(unsigned char c) noexcept:
    return c == 32 or c == 9


cdef inline bint _digit(unsigned char c) noexcept:
    return 48 <= c <= 57


cdef bytes _lower(bytes name):
    """`name` lowercased; the same object when it has no uppercase letter."""
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(name)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(name), i
    for i in range(n):
        if 65 <= p[i] <= 90:
            return name.lower()
    return name


cdef bint _is_token(const unsigned char* p, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    if n == 0:
        return False
    for i in range(n):
        if not _TOKEN[p[i]]:
            return False
    return True


cdef bint _eq_ci(bytes value, bytes lower_word):
    """`value` equals `lower_word` (lowercase ASCII) ignoring ASCII case."""
    cdef Py_ssize_t n = PyBytes_GET_SIZE(value), i
    cdef const unsigned char* p
    cdef const unsigned char* w
    cdef unsigned char c
    if n != PyBytes_GET_SIZE(lower_word):
        return False
    p = <const unsigned char*>PyBytes_AS_STRING(value)
    w = <const unsigned char*>PyBytes_AS_STRING(lower_word)
    for i in range(n):
        c = p[i]
        if 65 <= c <= 90:
            c += 32
        if c != w[i]:
            return False
    return True


cdef bytes _content_length(bytes value):
    """The single length a Content-Length value declares (h11: a comma list of equal members,
    each stripped of whitespace; 1-20 digits)."""
    cdef bytes single = None
    cdef bytes member
    for member in value.split(b","):
        member = member.strip()
        if single is None:
            single = member
        elif member != single:
            raise HeadError("conflicting Content-Length headers")
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(single)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(single), i
    if n == 0 or n > 20:
        raise HeadError("bad Content-Length")
    for i in range(n):
        if not _digit(p[i]):
            raise HeadError("bad Content-Length")
    return single


cdef bint _has_close(bytes value):
    """A Connection value lists the token "close" (comma list, case-insensitive)."""
    cdef bytes member
    for member in value.split(b","):
        if _eq_ci(member.strip(), b"close"):
            return True
    return False


@cython.final
cdef class _Fields:
    """Collects a head's fields with h11's normalisation; the framing facts on the side."""

    cdef list items  # [(raw name, lowercased name, value)]
    cdef bytes length  # the Content-Length value, or None
    cdef bint chunked
    cdef bint close
    cdef int hosts
    cdef int marks  # _MARK_* bits of the names seen

    def __cinit__(self):
        self.items = []
        self.length = None

    cdef int add(self, bytes raw, bytes value) except -1:
        cdef bytes name = _lower(raw)
        cdef bytes single
        if name == _CONTENT_LENGTH:
            single = _content_length(value)
            if self.length is None:
                self.length = single
                self.items.append((raw, name, single))
            elif single != self.length:
                raise HeadError("conflicting Content-Length headers")
            return 0
        if name == _TRANSFER_ENCODING:
            if self.chunked:
                raise HeadError("multiple Transfer-Encoding headers")
            if not _eq_ci(value, _CHUNKED):
                raise HeadError("Only Transfer-Encoding: chunked is supported")
            self.chunked = True
            self.items.append((raw, name, _CHUNKED))
            return 0
        if name == b"connection":
            if not self.close and _has_close(value):
                self.close = True
        elif name == b"host":
            self.hosts += 1
        elif name == _CONTENT_ENCODING:
            self.marks |= _MARK_CONTENT_ENCODING
        elif name == _SET_COOKIE or name == _SET_COOKIE2:
            self.marks |= _MARK_SET_COOKIE
        self.items.append((raw, name, value))
        return 0


cdef int _parse_field(const unsigned char* p, Py_ssize_t n, _Fields fields) except -1:
    """One unfolded field line: token ":" OWS value OWS."""
    cdef Py_ssize_t colon = 0, start, end, i
    while colon < n and _TOKEN[p[colon]]:
        colon += 1
    if colon == 0 or colon == n or p[colon] != 58:  # ':'
        raise HeadError(f"illegal header line: {PyBytes_FromStringAndSize(<const char*>p, n)!r}")
    start = colon + 1
    end = n
    while start < end and _ows(p[start]):
        start += 1
    while end > start and _ows(p[end - 1]):
        end -= 1
    for i in range(start, end):
        if _bad_value_byte(p[i]):
            raise HeadError(
                f"illegal header line: {PyBytes_FromStringAndSize(<const char*>p, n)!r}"
            )
    fields.add(
        PyBytes_FromStringAndSize(<const char*>p, colon),
        PyBytes_FromStringAndSize(<const char*>p + start, end - start) if end > start else _EMPTY,
    )
    return 0


cdef inline Py_ssize_t _line_end(const unsigned char* p, Py_ssize_t start,
                                 Py_ssize_t stop) noexcept:
    """Index of the LF ending the line that starts at `start` (there is one before `stop`)."""
    return <Py_ssize_t>(<const unsigned char*>memchr(p + start, 10, stop - start) - p)


cdef inline Py_ssize_t _content(const unsigned char* p, Py_ssize_t start, Py_ssize_t lf) noexcept:
    """End of a line's content: the LF, or the CR just before it."""
    if lf > start and p[lf - 1] == 13:
        return lf - 1
    return lf


@cython.final
cdef class ResponseHeadParser:
    cdef bytearray _buf  # never None: _next_head reads it with unchecked macros
    cdef Py_ssize_t _search  # the end-of-head search restarts here
    cdef Py_ssize_t _max_size
    cdef bint _eof
    cdef bint _done
    cdef str _error  # the message of the HeadError raised once; every later call raises it again

    def __cinit__(self, Py_ssize_t max_size=102400):
        # Here rather than in __init__, so that an object made by __new__ alone is usable too.
        self._buf = bytearray()
        self._max_size = max_size

    @property
    def done(self) -> bool:
        return self._done

    def feed(self, data) -> None:
        if self._eof:
            raise HeadError("data fed after the end of the stream")
        self._buf += data

    def feed_eof(self) -> None:
        self._eof = True

    def reset(self) -> None:
        # Every field but the limit goes back to what __cinit__ left: nothing of the previous
        # exchange (bytes, end-of-stream, done, error) reaches the next one.
        del self._buf[:]
        self._search = 0
        self._eof = False
        self._done = False
        self._error = None

    def rest(self) -> bytes:
        return bytes(self._buf)

    def next_head(self):
        if self._error is not None:
            raise HeadError(self._error)  # a new object: re-raising one would grow its traceback
        if self._done:
            raise HeadError("the final response head was already parsed")
        try:
            return self._next_head()
        except HeadError as exc:
            self._error = str(exc)
            raise

    cdef object _next_head(self):
        cdef bytearray buf = self._buf
        cdef Py_ssize_t size = PyByteArray_GET_SIZE(buf)
        cdef const unsigned char* p = <const unsigned char*>PyByteArray_AS_STRING(buf)
        cdef const unsigned char* hit
        cdef Py_ssize_t i, end = -1
        if size and p[0] < 0x21:
            if p[0] == 10 or (p[0] == 13 and size > 1 and p[1] == 10):
                raise HeadError("no response line received")
            raise HeadError("illegal status line: the response starts with whitespace")
        i = self._search
        while i < size:
            hit = <const unsigned char*>memchr(p + i, 10, size - i)
            if hit == NULL:
                i = size
                break
            i = hit - p
            if i + 1 < size and p[i + 1] == 10:
                end = i + 2
                break
            if i + 2 < size and p[i + 1] == 13 and p[i + 2] == 10:
                end = i + 3
                break
            if i + 1 >= size or (p[i + 1] == 13 and i + 2 >= size):
                break  # the bytes that decide are still to come
            i += 1
        if end < 0:
            self._search = i
            if size > self._max_size:
                raise HeadError("Receive buffer too long")
            if self._eof:
                if size:
                    raise HeadError("peer unexpectedly closed connection")
                raise HeadError("peer closed connection without sending a response head")
            return None
        head = _parse_head(p, end)
        del buf[:end]
        self._search = 0
        if head[0] >= 200:
            self._done = True
        return head


cdef tuple _parse_head(const unsigned char* p, Py_ssize_t end):
    """(status, version, reason, fields, content_length, chunked, close, marks) of the head
    p[:end]."""
    cdef Py_ssize_t lf = _line_end(p, 0, end)
    cdef Py_ssize_t stop = _content(p, 0, lf)
    cdef Py_ssize_t i, start, nxt
    cdef int status
    if not (
        stop >= 12
        and p[0] == 72 and p[1] == 84 and p[2] == 84 and p[3] == 80 and p[4] == 47  # HTTP/
        and _digit(p[5]) and p[6] == 46 and _digit(p[7]) and p[8] == 32
        and _digit(p[9]) and _digit(p[10]) and _digit(p[11])
        and (stop == 12 or p[12] == 32)
    ):
        raise HeadError(f"illegal status line: {PyBytes_FromStringAndSize(<const char*>p, stop)!r}")
    for i in range(13, stop):
        if _bad_value_byte(p[i]):
            raise HeadError(
                f"illegal status line: {PyBytes_FromStringAndSize(<const char*>p, stop)!r}"
            )
    status = (p[9] - 48) * 100 + (p[10] - 48) * 10 + (p[11] - 48)
    if status < 100:
        raise HeadError(f"status code {status} is not in the range 100-999")
    if status == 101:
        raise HeadError("Received 101 Switching Protocols without an upgrade proposal")
    if p[5] == 49 and p[7] == 49:
        version = _V11
    elif p[5] == 49 and p[7] == 48:
        version = _V10
    else:
        version = PyBytes_FromStringAndSize(<const char*>p + 5, 3)
    reason = PyBytes_FromStringAndSize(<const char*>p + 13, stop - 13) if stop > 13 else _EMPTY

    cdef _Fields fields = _Fields()
    cdef bytearray folded
    start = lf + 1
    while start < end:
        lf = _line_end(p, start, end)
        stop = _content(p, start, lf)
        if stop == start:
            break  # the empty line ending the head
        if _ows(p[start]):
            raise HeadError("continuation line at start of headers")
        nxt = lf + 1
        if nxt < end and _ows(p[nxt]):
            # obs-fold: join the continuation lines, each one's leading whitespace as one SP
            folded = bytearray(PyBytes_FromStringAndSize(<const char*>p + start, stop - start))
            while nxt < end and _ows(p[nxt]):
                lf = _line_end(p, nxt, end)
                i = nxt
                while _ows(p[i]):
                    i += 1
                folded += b" "
                folded += PyBytes_FromStringAndSize(<const char*>p + i, _content(p, nxt, lf) - i)
                nxt = lf + 1
            _parse_field(
                <const unsigned char*>PyByteArray_AS_STRING(folded),
                PyByteArray_GET_SIZE(folded),
                fields,
            )
        else:
            _parse_field(p + start, stop - start, fields)
        start = nxt
    return (
        status,
        version,
        reason,
        fields.items,
        None if fields.length is None else int(fields.length),
        fields.chunked,
        fields.close,
        fields.marks,
    )


def serialize_request(bytes method not None, bytes target not None, list headers not None):
    cdef _Fields fields = _Fields()
    cdef object pair
    cdef bytes name, value
    cdef const unsigned char* p
    cdef Py_ssize_t n, size, i
    for pair in headers:
        name, value = pair
        if name is None or value is None:
            raise TypeError("header names and values must be bytes")
        p = <const unsigned char*>PyBytes_AS_STRING(name)
        if not _is_token(p, PyBytes_GET_SIZE(name)):
            raise HeadError(f"Illegal header name {name!r}")
        p = <const unsigned char*>PyBytes_AS_STRING(value)
        n = PyBytes_GET_SIZE(value)
        if n and (_ows(p[0]) or _ows(p[n - 1])):
            raise HeadError(f"Illegal header value {value!r}")
        for i in range(n):
            if _bad_value_byte(p[i]):
                raise HeadError(f"Illegal header value {value!r}")
        fields.add(name, value)
    if fields.hosts == 0:
        raise HeadError("Missing mandatory Host: header")
    if fields.hosts > 1:
        raise HeadError("Found multiple Host: headers")
    if not _is_token(<const unsigned char*>PyBytes_AS_STRING(method), PyBytes_GET_SIZE(method)):
        raise HeadError("Illegal method characters")
    p = <const unsigned char*>PyBytes_AS_STRING(target)
    n = PyBytes_GET_SIZE(target)
    if n == 0:
        raise HeadError("Illegal target characters")
    for i in range(n):
        if not (0x21 <= p[i] <= 0x7E):
            raise HeadError("Illegal target characters")

    # method SP target " HTTP/1.1" CRLF, the Host field, the others in order, CRLF
    cdef tuple item
    size = PyBytes_GET_SIZE(method) + n + 12 + 2
    for item in fields.items:
        size += PyBytes_GET_SIZE(<bytes>item[0]) + PyBytes_GET_SIZE(<bytes>item[2]) + 4
    cdef bytes out = PyBytes_FromStringAndSize(NULL, size)
    # Every write below is checked against the end of `out` before it is made: the size above
    # is computed from the same fields, but a write must never rely on that.
    cdef _Writer w
    w.p = PyBytes_AS_STRING(out)
    w.end = w.p + size
    _put(&w, PyBytes_AS_STRING(method), PyBytes_GET_SIZE(method))
    _put(&w, b" ", 1)
    _put(&w, PyBytes_AS_STRING(target), n)
    _put(&w, b" HTTP/1.1\r\n", 11)
    for item in fields.items:
        if <bytes>item[1] == b"host":
            _put_field(&w, item)
    for item in fields.items:
        if <bytes>item[1] != b"host":
            _put_field(&w, item)
    _put(&w, b"\r\n", 2)
    if w.p != w.end:  # pragma: no cover - a sizing bug
        raise AssertionError("request head size mismatch")
    framing = -1 if fields.chunked else (0 if fields.length is None else int(fields.length))
    return out, framing


cdef struct _Writer:
    char* p  # the next byte to write
    char* end  # one past the last byte of the buffer


cdef inline int _put(_Writer* w, const char* data, Py_ssize_t n) except -1:
    if n > w.end - w.p:  # pragma: no cover - a sizing bug
        raise AssertionError("request head size mismatch")
    memcpy(w.p, data, n)
    w.p += n
    return 0


cdef inline int _put_field(_Writer* w, tuple item) except -1:
    cdef bytes name = <bytes>item[0]
    cdef bytes value = <bytes>item[2]
    _put(w, PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name))
    _put(w, b": ", 2)
    _put(w, PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))
    _put(w, b"\r\n", 2)
    return 0
