// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_HTTP_MESSAGE_IPP
#define CFMAIL_IMPL_HTTP_MESSAGE_IPP

#include <cfmail/detail/json_escape.hpp>
#include <cfmail/http_message.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace cfmail {

namespace detail {
// Header names are ASCII; std::tolower would consult the locale.
inline bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        unsigned char x = static_cast<unsigned char>(a[i]);
        unsigned char y = static_cast<unsigned char>(b[i]);
        if (static_cast<unsigned>(x - 'A') < 26u)
            x += 'a' - 'A';
        if (static_cast<unsigned>(y - 'A') < 26u)
            y += 'a' - 'A';
        if (x != y)
            return false;
    }
    return true;
}
} // namespace detail

CFMAIL_DECL std::string_view find_header(const std::vector<http_header>& headers,
                                         std::string_view name) noexcept {
    for (const auto& field : headers) {
        if (detail::ascii_iequals(field.name, name))
            return field.value;
    }
    return {};
}

namespace detail {
inline std::size_t base64_size(std::size_t n) noexcept {
    return (n + 2) / 3 * 4;
}

// Encodes whole groups of three bytes (and a padded last group) with OpenSSL; `out` needs
// room for the encoding plus the NUL that EVP_EncodeBlock writes after it.
inline std::size_t encode_base64(char* out, const char* in, std::size_t n) noexcept {
    return static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out),
                                                    reinterpret_cast<const unsigned char*>(in),
                                                    static_cast<int>(n)));
}
} // namespace detail

CFMAIL_DECL void request_body::append_json_string(std::string_view value) {
    detail::append_json_string(text_, value);
}

CFMAIL_DECL void request_body::stream_json_string(std::string_view value) {
    if (streaming_)
        parts_.push_back({text_.size(), body_encoding::json_string, value});
    else
        detail::append_json_string(text_, value);
}

CFMAIL_DECL void request_body::stream_base64(std::string_view value) {
    if (streaming_) {
        parts_.push_back({text_.size(), body_encoding::base64, value});
        return;
    }
    // In slices, so that the length handed to OpenSSL always fits its int.
    constexpr std::size_t slice = 3 * 1024 * 1024;
    const std::size_t start = text_.size();
    text_.resize(start + detail::base64_size(value.size()) + 1);
    char* out = text_.data() + start;
    for (std::size_t done = 0; done < value.size(); done += slice)
        out +=
            detail::encode_base64(out, value.data() + done, std::min(slice, value.size() - done));
    text_.pop_back(); // the NUL
}

CFMAIL_DECL std::size_t request_body::size() const noexcept {
    std::size_t n = text_.size();
    for (const auto& part : parts_) {
        n += part.encoding == body_encoding::json_string ? detail::json_escaped_size(part.value) + 2
                                                         : detail::base64_size(part.value.size());
    }
    return n;
}

CFMAIL_DECL std::string request_body::to_string() const {
    if (contiguous())
        return text_;
    std::string out(size(), '\0');
    reader r(*this);
    std::size_t written = 0;
    while (!r.done()) {
        const std::size_t n = r.read(out.data() + written, out.size() - written);
        if (n == 0)
            break; // cannot happen with an exact size; never spin
        written += n;
    }
    return out;
}

CFMAIL_DECL std::size_t request_body::reader::emit_pending(char*& out, char* limit) noexcept {
    const std::size_t n =
        std::min<std::size_t>(pending_size_ - pending_pos_, static_cast<std::size_t>(limit - out));
    if (n != 0)
        std::memcpy(out, pending_ + pending_pos_, n);
    out += n;
    pending_pos_ = static_cast<unsigned char>(pending_pos_ + n);
    if (pending_pos_ == pending_size_)
        pending_size_ = pending_pos_ = 0;
    return n;
}

// Encodes as much of `part` as fits; true once the whole part is out.
CFMAIL_DECL bool request_body::reader::encode_part(const streamed_part& part, char*& out,
                                                   char* limit) noexcept {
    const char* p = part.value.data() + value_pos_;
    const char* const end = part.value.data() + part.value.size();
    if (part.encoding == body_encoding::base64) {
        while (p != end && out != limit) {
            const std::size_t groups =
                std::min<std::size_t>(std::size_t(end - p + 2) / 3,
                                      limit - out > 4 ? std::size_t(limit - out - 1) / 4 : 0);
            if (groups == 0) {
                // Less room than a group and its NUL: encode one aside, hand out what fits.
                const std::size_t take = std::min<std::size_t>(3, std::size_t(end - p));
                pending_size_ =
                    static_cast<unsigned char>(detail::encode_base64(pending_, p, take));
                pending_pos_ = 0;
                p += take;
                emit_pending(out, limit);
                break;
            }
            const std::size_t take = std::min(groups * 3, std::size_t(end - p));
            out += detail::encode_base64(out, p, take);
            p += take;
        }
        value_pos_ = std::size_t(p - part.value.data());
        return p == end && pending_size_ == 0;
    }

    if (!opened_) {
        if (out == limit)
            return false;
        *out++ = '"';
        opened_ = true;
    }
    while (p != end && out != limit) {
        const char* special = detail::find_json_special(
            p, p + std::min(std::size_t(end - p), std::size_t(limit - out)));
        std::memcpy(out, p, std::size_t(special - p));
        out += special - p;
        p = special;
        if (p == end || out == limit)
            break;
        const auto c = static_cast<unsigned char>(*p++);
        if (out + detail::json_escaped_length(c) <= limit) {
            out = detail::write_json_escape(out, c);
            continue;
        }
        pending_size_ =
            static_cast<unsigned char>(detail::write_json_escape(pending_, c) - pending_);
        pending_pos_ = 0;
        emit_pending(out, limit);
        break;
    }
    value_pos_ = std::size_t(p - part.value.data());
    if (p != end || pending_size_ != 0 || out == limit)
        return false;
    *out++ = '"';
    opened_ = false;
    return true;
}

CFMAIL_DECL std::size_t request_body::reader::read(char* out, std::size_t room) noexcept {
    char* o = out;
    char* const limit = out + room;
    const std::string& text = body_->text_;
    const auto& parts = body_->parts_;
    while (!done_) {
        if (pending_size_ != 0) {
            emit_pending(o, limit);
            if (pending_size_ != 0)
                break;
        }
        const std::size_t literal_end = part_ < parts.size() ? parts[part_].offset : text.size();
        if (text_pos_ < literal_end) {
            const std::size_t n = std::min(literal_end - text_pos_, std::size_t(limit - o));
            if (n == 0)
                break;
            std::memcpy(o, text.data() + text_pos_, n);
            o += n;
            text_pos_ += n;
            continue;
        }
        if (part_ == parts.size()) {
            done_ = true;
            break;
        }
        if (!encode_part(parts[part_], o, limit))
            break;
        ++part_;
        value_pos_ = 0;
    }
    return std::size_t(o - out);
}

} // namespace cfmail

#endif
