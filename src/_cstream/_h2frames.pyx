# HTTP/2 received-frame splitter, compiled: H2FrameSplitter. The pure twin is
# _pure/_h2frames.py (its docstring has the rules); the API and its docs are in _h2frames.pyi.
# H2FrameError and the messages both sides raise come from _errors.py.
#
# Theory of operation: the input of one feed() is kept as a bytes object and walked by frame
# headers; a frame the input ends inside is copied into `_pending` (its header's length was
# checked against max_frame_size first, so that buffer never passes max_frame_size + 9) and
# completed from the next input, taking from it only the bytes that frame still lacks. A taken
# DATA frame's payload is the one copy made of it (a bytes object cut from the input); a run of
# frames for the engine is one slice of the input (the input itself when it is all such frames).
#
# A large taken DATA frame (`direct_min` bytes or more, `DIRECT_MIN` by default; unpadded)
# whose payload has not all arrived is received into a bytes object of its own, allocated at
# its header with 9 bytes to spare: what the input holds of it is copied in, and `read_buffer`
# lends the rest (and the spare bytes, for the next frame's header) to the caller's socket
# read. When it is complete
# and nothing else refers to it, it is shrunk in place to the payload and handed out as the
# piece: its bytes were written once, by the kernel. The object is unshared until then (the
# lent view keeps it alive; while one exists, the piece is a copy instead).
#
# Complexity contract: linear in the input; per frame a constant amount of work plus one dict
# lookup for a DATA frame's stream.

from cpython.buffer cimport PyBuffer_FillInfo
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.ref cimport Py_DECREF, Py_INCREF, PyObject
from libc.string cimport memcpy

from ._errors import (
    H2_BAD_PADDING,
    H2_CONNECTION_WINDOW,
    H2_FRAME_TOO_LARGE,
    H2_NO_PAD_LENGTH,
    H2_STREAM_WINDOW,
    H2FrameError,
)

__all__ = ["DIRECT_MIN", "H2FrameError", "H2FrameSplitter"]

cdef extern from "Python.h":
    Py_ssize_t Py_REFCNT(PyObject* o)
    int _PyBytes_Resize(PyObject** bytes, Py_ssize_t size) except -1

DIRECT_MIN = 128 * 1024

cdef enum:
    T_DATA = 0x0
    T_HEADERS = 0x1
    T_PUSH_PROMISE = 0x5
    T_CONTINUATION = 0x9
    F_END_STREAM = 0x1
    F_END_HEADERS = 0x4
    F_PADDED = 0x8
    PROTOCOL_ERROR = 1
    FLOW_CONTROL_ERROR = 3
    FRAME_SIZE_ERROR = 6

cdef long long MAX_WINDOW = 2147483647


cdef class _Stream:
    # The receive window of one open stream, and its taken bytes not yet consumed.
    cdef long long window  # what the server may still send
    cdef long long processed  # consumed bytes not yet handed back in a WINDOW_UPDATE
    cdef long long held  # taken bytes the consumer has not taken yet
    cdef bint taking  # DATA for this stream is taken (open, not ended)


cdef class _Room:
    # A writable view of the part of a payload object not received yet, plus its 9 spare
    # bytes: lent for one socket read. It keeps the object alive while it exists.
    cdef bytes target
    cdef Py_ssize_t start
    cdef Py_ssize_t size

    def __getbuffer__(self, Py_buffer* buffer, int flags):
        PyBuffer_FillInfo(
            buffer, self, PyBytes_AS_STRING(self.target) + self.start, self.size, 0, flags
        )

    def __releasebuffer__(self, Py_buffer* buffer):
        pass

    def __len__(self):
        return self.size


cdef inline long long _increment(long long window, long long processed, long long largest):
    # Nothing until half the window was consumed (or the window is shut and more than a little
    # was), so that a run of small frames costs few updates.
    cdef long long little = largest // 4
    if little > 1024:
        little = 1024
    if processed and (processed >= largest // 2 or (window == 0 and processed > little)):
        return processed if processed < largest - window else largest - window
    return 0


cdef inline unsigned int _u32(const unsigned char* p):
    return ((<unsigned int>p[0] << 24) | (<unsigned int>p[1] << 16)
            | (<unsigned int>p[2] << 8) | p[3])


cdef int _window_update(bytearray out, unsigned int stream_id,
                        unsigned int increment) except -1:
    cdef unsigned char frame[13]
    frame[0] = 0
    frame[1] = 0
    frame[2] = 4
    frame[3] = 8
    frame[4] = 0
    frame[5] = (stream_id >> 24) & 0xFF
    frame[6] = (stream_id >> 16) & 0xFF
    frame[7] = (stream_id >> 8) & 0xFF
    frame[8] = stream_id & 0xFF
    frame[9] = (increment >> 24) & 0xFF
    frame[10] = (increment >> 16) & 0xFF
    frame[11] = (increment >> 8) & 0xFF
    frame[12] = increment & 0xFF
    out += (<char*>frame)[:13]
    return 0


cdef class H2FrameSplitter:
    cdef long long _max_frame_size
    cdef long long _stream_window
    cdef long long _connection_window
    cdef long long _conn_window
    cdef long long _conn_processed
    cdef dict _streams
    cdef bytearray _pending
    cdef bytes _data
    cdef Py_ssize_t _pos
    cdef bint _in_block
    cdef bytearray _out
    cdef object _error
    # the header of the frame `_header` found
    cdef Py_ssize_t _length
    cdef int _kind
    cdef int _flags
    cdef unsigned int _stream_id
    # the large DATA frame being received into a payload object of its own (see the top)
    cdef bytes _direct  # None when there is none; else its payload length + 9 bytes
    cdef bytes _dhead  # its 9 header bytes
    cdef Py_ssize_t _dlen  # its payload length
    cdef Py_ssize_t _dfill  # payload bytes received so far
    cdef Py_ssize_t _direct_min

    def __cinit__(self):
        self._streams = {}
        self._pending = bytearray()
        self._data = b""
        self._out = bytearray()

    def __init__(self, max_frame_size=16384, stream_window=65535, connection_window=65535,
                 direct_min=DIRECT_MIN):
        if not 16384 <= max_frame_size <= 2**24 - 1:
            raise ValueError("max_frame_size must be between 16384 and 16777215")
        if not 0 <= stream_window <= MAX_WINDOW or not 0 <= connection_window <= MAX_WINDOW:
            raise ValueError("a window must be between 0 and 2147483647")
        if direct_min < 1:
            raise ValueError("direct_min must be at least 1")
        self._direct_min = min(direct_min, 2**24)
        self._max_frame_size = max_frame_size
        self._stream_window = stream_window
        self._connection_window = connection_window
        self._conn_window = connection_window
        self._conn_processed = 0

    # -- input ------------------------------------------------------------------------------

    def feed(self, data) -> None:
        cdef Py_ssize_t rest = PyBytes_GET_SIZE(self._data) - self._pos
        if self._error is not None:
            raise self._error
        if rest:  # `next` was not called until None: the unread input goes first
            self._data = self._data[self._pos:] + bytes(memoryview(data))
        elif type(data) is bytes:
            self._data = data
        else:
            self._data = bytes(memoryview(data))
        self._pos = 0

    @property
    def buffered(self) -> int:
        if self._direct is not None:
            return 9 + self._dfill
        return PyByteArray_GET_SIZE(self._pending)

    cdef _fail(self, int code, str message):
        self._error = H2FrameError(code, message)
        raise self._error

    cdef inline int _keep(self, Py_ssize_t want) except -1:
        # Moves up to `want` input bytes to the end of `_pending`.
        cdef Py_ssize_t have = PyBytes_GET_SIZE(self._data) - self._pos
        if want > have:
            want = have
        if want > 0:
            self._pending += (PyBytes_AS_STRING(self._data) + self._pos)[:want]
            self._pos += want
        return 0

    cdef int _header(self) except -1:
        # 1 and the next frame's header in _length/_kind/_flags/_stream_id, not consumed; 0
        # when its 9 header bytes have not all arrived (what did is in `_pending`); 2 when
        # the frame is over the size limit (the error is kept in `_error`, not raised).
        cdef const unsigned char* p
        cdef Py_ssize_t size = PyByteArray_GET_SIZE(self._pending)
        if size:
            if size < 9:
                self._keep(9 - size)
                if PyByteArray_GET_SIZE(self._pending) < 9:
                    return 0
            p = <const unsigned char*>PyByteArray_AS_STRING(self._pending)
        else:
            if PyBytes_GET_SIZE(self._data) - self._pos < 9:
                self._keep(9)
                return 0
            p = <const unsigned char*>PyBytes_AS_STRING(self._data) + self._pos
        self._length = (<Py_ssize_t>p[0] << 16) | (<Py_ssize_t>p[1] << 8) | p[2]
        if self._length > self._max_frame_size:
            self._error = H2FrameError(
                FRAME_SIZE_ERROR, H2_FRAME_TOO_LARGE.format(self._length, self._max_frame_size)
            )
            return 2
        self._kind = p[3]
        self._flags = p[4]
        self._stream_id = _u32(p + 5) & 0x7FFFFFFF
        return 1

    cdef int _frame(self, const unsigned char** start, bint* copied) except -1:
        # Consumes the frame `_header` found once all of it has arrived: 1 with `start` at its
        # first byte (in `_pending`, copied set, or in the input); else 0.
        cdef Py_ssize_t total = 9 + self._length
        cdef Py_ssize_t size = PyByteArray_GET_SIZE(self._pending)
        if size:
            self._keep(total - size)
            if PyByteArray_GET_SIZE(self._pending) < total:
                return 0
            start[0] = <const unsigned char*>PyByteArray_AS_STRING(self._pending)
            copied[0] = True
            return 1
        if PyBytes_GET_SIZE(self._data) - self._pos < total:
            self._keep(total)
            return 0
        start[0] = <const unsigned char*>PyBytes_AS_STRING(self._data) + self._pos
        copied[0] = False
        self._pos += total
        return 1

    def next(self):
        cdef Py_ssize_t run_start = -1  # the run of whole frames for the engine, in the input
        cdef Py_ssize_t run_end = -1
        cdef const unsigned char* frame = NULL
        cdef bint copied = False
        cdef int found
        cdef object stream
        cdef bytes out
        if self._error is not None:
            raise self._error
        if self._direct is not None:
            if not self._fill_direct():
                return None
            return self._direct_done()
        while True:
            found = self._header()
            if found == 0:
                break
            if found == 2:
                if run_start >= 0:
                    break  # the frames before it first; the next call raises
                raise self._error
            if self._kind == T_DATA:
                if run_start >= 0:
                    break  # hand the frames before it over first
                stream = self._streams.get(self._stream_id)
                if stream is not None and (<_Stream>stream).taking and not self._in_block:
                    if (self._length >= self._direct_min and not self._flags & F_PADDED
                            and not self._whole()):
                        self._start_direct()
                        return None
                    if not self._frame(&frame, &copied):
                        return None
                    return self._take(<_Stream>stream, frame, copied)
            if not self._frame(&frame, &copied):
                break
            if self._kind == T_HEADERS or self._kind == T_PUSH_PROMISE:
                self._in_block = not (self._flags & F_END_HEADERS)
            elif self._kind == T_CONTINUATION and self._flags & F_END_HEADERS:
                self._in_block = False
            if copied:  # a frame completed from the pending buffer goes alone
                out = bytes(self._pending)
                del self._pending[:]
                return (0, out, False)
            if run_start < 0:
                run_start = self._pos - 9 - self._length
            run_end = self._pos
        if run_start < 0:
            return None
        if run_start == 0 and run_end == PyBytes_GET_SIZE(self._data):
            return (0, self._data, False)
        return (0, self._data[run_start:run_end], False)

    cdef object _take(self, _Stream stream, const unsigned char* frame, bint copied):
        cdef Py_ssize_t length = self._length
        cdef Py_ssize_t start = 9
        cdef Py_ssize_t stop = 9 + length
        cdef int pad = 0
        cdef bytes payload
        cdef bint end = self._flags & F_END_STREAM
        cdef int code = 0
        if self._flags & F_PADDED:
            if length == 0:  # no room for the pad length: a malformed frame, as h2 rules
                code = FRAME_SIZE_ERROR
            else:
                pad = frame[9]
                if pad >= length:
                    code = PROTOCOL_ERROR
            start += 1
            stop -= pad
        if not code and (length > self._conn_window or length > stream.window):
            code = FLOW_CONTROL_ERROR
        if code:
            if copied:
                del self._pending[:]
            if code == FRAME_SIZE_ERROR:
                self._fail(code, H2_NO_PAD_LENGTH)
            if code == PROTOCOL_ERROR:
                self._fail(code, H2_BAD_PADDING.format(pad, length))
            elif length > self._conn_window:
                self._fail(code, H2_CONNECTION_WINDOW.format(length, self._conn_window))
            self._fail(code, H2_STREAM_WINDOW.format(length, self._stream_id, stream.window))
        self._conn_window -= length
        stream.window -= length
        stream.held += length
        payload = PyBytes_FromStringAndSize(<const char*>frame + start, stop - start)
        if copied:
            del self._pending[:]
        if end:
            stream.taking = False
        return (self._stream_id, payload, end)

    # -- large DATA payloads received in place --------------------------------------------

    cdef bint _whole(self):
        # Whether all of the frame `_header` found has arrived.
        return (PyByteArray_GET_SIZE(self._pending) + PyBytes_GET_SIZE(self._data) - self._pos
                >= 9 + self._length)

    cdef int _start_direct(self) except -1:
        # The frame `_header` found becomes the one received in place; all the input there is
        # is part of it (it is not whole).
        cdef Py_ssize_t size = PyByteArray_GET_SIZE(self._pending)
        cdef const char* p
        self._direct = PyBytes_FromStringAndSize(NULL, self._length + 9)
        self._dlen = self._length
        self._dfill = 0
        if size:
            p = PyByteArray_AS_STRING(self._pending)
            self._dhead = PyBytes_FromStringAndSize(p, 9)
            self._dfill = size - 9
            memcpy(PyBytes_AS_STRING(self._direct), p + 9, self._dfill)
            del self._pending[:]
        else:
            self._dhead = PyBytes_FromStringAndSize(PyBytes_AS_STRING(self._data) + self._pos, 9)
            self._pos += 9
        self._fill_direct()
        return 0

    cdef bint _fill_direct(self) except -1:
        # Copies what the input holds of the payload in place; whether it is complete.
        cdef Py_ssize_t want = self._dlen - self._dfill
        cdef Py_ssize_t have = PyBytes_GET_SIZE(self._data) - self._pos
        if want > have:
            want = have
        if want > 0:
            memcpy(PyBytes_AS_STRING(self._direct) + self._dfill,
                   PyBytes_AS_STRING(self._data) + self._pos, want)
            self._dfill += want
            self._pos += want
        return self._dfill == self._dlen

    cdef bytes _shrunk(self):
        # The complete payload object, cut to the payload, and forgotten here: in place when
        # nothing else refers to it, else a copy (a lent view is still alive).
        cdef PyObject* raw
        cdef bytes out
        if Py_REFCNT(<PyObject*>self._direct) != 1:
            out = PyBytes_FromStringAndSize(PyBytes_AS_STRING(self._direct), self._dlen)
            self._direct = None
            return out
        raw = <PyObject*>self._direct
        Py_INCREF(self._direct)  # `raw` owns this reference from here on
        self._direct = None
        _PyBytes_Resize(&raw, self._dlen)  # on failure it freed the object and raised
        out = <bytes>raw
        Py_DECREF(out)  # `raw`'s reference, now `out`'s
        return out

    cdef object _direct_done(self):
        # The complete frame received in place: taken as `_take` would (the stream is looked
        # up again: it may have been closed meanwhile), else whole for the engine.
        cdef Py_ssize_t length = self._dlen
        cdef unsigned int stream_id
        cdef const unsigned char* head = <const unsigned char*>PyBytes_AS_STRING(self._dhead)
        cdef int flags = head[4]
        cdef bytes payload = self._shrunk()
        cdef bytes header = self._dhead
        cdef _Stream stream
        self._dhead = None
        stream_id = _u32(head + 5) & 0x7FFFFFFF
        stream = self._streams.get(stream_id)
        if stream is None or not stream.taking:
            return (0, header + payload, False)
        if length > self._conn_window:
            self._fail(FLOW_CONTROL_ERROR, H2_CONNECTION_WINDOW.format(length, self._conn_window))
        if length > stream.window:
            self._fail(FLOW_CONTROL_ERROR,
                       H2_STREAM_WINDOW.format(length, stream_id, stream.window))
        self._conn_window -= length
        stream.window -= length
        stream.held += length
        if flags & F_END_STREAM:
            stream.taking = False
        return (stream_id, payload, bool(flags & F_END_STREAM))

    def read_buffer(self):
        cdef _Room room
        if (self._error is not None or self._direct is None
                or self._pos < PyBytes_GET_SIZE(self._data)):
            return None
        room = _Room.__new__(_Room)
        room.target = self._direct
        room.start = self._dfill
        room.size = self._dlen + 9 - self._dfill
        return room

    def received_into(self, Py_ssize_t count) -> None:
        cdef Py_ssize_t extra
        if self._error is not None:
            raise self._error
        if (self._direct is None or self._pos < PyBytes_GET_SIZE(self._data)
                or not 0 <= count <= self._dlen + 9 - self._dfill):
            raise ValueError("received_into() takes the count of bytes read into read_buffer()")
        self._dfill += count
        extra = self._dfill - self._dlen
        if extra > 0:  # the start of the next frame, in the spare bytes
            self._data = PyBytes_FromStringAndSize(PyBytes_AS_STRING(self._direct) + self._dlen,
                                                   extra)
            self._pos = 0
            self._dfill = self._dlen

    # -- streams and windows ----------------------------------------------------------------

    def open(self, stream_id) -> None:
        cdef _Stream stream
        if stream_id <= 0 or stream_id > MAX_WINDOW:
            raise ValueError("a stream id must be between 1 and 2147483647")
        stream = self._streams.get(stream_id)
        if stream is None:
            stream = _Stream.__new__(_Stream)
            stream.window = self._stream_window
            stream.taking = True
            self._streams[stream_id] = stream
        else:
            stream.taking = True

    def is_open(self, stream_id) -> bool:
        cdef _Stream stream = self._streams.get(stream_id)
        return stream is not None and stream.taking

    def close(self, stream_id) -> None:
        cdef _Stream stream = self._streams.get(stream_id)
        if stream is not None:
            stream.taking = False
            if not stream.held:
                del self._streams[stream_id]

    def held(self, stream_id) -> int:
        cdef _Stream stream = self._streams.get(stream_id)
        return 0 if stream is None else stream.held

    def consumed(self, stream_id) -> None:
        cdef _Stream stream = self._streams.get(stream_id)
        cdef long long size, increment
        if stream is None or not stream.held:
            return
        size = stream.held
        stream.held = 0
        if stream.taking:
            stream.processed += size
            increment = _increment(stream.window, stream.processed, self._stream_window)
            if increment:
                stream.processed = 0
                stream.window += increment
                _window_update(self._out, <unsigned int>stream_id, <unsigned int>increment)
        else:
            del self._streams[stream_id]
        self._credit(size)

    def forget(self, stream_id) -> None:
        cdef _Stream stream = self._streams.pop(stream_id, None)
        if stream is not None and stream.held:
            self._credit(stream.held)

    cdef int _credit(self, long long size) except -1:
        cdef long long increment
        self._conn_processed += size
        increment = _increment(self._conn_window, self._conn_processed, self._connection_window)
        if increment:
            self._conn_processed = 0
            self._conn_window += increment
            _window_update(self._out, 0, <unsigned int>increment)
        return 0

    @property
    def connection_window(self) -> int:
        return self._conn_window

    def window(self, stream_id) -> int:
        cdef _Stream stream = self._streams.get(stream_id)
        return -1 if stream is None else stream.window

    def data_to_send(self) -> bytes:
        cdef bytes out
        if not PyByteArray_GET_SIZE(self._out):
            return b""
        out = bytes(self._out)
        del self._out[:]
        return out
