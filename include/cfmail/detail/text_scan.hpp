// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_TEXT_SCAN_HPP
#define CFMAIL_DETAIL_TEXT_SCAN_HPP

// Whole-text checks that run over every message before it is sent, so at memory speed: UTF-8
// validity and, for a MIME message, the length of its lines.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cfmail::detail {

// The length of the UTF-8 sequence that starts at `p` with a byte of 0x80 or more, within
// `available` bytes; 0 when it is not valid UTF-8 (a stray continuation byte, a cut sequence,
// an overlong form, a surrogate, a value past U+10FFFF).
inline std::size_t utf8_sequence_length(const unsigned char* p, std::size_t available) noexcept {
    const unsigned char c = p[0];
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > available)
        return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[k] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

// Returns the offset of the first byte that is not part of valid UTF-8, or npos.
inline std::size_t find_invalid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        // Most messages are ASCII (7-bit MIME): skip sixteen (SSE2) or eight bytes at a time.
#if defined(__SSE2__)
        while (i + 16 <= n &&
               _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))) == 0)
            i += 16;
#endif
        while (i + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            if (word & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_length(p + i, n - i);
        if (len == 0)
            return i;
        i += len;
    }
    return std::string_view::npos;
}

// RFC 5322 2.1.1: a line is at most 998 octets, excluding its line break.
inline constexpr std::size_t max_mime_line_length = 998;

// What one pass over a MIME message finds: the offset of the first byte that is not part of
// valid UTF-8 (npos when none; the scan stops there), and the 1-based number of the first line
// longer than max_mime_line_length. A line ends at LF; a CR right before it is part of the
// break. One pass instead of two matters for large messages: the message is read once more
// while it is written, and 76-column base64 lines would cost a memchr call each.
struct mime_scan {
    std::size_t invalid_utf8 = std::string_view::npos;
    std::optional<std::size_t> overlong_line;
};

inline mime_scan scan_mime(std::string_view mime) noexcept {
    mime_scan out;
    const auto* p = reinterpret_cast<const unsigned char*>(mime.data());
    const std::size_t n = mime.size();
    std::size_t i = 0, line_start = 0, line = 1;
    const auto end_line = [&](std::size_t lf) {
        std::size_t length = lf - line_start;
        if (length > 0 && p[lf - 1] == '\r')
            --length;
        if (length > max_mime_line_length && !out.overlong_line)
            out.overlong_line = line;
        ++line;
        line_start = lf + 1;
    };
    while (i < n) {
        // Most messages are ASCII (7-bit MIME): sixteen bytes at a time (SSE2), their line
        // breaks taken from a mask; elsewhere eight at a time up to the next line break.
#if defined(__SSE2__)
        const __m128i newline = _mm_set1_epi8('\n');
        while (i + 16 <= n) {
            const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
            if (_mm_movemask_epi8(bytes) != 0)
                break;
            auto breaks = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, newline)));
            for (; breaks != 0; breaks &= breaks - 1)
                end_line(i + static_cast<std::size_t>(std::countr_zero(breaks)));
            i += 16;
        }
#endif
        while (i + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            const std::uint64_t x = word ^ 0x0a0a0a0a0a0a0a0aULL; // a zero byte where '\n' was
            if ((word & 0x8080808080808080ULL) ||
                ((x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        const unsigned char c = p[i];
        if (c < 0x80) {
            if (c == '\n')
                end_line(i);
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_length(p + i, n - i);
        if (len == 0) {
            out.invalid_utf8 = i;
            return out;
        }
        i += len;
    }
    // The last line, when no line break ends it.
    if (n - line_start > max_mime_line_length && !out.overlong_line)
        out.overlong_line = line;
    return out;
}

} // namespace cfmail::detail

#endif
