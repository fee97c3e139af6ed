// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_MIME_ENCODING_HPP
#define CFMAIL_DETAIL_MIME_ENCODING_HPP

// The encodings a message is written in: folded header fields, RFC 2047 encoded words, RFC 2231
// parameters, quoted-printable and base64 bodies. Each writer keeps to CRLF line ends and to
// lines of at most 998 octets by construction, which the message builder relies on instead of
// scanning its output again.

#include <cfmail/detail/rfc5322.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cfmail::mime::detail {

// Header lines are folded at this column where a fold is possible (RFC 5322 2.1.1).
inline constexpr std::size_t fold_column = 78;
// The longest RFC 2047 encoded word (RFC 2047 2).
inline constexpr std::size_t max_encoded_word = 75;
// A line that holds an encoded word is at most 76 characters (RFC 2047 2).
inline constexpr std::size_t encoded_word_line = 76;
// Base64 and quoted-printable body lines (RFC 2045 6.7, 6.8).
inline constexpr std::size_t body_line_length = 76;

// The length of the UTF-8 sequence `lead` starts; the input was checked to be UTF-8.
inline std::size_t utf8_sequence_length(unsigned char lead) noexcept {
    return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

// Writes one header field, folding before a word that would pass fold_column. Words are never
// split, so a line passes fold_column only when one word alone does; callers keep every word
// short enough for the 998-octet limit.
class header_writer {
public:
    explicit header_writer(std::string& out)
        : out_(out) {}

    void start(std::string_view name) {
        out_ += name;
        out_ += ':';
        column_ = name.size() + 1;
        first_ = true;
    }

    // Appends `word` after one space, or after a fold when it would pass `limit` on this line.
    void word(std::string_view word, std::size_t limit = fold_column) {
        // An empty word (a second space) never folds: a line of only white space is obsolete.
        if (!first_ && !word.empty() && column_ + 1 + word.size() > limit) {
            out_ += "\r\n ";
            column_ = 1;
        } else {
            out_ += ' ';
            ++column_;
        }
        first_ = false;
        out_ += word;
        column_ += word.size();
    }

    // Room for a word after one space on the current line, up to column `limit`.
    std::size_t room(std::size_t limit = fold_column) const noexcept {
        return column_ + 1 < limit ? limit - column_ - 1 : 0;
    }

    void end() { out_ += "\r\n"; }

private:
    std::string& out_;
    std::size_t column_ = 0;
    bool first_ = true;
};

// RFC 2047 5(3): the characters an encoded word in a phrase may carry literally in Q form;
// safe in an unstructured field as well.
inline bool is_q_literal(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' ||
           c == '*' || c == '+' || c == '-' || c == '/';
}

inline std::size_t q_cost(unsigned char c) noexcept {
    return is_q_literal(c) || c == ' ' ? 1 : 3;
}

inline void append_base64(std::string& out, std::string_view data) {
    const std::size_t at = out.size();
    out.resize(at + 4 * ((data.size() + 2) / 3) + 1); // EVP_EncodeBlock writes a NUL
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
    out.resize(at + static_cast<std::size_t>(n));
}

inline void append_hex_escape(std::string& out, char prefix, unsigned char c) {
    static constexpr char hex[] = "0123456789ABCDEF";
    out += prefix;
    out += hex[c >> 4];
    out += hex[c & 15];
}

// Writes `utf8` (valid UTF-8, not empty) as RFC 2047 encoded words in the shorter of the Q
// and B forms, each at most max_encoded_word long and never splitting a character. The first
// word fills what is left of the current line; the writer folds before the others. Readers
// ignore the space between adjacent encoded words, so spaces of the text go inside them.
inline void write_encoded_words(header_writer& w, std::string_view utf8) {
    std::size_t q_size = 0;
    for (char c : utf8)
        q_size += q_cost(static_cast<unsigned char>(c));
    const bool use_q = q_size <= 4 * ((utf8.size() + 2) / 3);
    const std::string_view prefix = use_q ? "=?UTF-8?Q?" : "=?UTF-8?B?";
    constexpr std::size_t overhead = 12; // prefix and "?="

    auto encoded_size = [&](std::size_t bytes, std::size_t q_bytes) {
        return use_q ? q_bytes : 4 * ((bytes + 2) / 3);
    };
    std::string word;
    bool first = true;
    for (std::size_t i = 0; i < utf8.size();) {
        // A first word shorter than this would only leave a stub on the field's first line.
        const std::size_t room = w.room(encoded_word_line);
        const std::size_t limit =
            first && room >= 24 ? std::min(room, max_encoded_word) : max_encoded_word;
        std::size_t end = i, q_bytes = 0;
        while (end < utf8.size()) {
            const std::size_t len = utf8_sequence_length(static_cast<unsigned char>(utf8[end]));
            std::size_t more = 0;
            for (std::size_t k = 0; k < len; ++k)
                more += q_cost(static_cast<unsigned char>(utf8[end + k]));
            // Always at least one character, which fits: 4 bytes are 12 in either form.
            if (end != i && overhead + encoded_size(end + len - i, q_bytes + more) > limit)
                break;
            q_bytes += more;
            end += len;
        }
        word.assign(prefix);
        if (use_q) {
            for (std::size_t k = i; k < end; ++k) {
                const auto c = static_cast<unsigned char>(utf8[k]);
                if (c == ' ')
                    word += '_';
                else if (is_q_literal(c))
                    word += static_cast<char>(c);
                else
                    append_hex_escape(word, '=', c);
            }
        } else {
            append_base64(word, utf8.substr(i, end - i));
        }
        word += "?=";
        w.word(word, encoded_word_line);
        first = false;
        i = end;
    }
}

// The words of `text` between single spaces; two spaces in a row give an empty word, so that
// joining the words with one space each gives `text` back.
inline std::vector<std::string_view> words_of(std::string_view text) {
    std::vector<std::string_view> words;
    for (std::size_t i = 0; i <= text.size();) {
        const auto space = std::min(text.find(' ', i), text.size());
        words.push_back(text.substr(i, space - i));
        i = space + 1;
    }
    return words;
}

// The pieces of `text` a fold may go between, so that joining them with one space each gives
// `text` back. A fold replaces a space after the piece's first character other than a space or
// tab, and only when such a character follows: the rest of a run of spaces or tabs stays with
// the word after it, trailing ones with the last word. So no continuation line holds only white
// space (obsolete syntax, RFC 5322 4.2), and a long run of spaces makes a long piece, which
// callers bound like a long word.
inline std::vector<std::string_view> fold_pieces(std::string_view text) {
    std::vector<std::string_view> pieces;
    std::size_t start = 0;
    bool has_text = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != ' ') {
            has_text = has_text || text[i] != '\t';
            continue;
        }
        if (!has_text)
            continue;
        const auto next = text.find_first_not_of(" \t", i);
        if (next == std::string_view::npos)
            break; // white space to the end: it stays with the last piece
        pieces.push_back(text.substr(start, i - start));
        start = i + 1;
        has_text = false;
    }
    pieces.push_back(text.substr(start));
    return pieces;
}

// The longest piece of `text` that fold_pieces never splits.
inline std::size_t longest_fold_piece(std::string_view text) {
    std::size_t longest = 0;
    for (auto piece : fold_pieces(text))
        longest = std::max(longest, piece.size());
    return longest;
}

// Writes `text` as it is, folding only at its spaces.
inline void write_words(header_writer& w, std::string_view text) {
    for (auto piece : fold_pieces(text))
        w.word(piece);
}

// The longest word a plain (unencoded) header text may hold: with a field name of at most
// max_field_name characters before it, a line stays under 998 octets.
inline constexpr std::size_t max_field_name = 76;
inline constexpr std::size_t max_plain_word = 900;

// Whether `text` can be written as it is, split into words at single spaces: printable ASCII,
// no leading, trailing or doubled space (a fold would not keep them), no word too long, and
// nothing a reader would take for an encoded word.
inline bool is_plain_header_text(std::string_view text) noexcept {
    if (text.empty() || text.front() == ' ' || text.back() == ' ' ||
        text.find("  ") != std::string_view::npos || text.find("=?") != std::string_view::npos)
        return false;
    std::size_t word = 0;
    for (char c : text) {
        if (c < 0x20 || c > 0x7e)
            return false;
        word = c == ' ' ? 0 : word + 1;
        if (word > max_plain_word)
            return false;
    }
    return true;
}

// Writes `text` (UTF-8 without CR or LF) as the body of an unstructured field such as Subject:
// plain words when it can, else encoded words.
inline void write_unstructured(header_writer& w, std::string_view text) {
    if (!is_plain_header_text(text)) {
        write_encoded_words(w, text);
        return;
    }
    write_words(w, text);
}

// Whether a custom field's value goes as it is: printable ASCII and tabs. Anything else is
// written as encoded words.
inline bool is_verbatim_value(std::string_view value) noexcept {
    return std::all_of(value.begin(), value.end(),
                       [](char c) { return (c >= 0x20 && c <= 0x7e) || c == '\t'; });
}

// Writes a custom field's value (UTF-8 without CR, LF or NUL). Printable ASCII goes exactly as
// given, split at its spaces so that it can fold (unfolding gives it back): a structured field
// such as List-Unsubscribe must not be encoded. Other text goes as encoded words.
inline void write_custom_value(header_writer& w, std::string_view value) {
    if (!is_verbatim_value(value)) {
        write_encoded_words(w, value);
        return;
    }
    write_words(w, value);
}

// Writes a display name (UTF-8 without control characters). Printable ASCII goes as atoms
// when it has only atext and single spaces, else as one quoted string, which may fold at its
// spaces. Otherwise words that are atoms stay plain and each run of other words becomes
// encoded words: a reader keeps the space between an encoded word and a plain one, and drops
// it between two encoded words, so the spaces of a run are encoded inside it.
inline void write_phrase(header_writer& w, std::string_view name) {
    const bool printable =
        std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
    auto is_atom = [](std::string_view word) {
        return !word.empty() && word.find("=?") == std::string_view::npos &&
               word.size() <= max_plain_word &&
               std::all_of(word.begin(), word.end(), cfmail::detail::is_atext);
    };
    const std::vector<std::string_view> words = words_of(name);
    if (printable && std::all_of(words.begin(), words.end(), is_atom)) {
        for (auto word : words)
            w.word(word);
        return;
    }
    // One quoted string when its pieces fit a line; escapes count (a word of quotes doubles in
    // length), and so do the extra spaces a piece carries.
    if (printable && name.find("=?") == std::string_view::npos) {
        std::string quoted = "\"";
        for (char c : name) {
            if (c == '"' || c == '\\')
                quoted += '\\';
            quoted += c;
        }
        quoted += '"';
        // A fold between words inside the quotes is folding white space, which readers unfold.
        const auto pieces = fold_pieces(quoted);
        if (std::all_of(pieces.begin(), pieces.end(),
                        [](std::string_view piece) { return piece.size() <= max_plain_word; })) {
            for (auto piece : pieces)
                w.word(piece);
            return;
        }
    }
    // Extra spaces go into a run: the one after them, or the last one for trailing spaces.
    auto stays_plain = [&](std::size_t k) {
        return is_atom(words[k]) && (k == 0 || !words[k - 1].empty()) &&
               !(k + 2 == words.size() && words[k + 1].empty());
    };
    for (std::size_t i = 0; i < words.size();) {
        if (stays_plain(i)) {
            w.word(words[i++]);
            continue;
        }
        std::size_t end = i + 1;
        while (end < words.size() && !stays_plain(end))
            ++end;
        const auto* first = words[i].data();
        const auto* last = words[end - 1].data() + words[end - 1].size();
        write_encoded_words(w, std::string_view(first, static_cast<std::size_t>(last - first)));
        i = end;
    }
}

// RFC 2231 attribute-char: what an extended parameter value carries without a percent escape.
inline bool is_attribute_char(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// The longest quoted parameter value written as it is; longer ones are split as RFC 2231
// continuations to keep to fold_column.
inline constexpr std::size_t max_quoted_parameter = 60;
// The longest value section of one RFC 2231 continuation.
inline constexpr std::size_t max_parameter_section = 60;

// Writes `attribute=value` for a MIME parameter (UTF-8 value, no control character): a quoted
// string when it is short printable ASCII, else RFC 2231 `attribute*=UTF-8''...`, split into
// numbered sections between whole characters when long. `last` leaves off the `;`.
inline void write_parameter(header_writer& w, std::string_view attribute, std::string_view value,
                            bool last) {
    // A quoted value with `=?` could be read as an encoded word by lenient readers.
    const bool quotable =
        value.size() <= max_quoted_parameter && value.find("=?") == std::string_view::npos &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
    std::string word;
    if (quotable) {
        word.append(attribute).append("=\"");
        for (char c : value) {
            if (c == '"' || c == '\\')
                word += '\\';
            word += c;
        }
        word += '"';
        if (!last)
            word += ';';
        w.word(word);
        return;
    }
    std::vector<std::string> parts;
    std::string section;
    for (std::size_t i = 0; i < value.size();) {
        const std::size_t len = utf8_sequence_length(static_cast<unsigned char>(value[i]));
        std::string encoded;
        for (std::size_t k = 0; k < len; ++k) {
            const auto c = static_cast<unsigned char>(value[i + k]);
            if (is_attribute_char(c))
                encoded += static_cast<char>(c);
            else
                append_hex_escape(encoded, '%', c);
        }
        if (!section.empty() && section.size() + encoded.size() > max_parameter_section) {
            parts.push_back(std::move(section));
            section.clear();
        }
        section += encoded;
        i += len;
    }
    parts.push_back(std::move(section));
    for (std::size_t n = 0; n < parts.size(); ++n) {
        word.assign(attribute);
        if (parts.size() > 1)
            word.append("*").append(std::to_string(n));
        word.append(n == 0 ? "*=UTF-8''" : "*=").append(parts[n]);
        if (!last || n + 1 != parts.size())
            word += ';';
        w.word(word);
    }
}

// The printable ASCII stand-in of a file name for readers that know no RFC 2231: each
// character outside printable ASCII becomes '_'.
inline std::string ascii_fallback(std::string_view utf8) {
    std::string out;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        const std::size_t len = utf8_sequence_length(c);
        out += c >= 0x20 && c <= 0x7e ? static_cast<char>(c) : '_';
        i += len;
    }
    return out;
}

// Text with CRLF line ends, as MIME's canonical form of text has them: a lone LF or CR becomes
// CRLF. Non-empty text that does not end in a line break gets one.
inline std::string canonical_text(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 16 + 2);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r' || c == '\n') {
            out += "\r\n";
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
        } else {
            out += c;
        }
    }
    if (!out.empty() && out.back() != '\n')
        out += "\r\n";
    return out;
}

// Whether canonical text can go as 7bit: ASCII without NUL, every line at most 998 octets.
inline bool fits_7bit(std::string_view canonical) noexcept {
    std::size_t line = 0;
    for (char c : canonical) {
        const auto u = static_cast<unsigned char>(c);
        if (u == 0 || u > 0x7f)
            return false;
        line = c == '\n' ? 0 : c == '\r' ? line : line + 1;
        if (line > 998)
            return false;
    }
    return true;
}

// Quoted-printable (RFC 2045 6.7) of canonical text: its CRLFs stay hard line breaks, soft
// breaks keep every line at body_line_length, and white space before a break is escaped.
inline std::string quoted_printable(std::string_view canonical) {
    std::string out;
    out.reserve(canonical.size() + canonical.size() / 4);
    std::size_t column = 0;
    char token[3];
    for (std::size_t i = 0; i < canonical.size(); ++i) {
        const auto c = static_cast<unsigned char>(canonical[i]);
        if (c == '\r' && i + 1 < canonical.size() && canonical[i + 1] == '\n') {
            out += "\r\n";
            column = 0;
            ++i;
            continue;
        }
        const bool line_ends = i + 1 == canonical.size() || canonical[i + 1] == '\r';
        std::size_t size = 1;
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_ends)) {
            token[0] = static_cast<char>(c);
        } else {
            static constexpr char hex[] = "0123456789ABCDEF";
            token[0] = '=';
            token[1] = hex[c >> 4];
            token[2] = hex[c & 15];
            size = 3;
        }
        // A line may reach body_line_length only with its last character; any other needs
        // room for the soft break's '='.
        if (column + size > (line_ends ? body_line_length : body_line_length - 1)) {
            out += "=\r\n";
            column = 0;
        }
        out.append(token, size);
        column += size;
    }
    return out;
}

// The size of `n` bytes in base64 lines of body_line_length, without a final line break.
inline std::size_t base64_lines_size(std::size_t n) noexcept {
    const std::size_t chars = 4 * ((n + 2) / 3);
    return chars == 0 ? 0 : chars + 2 * ((chars - 1) / body_line_length);
}

// Appends `data` as base64 in lines of body_line_length (57 input bytes each), without a
// final line break. `out` should have room reserved: this is the one pass over an attachment.
inline void append_base64_lines(std::string& out, std::string_view data) {
    constexpr std::size_t bytes_per_line = body_line_length / 4 * 3;
    for (std::size_t i = 0; i < data.size(); i += bytes_per_line) {
        if (i != 0)
            out += "\r\n";
        append_base64(out, data.substr(i, bytes_per_line));
    }
}

} // namespace cfmail::mime::detail

#endif
