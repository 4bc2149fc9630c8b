/* _scan.h - byte scanning for _lines.pyx: line terminators, ASCII runs, ASCII widening.
 *
 * SSE2 on x86-64 (part of its baseline), 8-byte words elsewhere. Building with -DFS_NO_SIMD
 * selects the portable code on x86-64 too (to test it). Every function reads only p[pos:n]
 * (p[0:n] for fs_widen_ascii): loops run while at least a whole block is left, then byte by
 * byte.
 */
#ifndef FASTSTREAM_SCAN_H
#define FASTSTREAM_SCAN_H

#include <Python.h>
#include <string.h>
#include <stdint.h>
#if PY_VERSION_HEX < 0x030C0000
#  define FS_UNICODE_READY(o) PyUnicode_READY(o)
#else
#  define FS_UNICODE_READY(o) 0
#endif
#if !defined(FS_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64))
#  include <emmintrin.h>
#  define FS_SSE2 1
#endif
#if defined(_MSC_VER)
#  include <intrin.h>
#endif

#define FS_ONES UINT64_C(0x0101010101010101)
#define FS_HIGH UINT64_C(0x8080808080808080)

#ifdef FS_SSE2
/* index of the lowest set bit of m != 0 */
static inline unsigned int fs_ctz32(unsigned int m) {
#  if defined(_MSC_VER) && !defined(__clang__)
    unsigned long k;
    _BitScanForward(&k, m);
    return (unsigned int)k;
#  else
    return (unsigned int)__builtin_ctz(m);
#  endif
}
#endif

/* The first index i in [pos, n) with p[i] == '\n' or '\r', or n. Sets *high to nonzero
   if a byte >= 0x80 lies in p[pos:i]. */
static Py_ssize_t fs_scan(const unsigned char *p, Py_ssize_t pos, Py_ssize_t n,
                          int *high) {
    unsigned int seen = 0;
#ifdef FS_SSE2
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    __m128i acc = _mm_setzero_si128();
    /* 32 bytes a step: one mask test and one branch per 32 bytes (lines of a few hundred
       bytes spend most of the scan here); a hit is located in the step's 32-bit mask. */
    while (n - pos >= 32) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(p + pos));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(p + pos + 16));
        __m128i h0 = _mm_or_si128(_mm_cmpeq_epi8(v0, lf), _mm_cmpeq_epi8(v0, cr));
        __m128i h1 = _mm_or_si128(_mm_cmpeq_epi8(v1, lf), _mm_cmpeq_epi8(v1, cr));
        if (_mm_movemask_epi8(_mm_or_si128(h0, h1))) {
            unsigned int m = (unsigned int)_mm_movemask_epi8(h0)
                             | ((unsigned int)_mm_movemask_epi8(h1) << 16);
            unsigned int k = fs_ctz32(m); /* 0..31 */
            unsigned int hi = (unsigned int)_mm_movemask_epi8(v0)
                              | ((unsigned int)_mm_movemask_epi8(v1) << 16);
            seen |= hi & ((1u << k) - 1u);
            *high = (seen | (unsigned int)_mm_movemask_epi8(acc)) != 0;
            return pos + (Py_ssize_t)k;
        }
        acc = _mm_or_si128(acc, _mm_or_si128(v0, v1));
        pos += 32;
    }
    while (n - pos >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + pos));
        unsigned int m = (unsigned int)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        if (m) {
            unsigned int k = fs_ctz32(m);
            seen |= (unsigned int)_mm_movemask_epi8(v) & ((1u << k) - 1u);
            *high = (seen | (unsigned int)_mm_movemask_epi8(acc)) != 0;
            return pos + (Py_ssize_t)k;
        }
        acc = _mm_or_si128(acc, v);
        pos += 16;
    }
    seen |= (unsigned int)_mm_movemask_epi8(acc);
#else
    uint64_t acc = 0;
    while (n - pos >= 8) {
        uint64_t w, a, b;
        memcpy(&w, p + pos, 8);
        a = w ^ (FS_ONES * 0x0A);
        b = w ^ (FS_ONES * 0x0D);
        /* nonzero iff some byte of a or of b is zero */
        if ((((a - FS_ONES) & ~a) | ((b - FS_ONES) & ~b)) & FS_HIGH)
            break;
        acc |= w;
        pos += 8;
    }
    seen |= (acc & FS_HIGH) != 0;
#endif
    for (; pos < n; pos++) {
        unsigned char c = p[pos];
        if (c == '\n' || c == '\r')
            break;
        seen |= c & 0x80;
    }
    *high = seen != 0;
    return pos;
}

/* Copy the ASCII bytes at the start of p[:n] into out as 2-byte units, up to the first
   byte >= 0x80; return how many. out has room for n units: whole 16-byte blocks are
   widened before they are tested, so units after the returned count may be written too
   (the caller overwrites them or ignores them). */
static Py_ssize_t fs_widen_ascii(const unsigned char *p, Py_ssize_t n, uint16_t *out) {
    Py_ssize_t i = 0;
#ifdef FS_SSE2
    const __m128i zero = _mm_setzero_si128();
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        unsigned int m = (unsigned int)_mm_movemask_epi8(v);
        _mm_storeu_si128((__m128i *)(out + i), _mm_unpacklo_epi8(v, zero));
        _mm_storeu_si128((__m128i *)(out + i + 8), _mm_unpackhi_epi8(v, zero));
        if (m)
            return i + (Py_ssize_t)fs_ctz32(m);
        i += 16;
    }
#endif
    while (i < n && p[i] < 0x80) {
        out[i] = p[i];
        i++;
    }
    return i;
}

/* The first index i in [pos, n) with p[i] >= 0x80, or n. */
static Py_ssize_t fs_ascii_run(const unsigned char *p, Py_ssize_t pos, Py_ssize_t n) {
#ifdef FS_SSE2
    while (n - pos >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + pos));
        unsigned int m = (unsigned int)_mm_movemask_epi8(v);
        if (m)
            return pos + (Py_ssize_t)fs_ctz32(m);
        pos += 16;
    }
#else
    while (n - pos >= 8) {
        uint64_t w;
        memcpy(&w, p + pos, 8);
        if (w & FS_HIGH)
            break;
        pos += 8;
    }
#endif
    while (pos < n && p[pos] < 0x80)
        pos++;
    return pos;
}

#endif /* FASTSTREAM_SCAN_H */
