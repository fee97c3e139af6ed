// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_VALIDATION_IPP
#define CFMAIL_IMPL_VALIDATION_IPP

// The checks every operation's inputs go through before anything is sent: account ids,
// addresses, MIME text, header values. Each failure names the field and says why.

#include <cfmail/credentials.hpp>
#include <cfmail/detail/rfc5322.hpp>
#include <cfmail/detail/text_scan.hpp>
#include <cfmail/error_code.hpp>
#include <cfmail/impl/http_message.ipp>
#include <cfmail/options.hpp>
#include <cfmail/types.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace cfmail::detail {

inline boost::system::error_code invalid(std::string& why, std::string text) {
    why = std::move(text);
    return error::invalid_request;
}

// A value that becomes one path segment (an account id, a suppression id): it is
// percent-encoded anyway, but one that could only be a mistake, or an attempt to reach another
// path, is refused before anything is sent.
inline boost::system::error_code validate_path_segment(const char* field, std::string_view id,
                                                       std::size_t max_size, bool ascii_only,
                                                       std::string& why) {
    const std::string name(field);
    if (id.empty())
        return invalid(why, name + ": empty");
    if (id.size() > max_size)
        return invalid(why, name + ": longer than " + std::to_string(max_size) + " characters");
    for (char c : id) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f)
            return invalid(why, name + ": contains whitespace or a control character");
        if (ascii_only && u > 0x7f)
            return invalid(why, name + ": contains a byte outside ASCII");
        if (c == '/' || c == '?' || c == '#' || c == '%' || c == '\\')
            return invalid(why, name + ": contains '" + c + "'");
    }
    if (id == "." || id.find("..") != std::string_view::npos)
        return invalid(why, name + ": contains a dot segment");
    return {};
}

inline boost::system::error_code validate_account_id(std::string_view id, std::string& why) {
    return validate_path_segment("account_id", id, 128, false, why);
}

inline bool is_domain_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

// Dotted-quad IPv4, as in an address literal.
inline bool is_ipv4_literal(std::string_view s) noexcept {
    int parts = 0;
    while (!s.empty()) {
        const auto dot = s.find('.');
        const auto part = s.substr(0, dot);
        unsigned value = 256;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || part.size() > 3 || ec != std::errc{} ||
            end != part.data() + part.size() || value > 255 || ++parts > 4)
            return false;
        if (dot == std::string_view::npos)
            break;
        s.remove_prefix(dot + 1);
        if (s.empty())
            return false; // a trailing dot
    }
    return parts == 4;
}

// The inside of an RFC 5321 address literal: IPv4, or `tag:content` (IPv6 is the tag
// `IPv6`) with a letter-digit-hyphen tag and printable content without brackets or `\`.
inline bool is_address_literal(std::string_view content) noexcept {
    if (is_ipv4_literal(content))
        return true;
    const auto colon = content.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == content.size())
        return false;
    const auto tag = content.substr(0, colon);
    const auto rest = content.substr(colon + 1);
    auto ldh = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-';
    };
    return std::all_of(tag.begin(), tag.end(), ldh) && tag.back() != '-' &&
           rest.find_first_of("[]\\ ") == std::string_view::npos;
}

// An SMTP envelope address (RFC 5321 Mailbox) in printable ASCII: a dot-atom or quoted local
// part, '@', and a domain name or an address literal in brackets.
inline boost::system::error_code validate_address(std::string_view field, std::string_view addr,
                                                  std::string& why) {
    const std::string name(field);
    if (addr.empty())
        return invalid(why, name + ": empty");
    if (addr.size() > 320)
        return invalid(why, name + ": longer than 320 characters");
    for (char c : addr) {
        if (c == '\r' || c == '\n')
            return invalid(why, name + ": contains CR or LF");
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e)
            return invalid(why, name + ": contains a character outside printable ASCII");
    }
    const auto at = addr.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == addr.size())
        return invalid(why, name + ": not an address of the form local@domain");
    const auto local = addr.substr(0, at);
    const auto domain = addr.substr(at + 1);

    if (local.front() == '"') {
        // RFC 5321 4.1.2: qtextSMTP or a backslash and one printable character, so that the
        // quotes close where they seem to and no address can hide another in a header.
        bool closed = false;
        for (std::size_t i = 1; i < local.size(); ++i) {
            if (local[i] == '\\' && i + 1 < local.size()) {
                ++i;
            } else if (local[i] == '"') {
                closed = i + 1 == local.size();
                break;
            }
        }
        if (local.size() < 2 || !closed)
            return invalid(why, name + ": the quoted local part does not close at its end (a "
                                       "quote or backslash inside needs a backslash before it)");
    } else if (!std::all_of(local.begin(), local.end(), is_dot_atom_char) || local.front() == '.' ||
               local.back() == '.' || local.find("..") != std::string_view::npos) {
        return invalid(why, name + ": the local part is not a valid dot-atom (pass the bare "
                                   "address, without a display name or angle brackets)");
    }

    if (local.size() > 64)
        return invalid(why, name + ": the local part is longer than 64 characters");
    if (domain.front() == '[' || domain.back() == ']') {
        // An address literal (RFC 5321 4.1.3): [IPv4], [IPv6:...] or [tag:content].
        const auto content = domain.size() >= 2 && domain.front() == '[' && domain.back() == ']'
                                 ? domain.substr(1, domain.size() - 2)
                                 : std::string_view();
        if (!is_address_literal(content))
            return invalid(why, name + ": the address literal is empty or malformed");
        return {};
    }
    if (domain.size() > 253 || !std::all_of(domain.begin(), domain.end(), is_domain_char))
        return invalid(why, name + ": the domain is not a valid host name");
    // Every label: 1 to 63 letters, digits or hyphens, neither starting nor ending with one.
    for (std::size_t start = 0; start <= domain.size();) {
        auto dot = domain.find('.', start);
        if (dot == std::string_view::npos)
            dot = domain.size();
        const auto label = domain.substr(start, dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return invalid(why, name + ": the domain is not a valid host name (label \"" +
                                    std::string(label) + "\")");
        start = dot + 1;
    }
    return {};
}

inline boost::system::error_code validate_mime(std::string_view mime, std::size_t limit,
                                               std::string& why) {
    if (mime.empty())
        return invalid(why, "mime_message: empty");
    if (mime.size() > limit)
        return invalid(why, "mime_message: " + std::to_string(mime.size()) +
                                " bytes, more than the limit of " + std::to_string(limit));
    const auto colon = mime.find(':');
    const auto first_eol = mime.find_first_of("\r\n");
    if (colon == 0 || colon == std::string_view::npos || colon > first_eol ||
        !std::all_of(mime.begin(), mime.begin() + static_cast<std::ptrdiff_t>(colon),
                     [](char c) { return c > 0x20 && c < 0x7f; }))
        return invalid(why, "mime_message: does not start with a header field (Name: value)");
    if (mime.find("\r\n\r\n") == std::string_view::npos &&
        mime.find("\n\n") == std::string_view::npos)
        return invalid(why, "mime_message: no empty line ends the header block");
    const auto scan = scan_mime(mime);
    if (scan.invalid_utf8 != std::string_view::npos)
        return invalid(why, "mime_message: not valid UTF-8 at byte " +
                                std::to_string(scan.invalid_utf8) +
                                " (encode 8-bit content with a Content-Transfer-Encoding)");
    if (const auto line = scan.overlong_line)
        return invalid(why, "mime_message: line " + std::to_string(*line) + " is longer than " +
                                std::to_string(max_mime_line_length) +
                                " octets (RFC 5322; wrap it, or use a transfer encoding "
                                "such as base64 or quoted-printable)");
    return {};
}

// UTF-8 text without control characters (a tab allowed where `tab_ok`).
inline boost::system::error_code validate_text(const std::string& field, std::string_view text,
                                               bool tab_ok, std::string& why) {
    if (find_invalid_utf8(text) != std::string_view::npos)
        return invalid(why, field + ": not valid UTF-8");
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && !(tab_ok && c == '\t')) || u == 0x7f)
            return invalid(why, field + ": contains a control character (CR, LF, NUL, ...)");
    }
    return {};
}

inline boost::system::error_code validate_mailbox(const std::string& field, const mailbox& box,
                                                  std::string& why) {
    if (auto ec = validate_address(field + ".address", box.address, why))
        return ec;
    if (box.name)
        return validate_text(field + ".name", *box.name, false, why);
    return {};
}

// An RFC 5322 field name: printable ASCII but the colon.
inline bool is_field_name(std::string_view name) noexcept {
    return !name.empty() && std::all_of(name.begin(), name.end(),
                                        [](char c) { return c > 0x20 && c < 0x7f && c != ':'; });
}

// The fields the API writes itself, which a custom header must not replace.
inline bool is_api_owned_header(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 11> owned = {"From",
                                                               "To",
                                                               "Cc",
                                                               "Bcc",
                                                               "Subject",
                                                               "Reply-To",
                                                               "Content-Type",
                                                               "MIME-Version",
                                                               "Date",
                                                               "Message-ID",
                                                               "Content-Transfer-Encoding"};
    return std::any_of(owned.begin(), owned.end(),
                       [&](std::string_view o) { return ascii_iequals(o, name); });
}

// A MIME type of the form type/subtype, each an RFC 2045 token.
inline bool is_mime_type(std::string_view type) noexcept {
    auto token = [](std::string_view t) {
        return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
            return c > 0x20 && c < 0x7f && std::strchr("()<>@,;:\\\"/[]?=", c) == nullptr;
        });
    };
    const auto slash = type.find('/');
    return slash != std::string_view::npos && token(type.substr(0, slash)) &&
           token(type.substr(slash + 1));
}

// The envelope of a send_raw: sender and recipients under the client's limits.
inline boost::system::error_code validate_addresses(const send_raw_request& req,
                                                    const client_options& opts, std::string& why) {
    if (auto ec = validate_address("from", req.from, why))
        return ec;
    if (req.recipients.empty())
        return invalid(why, "recipients: empty, at least one is required");
    if (req.recipients.size() > opts.max_recipients)
        return invalid(why, "recipients: " + std::to_string(req.recipients.size()) +
                                " addresses, at most " + std::to_string(opts.max_recipients) +
                                " allowed");
    for (std::size_t i = 0; i < req.recipients.size(); ++i) {
        if (auto ec =
                validate_address("recipients[" + std::to_string(i) + "]", req.recipients[i], why))
            return ec;
    }
    return {};
}

// The envelope of a send_raw and its account id.
inline boost::system::error_code validate_envelope(const send_raw_request& req,
                                                   const client_options& opts, std::string& why) {
    if (auto ec = validate_account_id(req.account_id, why))
        return ec;
    return validate_addresses(req, opts, why);
}

inline bool is_header_value_safe(std::string_view value) noexcept {
    return std::all_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u != 0x7f;
    });
}

// Values that go into header fields must not be able to split the request.
inline boost::system::error_code
validate_header_inputs(const credentials& creds, const client_options& opts, std::string& why) {
    if (auto token = creds.token()) {
        if (token->token.empty() || !is_header_value_safe(token->token))
            return invalid(why, "credentials: the API token is empty or has a control character");
    } else if (auto key = creds.key()) {
        if (key->email.empty() || key->key.empty() || !is_header_value_safe(key->email) ||
            !is_header_value_safe(key->key))
            return invalid(why, "credentials: the email or key is empty or has a control "
                                "character");
    }
    if (!is_header_value_safe(opts.user_agent))
        return invalid(why, "user_agent: has a control character");
    return {};
}

} // namespace cfmail::detail

#endif
