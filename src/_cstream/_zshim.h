/* _zshim.h - zlib's C API for _zlib.pyx, or inert stand-ins where there is no zlib.h.
 *
 * setup.py defines FASTSTREAM_HAVE_ZLIB_H and links -lz on every platform but Windows, where
 * CPython embeds zlib without exporting its C API and there is no system zlib.h. Without the
 * macro this header declares just enough (a z_stream with the fields _zlib.pyx touches, the
 * constants, functions that fail) for the module to compile; FS_HAVE_ZLIB is then 0 and
 * _zlib.pyx never calls them: it drives the zlib module's decompressobj instead.
 *
 * zlib allocates through PyMem_RawCalloc/PyMem_RawFree (as the zlib module does), so its state
 * and window show up in tracemalloc; the Raw functions may be called without the GIL, which
 * _zlib.pyx releases around inflate().
 */
#ifndef FASTSTREAM_ZSHIM_H
#define FASTSTREAM_ZSHIM_H

#include <Python.h>

#ifdef FASTSTREAM_HAVE_ZLIB_H

#include <zlib.h>
#define FS_HAVE_ZLIB 1
#define FS_CAN_DEFER_CHECK (ZLIB_VERNUM >= 0x1290)

static voidpf fs_zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return PyMem_RawCalloc(items, size);
}

static void fs_zfree(voidpf opaque, voidpf address)
{
    (void)opaque;
    PyMem_RawFree(address);
}

static inline int fs_inflate_init(z_stream *strm, int wbits)
{
    strm->zalloc = fs_zalloc;
    strm->zfree = fs_zfree;
    strm->opaque = Z_NULL;
    strm->next_in = Z_NULL;
    strm->avail_in = 0;
    return inflateInit2(strm, wbits);
}

/* Whether inflate() checks the gzip CRC (and, from zlib 1.2.12, the ISIZE and header CRC):
 * Z_STREAM_ERROR where zlib predates inflateValidate (1.2.9), and the check stays on. */
static inline int fs_inflate_validate(z_stream *strm, int check)
{
#if ZLIB_VERNUM >= 0x1290
    return inflateValidate(strm, check);
#else
    (void)strm;
    (void)check;
    return Z_STREAM_ERROR;
#endif
}

#else /* no zlib.h: stand-ins, never called (FS_HAVE_ZLIB is 0) */

#define FS_HAVE_ZLIB 0
#define FS_CAN_DEFER_CHECK 0

typedef unsigned char Bytef;
typedef unsigned int uInt;
typedef struct {
    Bytef *next_in;
    uInt avail_in;
    Bytef *next_out;
    uInt avail_out;
    unsigned long total_in;
    unsigned long total_out;
    char *msg;
    int data_type;
    unsigned long adler;
} z_stream;

#define Z_OK 0
#define Z_STREAM_END 1
#define Z_NEED_DICT 2
#define Z_STREAM_ERROR (-2)
#define Z_DATA_ERROR (-3)
#define Z_MEM_ERROR (-4)
#define Z_BUF_ERROR (-5)
#define Z_NO_FLUSH 0
#define Z_BLOCK 5

static inline int fs_inflate_init(z_stream *strm, int wbits)
{
    (void)strm;
    (void)wbits;
    return Z_STREAM_ERROR;
}

static inline int inflate(z_stream *strm, int flush)
{
    (void)strm;
    (void)flush;
    return Z_STREAM_ERROR;
}

static inline int fs_inflate_validate(z_stream *strm, int check)
{
    (void)strm;
    (void)check;
    return Z_STREAM_ERROR;
}

static inline int inflateReset(z_stream *strm)
{
    (void)strm;
    return Z_STREAM_ERROR;
}

static inline int inflateEnd(z_stream *strm)
{
    (void)strm;
    return Z_STREAM_ERROR;
}

#endif /* FASTSTREAM_HAVE_ZLIB_H */
#endif /* FASTSTREAM_ZSHIM_H */
