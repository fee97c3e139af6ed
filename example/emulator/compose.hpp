// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_EMULATOR_COMPOSE_HPP
#define CFMAIL_EMULATOR_COMPOSE_HPP

// The structured send (`POST .../email/sending/send`) without HTTP: reading its JSON body, and
// writing the RFC 5322 message the emulator stores for it (with cfmail::mime::message).

#include "suppressions.hpp"

#include <cfmail/mime.hpp>

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

// An address and its display name (never empty), as cfmail itself has them.
using mailbox = cfmail::mailbox;

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

// Whether `s` holds a control character (HTAB allowed when `tab_ok`): none may reach a header,
// where CR or LF would start another field.
inline bool has_control(std::string_view s, bool tab_ok) {
    return std::any_of(s.begin(), s.end(), [tab_ok](char c) {
        return (c >= 0 && c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7f;
    });
}

// Characters, not bytes: the JSON parser has already checked that strings are UTF-8.
inline std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
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

// The RFC 5322 message for `m`, written by cfmail::mime::message as cfmail itself would: Bcc
// in no header, inline parts with the HTML (as attachments when there is none). Returns what
// the builder refuses in `m` (a field the API's schema lets through), or nothing.
inline std::optional<std::string> compose(const structured_message& m, std::string_view message_id,
                                          timestamp date, std::string& out) {
    cfmail::mime::message message;
    message.from(m.from).to(m.to).cc(m.cc).bcc(m.bcc).subject(m.subject);
    if (m.reply_to)
        message.reply_to(*m.reply_to);
    if (!m.text.empty())
        message.text(m.text);
    if (!m.html.empty())
        message.html(m.html);
    for (const auto& [name, value] : m.headers)
        message.header(name, value);
    for (const auto& a : m.attachments) {
        if (a.is_inline && !m.html.empty())
            message.inline_image(a.content_id, a.content, a.type, a.filename);
        else
            message.attach_file(a.filename, a.content, a.type);
    }
    message.date(std::chrono::time_point_cast<std::chrono::system_clock::duration>(date))
        .message_id(std::string(message_id));
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    out = message.to_string(ec, diag);
    if (ec)
        return diag.detail;
    return std::nullopt;
}

} // namespace cfmail_emulator

#endif
