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

// Produces, chunk by chunk, the text `head`, then `value` as a quoted JSON string, then
// `tail`: a request body streamed into a fixed buffer instead of being built in memory.
class json_body_producer {
public:
    json_body_producer(std::string_view head, std::string_view value,
                       std::string_view tail) noexcept
        : head_(head)
        , value_(value)
        , tail_(tail) {}

    // Writes the next bytes into [out, out + room); returns how many. Needs room >= 6 to make
    // progress through an escape sequence. Returns 0 only when done().
    std::size_t produce(char* out, std::size_t room) noexcept {
        char* o = out;
        char* const limit = out + room;
        for (;;) {
            switch (stage_) {
            case stage::head:
                o = copy_literal(head_, o, limit, stage::open_quote);
                if (stage_ == stage::head)
                    return std::size_t(o - out);
                break;
            case stage::open_quote:
                if (o == limit)
                    return std::size_t(o - out);
                *o++ = '"';
                stage_ = stage::value;
                break;
            case stage::value:
                o = escape_value(o, limit);
                if (stage_ == stage::value)
                    return std::size_t(o - out);
                break;
            case stage::close_quote:
                if (o == limit)
                    return std::size_t(o - out);
                *o++ = '"';
                stage_ = stage::tail;
                break;
            case stage::tail:
                // An empty or finished literal moves on even without room, so that done()
                // turns true as soon as the last byte is out.
                o = copy_literal(tail_, o, limit, stage::finished);
                if (stage_ == stage::tail)
                    return std::size_t(o - out);
                break;
            case stage::finished:
                return std::size_t(o - out);
            }
        }
    }

    // True once every byte was produced.
    bool done() const noexcept { return stage_ == stage::finished; }

    // Total bytes the producer yields, computed in one pass over `value`.
    static std::size_t total_size(std::string_view head, std::string_view value,
                                  std::string_view tail) noexcept {
        return head.size() + json_escaped_size(value) + 2 + tail.size();
    }

private:
    enum class stage { head, open_quote, value, close_quote, tail, finished };

    char* copy_literal(std::string_view text, char* o, char* limit, stage next) noexcept {
        const std::size_t n = std::min(text.size() - offset_, std::size_t(limit - o));
        if (n != 0) // an empty view may have a null data(), which memcpy must not see
            std::memcpy(o, text.data() + offset_, n);
        offset_ += n;
        if (offset_ == text.size()) {
            offset_ = 0;
            stage_ = next;
        }
        return o + n;
    }

    // Escapes as much of the value as fits; stops early when the next escape sequence does not.
    char* escape_value(char* o, char* limit) noexcept {
        const char* p = value_.data() + offset_;
        const char* const end = value_.data() + value_.size();
#if defined(__SSE2__)
        // Sixteen bytes at a time while there is room for any outcome: a block is stored whole
        // and the output advanced only past the bytes before its first special one.
        const __m128i quote = _mm_set1_epi8('"');
        const __m128i backslash = _mm_set1_epi8('\\');
        const __m128i last_control = _mm_set1_epi8(0x1f);
        while (end - p >= 16 && limit - o >= 16 + 6) {
            const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o), c);
            const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
                _mm_cmpeq_epi8(_mm_max_epu8(c, last_control), last_control),
                _mm_or_si128(_mm_cmpeq_epi8(c, quote), _mm_cmpeq_epi8(c, backslash)))));
            if (mask == 0) {
                p += 16;
                o += 16;
                continue;
            }
            const int plain = std::countr_zero(mask);
            p += plain;
            o = write_json_escape(o + plain, static_cast<unsigned char>(*p));
            ++p;
        }
#endif
        while (p != end && o != limit) {
            const char* special =
                find_json_special(p, p + std::min(std::size_t(end - p), std::size_t(limit - o)));
            std::memcpy(o, p, std::size_t(special - p));
            o += special - p;
            p = special;
            if (p == end || o == limit)
                break;
            const auto c = static_cast<unsigned char>(*p);
            if (o + json_escaped_length(c) > limit)
                break;
            o = write_json_escape(o, c);
            ++p;
        }
        offset_ = std::size_t(p - value_.data());
        if (p == end) {
            offset_ = 0;
            stage_ = stage::close_quote;
        }
        return o;
    }

    std::string_view head_, value_, tail_;
    stage stage_ = stage::head;
    std::size_t offset_ = 0;
};

} // namespace cfmail::detail

#endif
