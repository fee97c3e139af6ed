// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_JSON_ESCAPE_HPP
#define CFMAIL_DETAIL_JSON_ESCAPE_HPP

// JSON string escaping at memory speed, whole or chunk by chunk. Most of a MIME message needs
// no escaping, so the scan looks at sixteen bytes at a time (SSE2; eight with 64-bit
// arithmetic elsewhere) and copies the runs between the bytes that need it. The output matches
// Boost.JSON's serializer: \b \t \n \f \r \" \\ and \u00xx (lowercase) for the other control
// characters; everything else, UTF-8 included, is copied as is.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cfmail::detail {

// Length of the escaped form of byte `c`: 1 when it is copied as is.
constexpr unsigned char json_escaped_length(unsigned char c) noexcept {
    if (c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r')
        return 2;
    return c < 0x20 ? 6 : 1;
}

// Writes the escape sequence of a byte that needs one; returns the end of what it wrote.
inline char* write_json_escape(char* out, unsigned char c) noexcept {
    static constexpr char hex[] = "0123456789abcdef";
    out[0] = '\\';
    switch (c) {
    case '"':
        out[1] = '"';
        return out + 2;
    case '\\':
        out[1] = '\\';
        return out + 2;
    case '\b':
        out[1] = 'b';
        return out + 2;
    case '\t':
        out[1] = 't';
        return out + 2;
    case '\n':
        out[1] = 'n';
        return out + 2;
    case '\f':
        out[1] = 'f';
        return out + 2;
    case '\r':
        out[1] = 'r';
        return out + 2;
    default:
        std::memcpy(out + 1, "u00", 3);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 0xf];
        return out + 6;
    }
}

// The first byte in [p, end) that needs escaping, or `end`. Sixteen bytes per step with SSE2,
// eight with plain 64-bit arithmetic elsewhere.
inline const char* find_json_special(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i last_control = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        // max(c, 0x1f) == 0x1f exactly when c <= 0x1f, unsigned.
        const __m128i special = _mm_or_si128(
            _mm_cmpeq_epi8(_mm_max_epu8(chunk, last_control), last_control),
            _mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)));
        const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
        if (mask != 0)
            return p + std::countr_zero(mask);
        p += 16;
    }
#else
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    constexpr std::uint64_t highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        // Flags bytes below 0x20, quotes and backslashes; exact up to the first flagged byte.
        const std::uint64_t quote = word ^ (ones * '"');
        const std::uint64_t backslash = word ^ (ones * '\\');
        const std::uint64_t hit = ((word - ones * 0x20) & ~word) | ((quote - ones) & ~quote) |
                                  ((backslash - ones) & ~backslash);
        if ((hit & highs) != 0) {
            if constexpr (std::endian::native == std::endian::little)
                return p + std::countr_zero(hit & highs) / 8;
            break;
        }
        p += 8;
    }
#endif
    while (p != end && json_escaped_length(static_cast<unsigned char>(*p)) == 1)
        ++p;
    return p;
}

// Bits set in a 16-bit mask, inline: without -mpopcnt, std::popcount becomes a library call.
constexpr unsigned count_bits16(unsigned v) noexcept {
    v = v - ((v >> 1) & 0x5555u);
    v = (v & 0x3333u) + ((v >> 2) & 0x3333u);
    v = (v + (v >> 4)) & 0x0f0fu;
    return (v + (v >> 8)) & 0x1fu;
}

// Size of `s` escaped, quotes excluded: one pass, no output.
inline std::size_t json_escaped_size(std::string_view s) noexcept {
    std::size_t size = s.size();
    const char* p = s.data();
    const char* const end = p + s.size();
#if defined(__SSE2__)
    // Counts without branching on the data: every special byte adds one, and the control
    // characters without a short escape add four more (\u00xx is six bytes).
    const __m128i last_control = _mm_set1_epi8(0x1f);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i newline = _mm_set1_epi8('\n');
    const __m128i carriage_return = _mm_set1_epi8('\r');
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i backspace = _mm_set1_epi8('\b');
    const __m128i form_feed = _mm_set1_epi8('\f');
    for (; end - p >= 16; p += 16) {
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(c, last_control), last_control);
        const unsigned controls = static_cast<unsigned>(_mm_movemask_epi8(control));
        const unsigned others = static_cast<unsigned>(_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(c, quote), _mm_cmpeq_epi8(c, backslash))));
        if ((controls | others) == 0)
            continue;
        const unsigned short_controls = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(c, newline), _mm_cmpeq_epi8(c, carriage_return)),
            _mm_or_si128(_mm_cmpeq_epi8(c, tab), _mm_or_si128(_mm_cmpeq_epi8(c, backspace),
                                                              _mm_cmpeq_epi8(c, form_feed))))));
        size += count_bits16(controls | others) + 4 * count_bits16(controls & ~short_controls);
    }
#endif
    while ((p = find_json_special(p, end)) != end) {
        size += json_escaped_length(static_cast<unsigned char>(*p)) - 1;
        ++p;
    }
    return size;
}

// Appends `s` as a quoted JSON string to `out`, sized exactly in advance.
inline void append_json_string(std::string& out, std::string_view s) {
    const std::size_t start = out.size();
    out.resize(start + json_escaped_size(s) + 2);
    char* o = out.data() + start;
    *o++ = '"';
    const char* p = s.data();
    const char* const end = p + s.size();
    while (p != end) {
        const char* special = find_json_special(p, end);
        std::memcpy(o, p, std::size_t(special - p));
        o += special - p;
        if (special == end)
            break;
        o = write_json_escape(o, static_cast<unsigned char>(*special));
        p = special + 1;
    }
    *o = '"';
}

} // namespace cfmail::detail

#endif
