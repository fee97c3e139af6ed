// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_EMULATOR_COMPOSE_HPP
#define CFMAIL_EMULATOR_COMPOSE_HPP

// The structured send (`POST .../email/sending/send`) without HTTP: reading its JSON body, and
// writing the RFC 5322 message the emulator stores for it.

#include "suppressions.hpp"

#include <boost/json.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cfmail_emulator {

struct mailbox {
    std::string address;
    std::optional<std::string> name; // never empty
};

struct attachment {
    std::string content; // decoded
    std::string filename;
    std::string type;
    bool is_inline = false;
    std::string content_id; // without angle brackets; only when inline
};

struct structured_message {
    mailbox from;
    std::string subject;
    std::vector<mailbox> to, cc, bcc;
    std::optional<mailbox> reply_to;
    std::string text, html; // empty: absent
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<attachment> attachments;

    // The envelope recipients: To, then Cc, then Bcc.
    std::vector<std::string> recipients() const {
        std::vector<std::string> out;
        for (const auto* list : {&to, &cc, &bcc}) {
            for (const auto& m : *list)
                out.push_back(m.address);
        }
        return out;
    }
};

// Why a /send body was refused: a schema error, or a message over the size limit.
struct send_problem {
    bool too_big = false;
    std::string message; // for a schema error, what is wrong
};

namespace detail {

inline std::string base64(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0'); // EVP_EncodeBlock adds a NUL
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n > 0 ? n : 0));
    return out;
}

// The size `encoded` decodes to, when it is canonical base64: whole quads, padded, with no
// whitespace. EVP_DecodeBlock alone would skip some whitespace and miscount the padding.
inline std::optional<std::size_t> base64_decoded_size(std::string_view encoded) {
    if (encoded.size() % 4 != 0)
        return std::nullopt;
    std::size_t padding = 0;
    if (!encoded.empty() && encoded.back() == '=')
        padding = encoded.size() >= 2 && encoded[encoded.size() - 2] == '=' ? 2 : 1;
    for (std::size_t i = 0; i < encoded.size() - padding; ++i) {
        const char c = encoded[i];
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok)
            return std::nullopt;
    }
    return encoded.size() / 4 * 3 - padding;
}

inline std::string base64_decode(std::string_view encoded, std::size_t decoded_size) {
    std::string out(encoded.size() / 4 * 3 + 1, '\0');
    if (!encoded.empty())
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(encoded.data()),
                        static_cast<int>(encoded.size()));
    out.resize(decoded_size);
    return out;
}

// Base64 in lines of 76 characters, as MIME wants it (receivers refuse lines over 998).
inline std::string wrap76(std::string_view encoded) {
    std::string out;
    out.reserve(encoded.size() + encoded.size() / 76 * 2);
    for (std::size_t i = 0; i < encoded.size(); i += 76) {
        if (i != 0)
            out += "\r\n";
        out += encoded.substr(i, 76);
    }
    return out;
}

// Whether `s` holds a control character (HTAB allowed when `tab_ok`): none may reach a header,
// where CR or LF would start another field.
inline bool has_control(std::string_view s, bool tab_ok) {
    return std::any_of(s.begin(), s.end(), [tab_ok](char c) {
        return (c >= 0 && c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7f;
    });
}

inline bool plain_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Characters, not bytes: the JSON parser has already checked that strings are UTF-8.
inline std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// RFC 2047 encoded words, each at most 75 characters and never splitting a character, folded
// onto lines of their own.
inline std::string encoded_words(std::string_view utf8) {
    std::string out;
    for (std::size_t i = 0; i < utf8.size();) {
        std::size_t end = std::min(i + 45, utf8.size()); // 45 bytes: 60 base64 characters
        while (end < utf8.size() && end > i + 1 &&
               (static_cast<unsigned char>(utf8[end]) & 0xc0) == 0x80)
            --end;
        if (!out.empty())
            out += "\r\n ";
        out += "=?UTF-8?B?" + base64(utf8.substr(i, end - i)) + "?=";
        i = end;
    }
    return out;
}

// A display name: a quoted string when it is short ASCII, else encoded words.
inline std::string phrase(std::string_view name) {
    if (!plain_ascii(name) || name.size() > 200 || name.find("=?") != std::string_view::npos)
        return encoded_words(name);
    std::string out = "\"";
    for (char c : name) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + '"';
}

inline std::string render(const mailbox& m) {
    return m.name ? phrase(*m.name) + " <" + m.address + ">" : m.address;
}

inline std::string render(const std::vector<mailbox>& list) {
    std::string out;
    for (const auto& m : list) {
        if (!out.empty())
            out += ",\r\n "; // one address a line keeps 50 of them under the line limit
        out += render(m);
    }
    return out;
}

// A MIME parameter value: quoted when it is short plain ASCII, else RFC 2231 percent-encoded
// UTF-8 (`name*=UTF-8''...`).
inline std::string parameter(std::string_view name, std::string_view value) {
    if (plain_ascii(value) && value.size() <= 200 &&
        value.find_first_of("\"\\") == std::string_view::npos)
        return std::string(name) + "=\"" + std::string(value) + '"';
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out = std::string(name) + "*=UTF-8''";
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        const bool attr_char = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                               (u >= '0' && u <= '9') ||
                               std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
        if (attr_char) {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

// CRLF line ends, as MIME's canonical form of text has them.
inline std::string crlf_lines(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 32);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out += "\r\n";
            if (i + 1 < s.size() && s[i + 1] == '\n')
                ++i;
        } else if (s[i] == '\n') {
            out += "\r\n";
        } else {
            out += s[i];
        }
    }
    return out;
}

// Whether CRLF text can go as 7bit: ASCII without NUL, no line over 998 characters.
inline bool fits_7bit(std::string_view s) {
    std::size_t line = 0;
    for (char c : s) {
        if (c <= 0 || static_cast<unsigned char>(c) > 0x7f)
            return false;
        line = c == '\n' ? 0 : c == '\r' ? line : line + 1;
        if (line > 998)
            return false;
    }
    return true;
}

inline std::string rfc5322_date(timestamp t) {
    using namespace std::chrono;
    static constexpr std::array<const char*, 7> weekdays{"Sun", "Mon", "Tue", "Wed",
                                                         "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto midnight = floor<days>(t);
    const year_month_day date{midnight};
    const hh_mm_ss<seconds> time{floor<seconds>(t - midnight)};
    char out[64];
    std::snprintf(out, sizeof out, "%s, %02u %s %04d %02d:%02d:%02d +0000",
                  weekdays[weekday{midnight}.c_encoding()], static_cast<unsigned>(date.day()),
                  months[static_cast<unsigned>(date.month()) - 1], static_cast<int>(date.year()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    return out;
}

// A MIME entity: its header fields (each ending in CRLF) and its body.
struct part {
    std::string headers;
    std::string body;
};

inline part text_part(std::string_view subtype, std::string_view content) {
    const auto canonical = crlf_lines(content);
    const bool seven = fits_7bit(canonical);
    part p;
    p.headers = "Content-Type: text/" + std::string(subtype) +
                "; charset=utf-8\r\nContent-Transfer-Encoding: " + (seven ? "7bit" : "base64") +
                "\r\n";
    p.body = seven ? canonical : wrap76(base64(canonical));
    return p;
}

inline part attachment_part(const attachment& a) {
    part p;
    p.headers = "Content-Type: " + a.type + "; " + parameter("name", a.filename) + "\r\n" +
                "Content-Disposition: " + (a.is_inline ? "inline" : "attachment") + "; " +
                parameter("filename", a.filename) + "\r\n";
    if (a.is_inline)
        p.headers += "Content-ID: <" + a.content_id + ">\r\n";
    p.headers += "Content-Transfer-Encoding: base64\r\n";
    p.body = wrap76(base64(a.content));
    return p;
}

inline part multipart(std::string_view subtype, const std::vector<part>& children,
                      const std::string& boundary) {
    part p;
    p.headers =
        "Content-Type: multipart/" + std::string(subtype) + "; boundary=\"" + boundary + "\"\r\n";
    for (const auto& child : children)
        p.body += "--" + boundary + "\r\n" + child.headers + "\r\n" + child.body + "\r\n";
    p.body += "--" + boundary + "--";
    return p;
}

// Each reader below fills its output and returns what is wrong, or nothing.

inline std::optional<std::string> read_mailbox(const boost::json::value& v,
                                               const std::string& field, mailbox& out) {
    if (const auto* s = v.if_string()) {
        if (!valid_address(*s))
            return field + " is not a printable ASCII address";
        out.address.assign(s->data(), s->size());
        return std::nullopt;
    }
    const auto* o = v.if_object();
    if (!o)
        return field + " must be an address or an object {address, name}";
    for (const auto& f : *o) {
        if (f.key() != "address" && f.key() != "name")
            return field + " takes only address and name";
    }
    const auto* address = o->contains("address") ? o->at("address").if_string() : nullptr;
    if (!address)
        return field + ".address must be a string";
    if (!valid_address(*address))
        return field + ".address is not a printable ASCII address";
    out.address.assign(address->data(), address->size());
    if (const auto* name = o->if_contains("name"); name && !name->is_null()) {
        const auto* s = name->if_string();
        if (!s)
            return field + ".name must be a string or null";
        if (has_control(*s, false))
            return field + ".name holds a control character";
        if (!s->empty())
            out.name.emplace(s->data(), s->size());
    }
    return std::nullopt;
}

inline std::optional<std::string>
read_mailboxes(const boost::json::value& v, const std::string& field, std::vector<mailbox>& out) {
    if (const auto* list = v.if_array()) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            mailbox m;
            if (auto wrong = read_mailbox((*list)[i], field + "[" + std::to_string(i) + "]", m))
                return wrong;
            out.push_back(std::move(m));
        }
        return std::nullopt;
    }
    mailbox m;
    if (auto wrong = read_mailbox(v, field, m))
        return wrong;
    out.push_back(std::move(m));
    return std::nullopt;
}

// The header fields a request may not set: the API writes them itself.
inline bool owned_header(std::string_view name) {
    static constexpr std::string_view owned[] = {"from",
                                                 "to",
                                                 "cc",
                                                 "bcc",
                                                 "subject",
                                                 "reply-to",
                                                 "date",
                                                 "content-type",
                                                 "mime-version",
                                                 "message-id",
                                                 "content-transfer-encoding"};
    const auto lower = lowercase(name);
    return std::find(std::begin(owned), std::end(owned), lower) != std::end(owned);
}

// RFC 5322 field names: printable ASCII but the colon.
inline bool field_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(),
                                        [](char c) { return c > 0x20 && c < 0x7f && c != ':'; });
}

// A MIME type without parameters: type/subtype, each an RFC 9110 token.
inline bool mime_type(std::string_view t) {
    const auto slash = t.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == t.size())
        return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i == slash)
            continue;
        const char c = t[i];
        const bool tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') ||
                           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        if (!tchar)
            return false;
    }
    return true;
}

// An attachment as read, its content still encoded: decoding waits until the size is known
// to be within the limit.
struct pending_attachment {
    attachment meta;
    std::string_view encoded;
    std::size_t decoded_size = 0;
};

inline std::optional<std::string>
read_attachment(const boost::json::value& v, const std::string& field, pending_attachment& out) {
    const auto* o = v.if_object();
    if (!o)
        return field + " must be an object";
    for (const auto& f : *o) {
        const auto k = f.key();
        if (k != "content" && k != "filename" && k != "type" && k != "disposition" &&
            k != "content_id")
            return field + " has an unknown field " + std::string(k);
        if (!f.value().is_string())
            return field + "." + std::string(k) + " must be a string";
    }
    for (const char* required : {"content", "filename", "type", "disposition"}) {
        if (!o->contains(required))
            return field + "." + required + " is required";
    }
    const auto& content = o->at("content").get_string();
    const auto size = base64_decoded_size(content);
    if (!size)
        return field + ".content is not base64";
    out.encoded = content;
    out.decoded_size = *size;

    const auto& filename = o->at("filename").get_string();
    if (filename.empty() || filename.size() > 255 || has_control(filename, false))
        return field + ".filename must be 1 to 255 bytes without control characters";
    out.meta.filename.assign(filename.data(), filename.size());

    const auto& type = o->at("type").get_string();
    if (!mime_type(type))
        return field + ".type must be a MIME type such as application/pdf";
    out.meta.type.assign(type.data(), type.size());

    const auto& disposition = o->at("disposition").get_string();
    if (disposition != "attachment" && disposition != "inline")
        return field + ".disposition must be attachment or inline";
    out.meta.is_inline = disposition == "inline";
    const auto* cid = o->if_contains("content_id");
    if (!out.meta.is_inline) {
        if (cid)
            return field + ".content_id goes only with disposition inline";
        return std::nullopt;
    }
    if (!cid)
        return field + ".content_id is required with disposition inline";
    std::string_view id = cid->get_string();
    if (id.size() >= 2 && id.front() == '<' && id.back() == '>')
        id = id.substr(1, id.size() - 2);
    if (id.empty() || id.size() > 250 || !std::all_of(id.begin(), id.end(), [](char c) {
            return c > 0x20 && c < 0x7f && c != '<' && c != '>';
        }))
        return field + ".content_id must be printable ASCII without spaces or angle brackets";
    out.meta.content_id.assign(id);
    return std::nullopt;
}

} // namespace detail

// Reads a /send body into `out`. Returns nothing when it is a message the API would send.
inline std::optional<send_problem> read_send(const boost::json::value& body,
                                             std::size_t max_message_size,
                                             std::size_t max_recipients, structured_message& out) {
    auto wrong = [](std::string message) { return send_problem{false, std::move(message)}; };
    const auto* o = body.if_object();
    if (!o)
        return wrong("the body must be a JSON object");
    static constexpr std::string_view known[] = {
        "from", "subject", "to", "cc", "bcc", "reply_to", "text", "html", "headers", "attachments"};
    for (const auto& f : *o) {
        if (std::find(std::begin(known), std::end(known), std::string_view(f.key())) ==
            std::end(known))
            return wrong("unknown field " + std::string(f.key()));
    }

    if (!o->contains("from"))
        return wrong("from is required");
    if (auto problem = detail::read_mailbox(o->at("from"), "from", out.from))
        return wrong(*problem);

    const auto* subject = o->if_contains("subject");
    if (!subject || !subject->is_string())
        return wrong("subject is required and must be a string");
    const auto& s = subject->get_string();
    if (s.empty() || detail::utf8_length(s) > 998)
        return wrong("subject must be 1 to 998 characters");
    if (detail::has_control(s, true))
        return wrong("subject holds a control character");
    out.subject.assign(s.data(), s.size());

    bool any_list = false;
    using named_list = std::pair<const char*, std::vector<mailbox>*>;
    for (auto [name, list] :
         std::initializer_list<named_list>{{"to", &out.to}, {"cc", &out.cc}, {"bcc", &out.bcc}}) {
        if (const auto* v = o->if_contains(name)) {
            any_list = true;
            if (auto problem = detail::read_mailboxes(*v, name, *list))
                return wrong(*problem);
        }
    }
    if (!any_list)
        return wrong("to, cc or bcc is required");
    const auto count = out.to.size() + out.cc.size() + out.bcc.size();
    if (count == 0 || count > max_recipients)
        return wrong("1 to 50 recipients");

    if (const auto* v = o->if_contains("reply_to")) {
        mailbox m;
        if (auto problem = detail::read_mailbox(*v, "reply_to", m))
            return wrong(*problem);
        out.reply_to = std::move(m);
    }

    using named_text = std::pair<const char*, std::string*>;
    for (auto [name, text] :
         std::initializer_list<named_text>{{"text", &out.text}, {"html", &out.html}}) {
        if (const auto* v = o->if_contains(name)) {
            const auto* str = v->if_string();
            if (!str)
                return wrong(std::string(name) + " must be a string");
            text->assign(str->data(), str->size());
        }
    }
    if (out.text.empty() && out.html.empty())
        return wrong("text or html must be a non-empty string");

    if (const auto* v = o->if_contains("headers")) {
        const auto* fields = v->if_object();
        if (!fields)
            return wrong("headers must be an object of strings");
        std::size_t total = 0;
        for (const auto& f : *fields) {
            const std::string name(f.key());
            const auto* value = f.value().if_string();
            if (!value)
                return wrong("headers." + name + " must be a string");
            if (!detail::field_name(name))
                return wrong("header name " + name + " is not an RFC 5322 field name");
            if (detail::owned_header(name))
                return wrong("header " + name + " is set by the API");
            if (detail::has_control(*value, true))
                return wrong("header " + name + " holds a control character (CR, LF, ...)");
            const auto line = name.size() + 2 + value->size();
            if (line > 998)
                return wrong("header " + name + " is longer than 998 characters");
            total += line + 2;
            out.headers.emplace_back(name, std::string(value->data(), value->size()));
        }
        if (total > 16 * 1024)
            return wrong("custom headers exceed 16 KB");
    }

    std::vector<detail::pending_attachment> pending;
    if (const auto* v = o->if_contains("attachments")) {
        const auto* list = v->if_array();
        if (!list)
            return wrong("attachments must be an array");
        for (std::size_t i = 0; i < list->size(); ++i) {
            detail::pending_attachment a;
            if (auto problem = detail::read_attachment((*list)[i],
                                                       "attachments[" + std::to_string(i) + "]", a))
                return wrong(*problem);
            pending.push_back(std::move(a));
        }
    }

    std::size_t size = out.text.size() + out.html.size();
    for (const auto& a : pending)
        size += a.decoded_size;
    if (size > max_message_size)
        return send_problem{true, {}};
    for (auto& a : pending) {
        a.meta.content = detail::base64_decode(a.encoded, a.decoded_size);
        out.attachments.push_back(std::move(a.meta));
    }
    return std::nullopt;
}

// The RFC 5322 message for `m`: CRLF line ends, no line over 998 characters, Bcc in no header.
// Text and HTML go as multipart/alternative, inline attachments with the HTML as
// multipart/related, other attachments in multipart/mixed around them. `unique` (random, made
// per message) goes into the MIME boundaries, so no part can contain one unless it guessed it.
inline std::string compose(const structured_message& m, std::string_view message_id, timestamp date,
                           std::string_view unique) {
    using detail::part;
    int boundaries = 0;
    auto boundary = [&] {
        return "=_cfmail_" + std::string(unique) + "_" + std::to_string(boundaries++);
    };

    std::vector<part> inline_parts, attached;
    for (const auto& a : m.attachments)
        (a.is_inline && !m.html.empty() ? inline_parts : attached)
            .push_back(detail::attachment_part(a));

    std::optional<part> html;
    if (!m.html.empty()) {
        html = detail::text_part("html", m.html);
        if (!inline_parts.empty()) {
            inline_parts.insert(inline_parts.begin(), *html);
            html = detail::multipart("related", inline_parts, boundary());
        }
    }
    part body;
    if (!m.text.empty() && html)
        body = detail::multipart("alternative", {detail::text_part("plain", m.text), *html},
                                 boundary());
    else
        body = html ? *html : detail::text_part("plain", m.text);
    if (!attached.empty()) {
        attached.insert(attached.begin(), body);
        body = detail::multipart("mixed", attached, boundary());
    }

    std::string out = "From: " + detail::render(m.from) + "\r\n";
    if (!m.to.empty())
        out += "To: " + detail::render(m.to) + "\r\n";
    if (!m.cc.empty())
        out += "Cc: " + detail::render(m.cc) + "\r\n";
    if (m.reply_to)
        out += "Reply-To: " + detail::render(*m.reply_to) + "\r\n";
    const bool plain_subject = detail::plain_ascii(m.subject) &&
                               m.subject.find("=?") == std::string::npos &&
                               m.subject.size() <= 998 - 9;
    out += "Subject: " + (plain_subject ? m.subject : detail::encoded_words(m.subject)) + "\r\n";
    out += "Date: " + detail::rfc5322_date(date) + "\r\n";
    out += "Message-ID: " + std::string(message_id) + "\r\n";
    out += "MIME-Version: 1.0\r\n";
    for (const auto& [name, value] : m.headers)
        out += name + ": " + value + "\r\n";
    out += body.headers + "\r\n" + body.body;
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0)
        out += "\r\n";
    return out;
}

} // namespace cfmail_emulator

#endif
