// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_MIME_IPP
#define CFMAIL_IMPL_MIME_IPP

#include <cfmail/detail/mime_encoding.hpp>
#include <cfmail/error.hpp>
#include <cfmail/impl/validation.ipp>
#include <cfmail/mime.hpp>

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <random>
#include <unordered_set>

namespace cfmail::mime {

namespace detail {

using cfmail::detail::invalid;

// A MIME entity as it will be written: its header fields, and either its encoded body, the
// bytes to write as base64 lines, or its children.
struct entity {
    std::string head; // header fields, each ending in CRLF
    std::string body;
    const std::string* base64_source = nullptr;
    bool seven_bit = false;
    std::string multipart_subtype; // a multipart: its subtype, children, and, once chosen,
    std::string root_type;         // its boundary (with the head that names it)
    std::string boundary;
    std::vector<entity> children;

    // Octets of the body as written.
    std::size_t body_size() const noexcept {
        if (!boundary.empty()) {
            std::size_t n = 0;
            for (const auto& child : children)
                n += 2 + boundary.size() + 2 + child.size() + 2; // --b CRLF child CRLF
            return n + 2 + boundary.size() + 2;                  // --b--
        }
        return base64_source ? base64_lines_size(base64_source->size()) : body.size();
    }
    // Octets of the whole entity: head, blank line, body.
    std::size_t size() const noexcept { return head.size() + 2 + body_size(); }

    void write_body(std::string& out) const {
        if (!boundary.empty()) {
            for (const auto& child : children) {
                out.append("--").append(boundary).append("\r\n");
                out += child.head;
                out += "\r\n";
                child.write_body(out);
                out += "\r\n";
            }
            out.append("--").append(boundary).append("--");
        } else if (base64_source) {
            append_base64_lines(out, *base64_source);
        } else {
            out += body;
        }
    }
};

// Unpredictable bytes from OpenSSL; the standard library's device if it has none to give.
inline void random_bytes(unsigned char* out, std::size_t n) {
    if (RAND_bytes(out, static_cast<int>(n)) == 1)
        return;
    std::random_device device;
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<unsigned char>(device());
}

inline std::string random_hex(std::size_t bytes) {
    std::array<unsigned char, 32> raw{};
    bytes = std::min(bytes, raw.size());
    random_bytes(raw.data(), bytes);
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        static constexpr char hex[] = "0123456789abcdef";
        out += hex[raw[i] >> 4];
        out += hex[raw[i] & 15];
    }
    return out;
}

// A boundary no 7bit body of the message contains: base64 has no '_' and quoted-printable
// writes '=' only before two hex digits or a line break, so "=_" cannot occur in them.
inline std::string make_boundary(const std::vector<const std::string*>& seven_bit_bodies) {
    for (;;) {
        std::string boundary = "=_" + random_hex(16);
        const std::string delimiter = "--" + boundary;
        if (std::none_of(seven_bit_bodies.begin(), seven_bit_bodies.end(),
                         [&](const std::string* body) {
                             return body->find(delimiter) != std::string::npos;
                         }))
            return boundary;
    }
}

// A text body: canonical line ends, then 7bit when it fits, else the shorter of
// quoted-printable and base64.
inline entity text_entity(std::string_view subtype, std::string_view text) {
    entity e;
    std::string canonical = canonical_text(text);
    std::string_view encoding = "7bit";
    if (!fits_7bit(canonical)) {
        std::string qp = quoted_printable(canonical);
        if (qp.size() <= base64_lines_size(canonical.size())) {
            encoding = "quoted-printable";
            canonical = std::move(qp);
        } else {
            std::string b64;
            b64.reserve(base64_lines_size(canonical.size()));
            append_base64_lines(b64, canonical);
            if (!b64.empty())
                b64 += "\r\n";
            encoding = "base64";
            canonical = std::move(b64);
        }
    }
    e.seven_bit = encoding == "7bit";
    e.head.append("Content-Type: text/").append(subtype).append("; charset=utf-8\r\n");
    e.head.append("Content-Transfer-Encoding: ").append(encoding).append("\r\n");
    e.body = std::move(canonical);
    return e;
}

inline entity part_entity(const attachment& a) {
    entity e;
    header_writer w(e.head);
    const bool is_inline = a.disposition == content_disposition::inline_content;
    w.start("Content-Type");
    const std::string type = a.content_type.empty() ? "application/octet-stream" : a.content_type;
    if (a.filename.empty()) {
        w.word(type);
    } else {
        w.word(type + ";");
        write_parameter(w, "name", ascii_fallback(a.filename), true);
    }
    w.end();
    w.start("Content-Disposition");
    if (a.filename.empty()) {
        w.word(is_inline ? "inline" : "attachment");
    } else {
        w.word(is_inline ? "inline;" : "attachment;");
        write_parameter(w, "filename", a.filename, true);
    }
    w.end();
    if (is_inline) {
        w.start("Content-ID");
        w.word("<" + a.content_id + ">");
        w.end();
    }
    e.head += "Content-Transfer-Encoding: base64\r\n";
    e.base64_source = &a.content;
    return e;
}

// A multipart; its boundary is chosen once the whole tree stands (choose_boundaries).
inline entity multipart(std::string_view subtype, std::vector<entity> children,
                        std::string_view root_type = {}) {
    entity e;
    e.multipart_subtype = subtype;
    e.root_type = root_type;
    e.children = std::move(children);
    return e;
}

inline std::string content_type_of(const entity& e) {
    if (!e.multipart_subtype.empty())
        return "multipart/" + e.multipart_subtype;
    return e.head.substr(14, e.head.find_first_of(";\r") - 14); // after "Content-Type: "
}

inline void collect_seven_bit(const entity& e, std::vector<const std::string*>& out) {
    if (e.seven_bit)
        out.push_back(&e.body);
    for (const auto& child : e.children)
        collect_seven_bit(child, out);
}

// Gives every multipart of the finished tree a boundary that no 7bit body contains, and the
// head that names it.
inline void choose_boundaries(entity& e, const std::vector<const std::string*>& seven_bit) {
    if (e.multipart_subtype.empty())
        return;
    e.boundary = make_boundary(seven_bit);
    header_writer w(e.head);
    w.start("Content-Type");
    w.word("multipart/" + e.multipart_subtype + ";");
    if (!e.root_type.empty())
        w.word("type=\"" + e.root_type + "\";");
    w.word("boundary=\"" + e.boundary + "\"");
    w.end();
    for (auto& child : e.children)
        choose_boundaries(child, seven_bit);
}

// RFC 5322 3.3 date-time, `when` shown at `offset` from UTC.
inline std::string date_time(std::chrono::system_clock::time_point when,
                             std::chrono::minutes offset) {
    using namespace std::chrono;
    static constexpr std::array<const char*, 7> weekdays{"Sun", "Mon", "Tue", "Wed",
                                                         "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto local = floor<seconds>(when) + offset;
    const auto midnight = floor<days>(local);
    const year_month_day date{midnight};
    const hh_mm_ss<seconds> time{local - midnight};
    const auto off = std::abs(offset.count());
    char out[64];
    std::snprintf(out, sizeof out, "%s, %02u %s %04d %02d:%02d:%02d %c%02d%02d",
                  weekdays[weekday{midnight}.c_encoding()], static_cast<unsigned>(date.day()),
                  months[static_cast<unsigned>(date.month()) - 1], static_cast<int>(date.year()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()), offset.count() < 0 ? '-' : '+',
                  static_cast<int>(off / 60), static_cast<int>(off % 60));
    return out;
}

// The machine's offset from UTC at `when`.
inline std::chrono::minutes local_offset(std::chrono::system_clock::time_point when) {
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
#if defined(_WIN32)
    std::tm local{}, utc{};
    localtime_s(&local, &t);
    gmtime_s(&utc, &t);
    local.tm_isdst = 0;
    return std::chrono::duration_cast<std::chrono::minutes>(std::chrono::seconds(
        static_cast<long long>(std::difftime(std::mktime(&local), std::mktime(&utc)))));
#else
    std::tm local{};
    if (!localtime_r(&t, &local))
        return std::chrono::minutes(0);
    return std::chrono::duration_cast<std::chrono::minutes>(std::chrono::seconds(local.tm_gmtoff));
#endif
}

// A msg-id without its angle brackets: dot-atom-text '@' dot-atom-text or a domain literal.
inline bool is_message_id(std::string_view id) noexcept {
    const auto at = id.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == id.size() || id.size() > 900)
        return false;
    auto dot_atom = [](std::string_view s) {
        return !s.empty() && s.front() != '.' && s.back() != '.' &&
               s.find("..") == std::string_view::npos &&
               std::all_of(s.begin(), s.end(), cfmail::detail::is_dot_atom_char);
    };
    const auto right = id.substr(at + 1);
    const bool literal = right.size() >= 2 && right.front() == '[' && right.back() == ']' &&
                         std::all_of(right.begin() + 1, right.end() - 1, [](char c) {
                             return c > 0x20 && c < 0x7f && c != '[' && c != ']' && c != '\\';
                         });
    return dot_atom(id.substr(0, at)) && (literal || dot_atom(right));
}

// A Content-ID as mail readers look it up from `cid:`: atext, dots and '@'.
inline bool is_content_id(std::string_view id) noexcept {
    return !id.empty() && id.size() <= 250 && std::all_of(id.begin(), id.end(), [](char c) {
        return cfmail::detail::is_dot_atom_char(c) || c == '@';
    });
}

inline bool builder_owns(std::string_view name) noexcept {
    return cfmail::detail::is_api_owned_header(name) ||
           cfmail::detail::ascii_iequals(name, "Content-Disposition") ||
           cfmail::detail::ascii_iequals(name, "Content-ID");
}

inline boost::system::error_code
check_mailboxes(const char* field, const std::vector<mailbox>& list, std::string& why) {
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (auto ec = cfmail::detail::validate_mailbox(
                std::string(field) + "[" + std::to_string(i) + "]", list[i], why))
            return ec;
    }
    return {};
}

inline void write_mailboxes(std::string& out, const char* field, const std::vector<mailbox>& list) {
    if (list.empty())
        return;
    header_writer w(out);
    w.start(field);
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& box = list[i];
        const std::string_view separator = i + 1 == list.size() ? "" : ",";
        if (box.name && !box.name->empty()) {
            write_phrase(w, *box.name);
            w.word("<" + box.address + ">" + std::string(separator));
        } else {
            w.word(box.address + std::string(separator));
        }
    }
    w.end();
}

// An address compared as mail systems do: the domain without regard to case.
inline std::string comparable_address(std::string_view address) {
    std::string out(address);
    const auto at = out.rfind('@');
    for (std::size_t i = at == std::string::npos ? out.size() : at; i < out.size(); ++i) {
        if (out[i] >= 'A' && out[i] <= 'Z')
            out[i] = static_cast<char>(out[i] - 'A' + 'a');
    }
    return out;
}

[[noreturn]] inline void throw_invalid(std::string why) {
    diagnostics diag;
    diag.detail = std::move(why);
    throw error_with_diagnostics(error::invalid_request, std::move(diag));
}

} // namespace detail

CFMAIL_DECL std::vector<std::string> message::recipients() const {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const auto* list : {&to_, &cc_, &bcc_}) {
        for (const auto& box : *list) {
            if (seen.insert(detail::comparable_address(box.address)).second)
                out.push_back(box.address);
        }
    }
    return out;
}

CFMAIL_DECL boost::system::error_code message::render(std::string& out, std::size_t size_limit,
                                                      std::string& why) const {
    using namespace detail;
    using cfmail::detail::validate_mailbox;
    using cfmail::detail::validate_text;

    // Every field is checked before anything is written.
    if (!from_)
        return invalid(why, "from: not set");
    if (auto ec = validate_mailbox("from", *from_, why))
        return ec;
    if (auto ec = check_mailboxes("to", to_, why))
        return ec;
    if (auto ec = check_mailboxes("cc", cc_, why))
        return ec;
    if (auto ec = check_mailboxes("bcc", bcc_, why))
        return ec;
    if (auto ec = check_mailboxes("reply_to", reply_to_, why))
        return ec;
    if (auto ec = validate_text("subject", subject_, true, why))
        return ec;
    if (text_ && cfmail::detail::find_invalid_utf8(*text_) != std::string_view::npos)
        return invalid(why, "text: not valid UTF-8");
    if (html_ && cfmail::detail::find_invalid_utf8(*html_) != std::string_view::npos)
        return invalid(why, "html: not valid UTF-8");
    bool has_inline = false;
    for (std::size_t i = 0; i < parts_.size(); ++i) {
        const auto& a = parts_[i];
        const std::string field = "attachments[" + std::to_string(i) + "]";
        if (auto ec = validate_text(field + ".filename", a.filename, false, why))
            return ec;
        if (a.filename.size() > 255)
            return invalid(why, field + ".filename: longer than 255 bytes");
        if (!a.content_type.empty() && !cfmail::detail::is_mime_type(a.content_type))
            return invalid(why, field + ".content_type: not a MIME type of the form type/subtype");
        // RFC 2046 5.2.1, 5.1: a message or multipart may not be base64-encoded, and a
        // multipart needs a boundary; such content goes as its own message or parts.
        const auto slash = a.content_type.find('/');
        const std::string_view major = std::string_view(a.content_type).substr(0, slash);
        if (cfmail::detail::ascii_iequals(major, "multipart") ||
            cfmail::detail::ascii_iequals(major, "message"))
            return invalid(why, field + ".content_type: " + std::string(major) +
                                    "/* cannot be attached as bytes (use application/octet-"
                                    "stream, or text/plain for a message to show as text)");
        // RFC 6838 4.2: at most 127 characters each for type and subtype.
        if (a.content_type.size() > 255)
            return invalid(why, field + ".content_type: longer than 255 characters");
        if (a.disposition == content_disposition::inline_content) {
            has_inline = true;
            if (!is_content_id(a.content_id))
                return invalid(why, field + ".content_id: empty, or not letters, digits, "
                                            "'.', '@' and the other characters of an atom");
        }
    }
    if (has_inline && !html_)
        return invalid(why, "attachments: an inline part needs an html body to show it");
    for (std::size_t i = 0; i < headers_.size(); ++i) {
        const auto& h = headers_[i];
        const std::string field = "headers[" + std::to_string(i) + "]";
        if (!cfmail::detail::is_field_name(h.name) || h.name.size() > max_field_name)
            return invalid(why, field + ".name: not a field name (1 to 76 printable ASCII "
                                        "characters, no colon)");
        if (builder_owns(h.name))
            return invalid(why, field + ".name: " + h.name +
                                    " is written by the builder; use its setter");
        if (auto ec = validate_text(field + ".value", h.value, true, why))
            return ec;
        // "Name: " and the longest piece that cannot fold (a word with the spaces around it)
        // on one line, within 998 octets.
        if (is_verbatim_value(h.value) && h.name.size() + 2 + longest_fold_piece(h.value) > 998)
            return invalid(why, field + ".value: a word too long for one line of 998 octets "
                                        "(with the spaces before it, or after the last word)");
    }
    std::string id = message_id_;
    if (!id.empty()) {
        if (id.size() >= 2 && id.front() == '<' && id.back() == '>')
            id = id.substr(1, id.size() - 2);
        if (!is_message_id(id))
            return invalid(why, "message_id: not of the form id-left@id-right");
    } else {
        id = random_hex(16) + from_->address.substr(from_->address.rfind('@'));
    }
    const auto when = date_.value_or(std::chrono::system_clock::now());
    const auto offset = local_time_ ? local_offset(when) : utc_offset_;
    if (offset <= std::chrono::minutes(-24 * 60) || offset >= std::chrono::minutes(24 * 60))
        return invalid(why, "date: the offset from UTC is not within -23:59 and +23:59");

    // The body: alternative inside related inside mixed, each only when needed.
    std::vector<entity> bodies;
    if (text_)
        bodies.push_back(text_entity("plain", *text_));
    if (html_)
        bodies.push_back(text_entity("html", *html_));
    std::vector<entity> attachments, inlines;
    for (const auto& a : parts_) {
        (a.disposition == content_disposition::inline_content ? inlines : attachments)
            .push_back(part_entity(a));
    }
    std::optional<entity> root;
    if (bodies.size() == 2)
        root = multipart("alternative", std::move(bodies));
    else if (bodies.size() == 1)
        root = std::move(bodies.front());
    if (!inlines.empty()) {
        std::vector<entity> related;
        const std::string root_type = content_type_of(*root);
        related.push_back(std::move(*root));
        for (auto& e : inlines)
            related.push_back(std::move(e));
        root = multipart("related", std::move(related), root_type);
    }
    if (!attachments.empty()) {
        std::vector<entity> mixed;
        if (root)
            mixed.push_back(std::move(*root));
        for (auto& e : attachments)
            mixed.push_back(std::move(e));
        root = multipart("mixed", std::move(mixed));
    }
    if (!root)
        root = text_entity("plain", "");
    std::vector<const std::string*> seven_bit;
    collect_seven_bit(*root, seven_bit);
    choose_boundaries(*root, seven_bit);

    std::string head;
    header_writer w(head);
    w.start("Date");
    write_words(w, date_time(when, offset));
    w.end();
    write_mailboxes(head, "From", {*from_});
    write_mailboxes(head, "Reply-To", reply_to_);
    write_mailboxes(head, "To", to_);
    write_mailboxes(head, "Cc", cc_);
    if (!subject_.empty()) {
        w.start("Subject");
        write_unstructured(w, subject_);
        w.end();
    }
    w.start("Message-ID");
    w.word("<" + id + ">");
    w.end();
    for (const auto& h : headers_) {
        w.start(h.name);
        if (!h.value.empty())
            write_custom_value(w, h.value);
        w.end();
    }
    head += "MIME-Version: 1.0\r\n";

    // The size is known before any attachment is encoded: refuse early, then write in one pass
    // into one allocation.
    // A text part ends in a line break already; a multipart gets one after its close.
    const std::size_t total = head.size() + root->size() + (root->boundary.empty() ? 0 : 2);
    if (total > size_limit)
        return invalid(why, "mime_message: " + std::to_string(total) +
                                " bytes, more than the limit of " + std::to_string(size_limit));
    out.clear();
    out.reserve(total);
    out += head;
    out += root->head;
    out += "\r\n";
    root->write_body(out);
    if (!root->boundary.empty())
        out += "\r\n";
    return {};
}

CFMAIL_DECL std::string message::to_string(boost::system::error_code& ec, diagnostics& diag) const {
    diag.clear();
    std::string out;
    ec = render(out, static_cast<std::size_t>(-1), diag.detail);
    if (ec)
        out.clear();
    return out;
}

CFMAIL_DECL std::string message::to_string() const {
    std::string out, why;
    if (render(out, static_cast<std::size_t>(-1), why))
        detail::throw_invalid(std::move(why));
    return out;
}

CFMAIL_DECL send_raw_request message::to_send_raw(std::string account_id,
                                                  boost::system::error_code& ec, diagnostics& diag,
                                                  const client_options& limits) const {
    diag.clear();
    send_raw_request req;
    req.account_id = account_id.empty() ? limits.account_id : std::move(account_id);
    if (from_)
        req.from = envelope_from_.empty() ? from_->address : envelope_from_;
    req.recipients = recipients();
    // The envelope first, as send_raw checks it: nothing is encoded for a request it refuses.
    ec = cfmail::detail::validate_envelope(req, limits, diag.detail);
    if (!ec)
        ec = render(req.mime_message, std::min(limits.max_message_size, max_message_size_limit),
                    diag.detail);
    if (ec)
        return {};
    return req;
}

CFMAIL_DECL send_raw_request message::to_send_raw(std::string account_id,
                                                  const client_options& limits) const {
    boost::system::error_code ec;
    diagnostics diag;
    auto req = to_send_raw(std::move(account_id), ec, diag, limits);
    if (ec)
        throw error_with_diagnostics(ec, std::move(diag));
    return req;
}

} // namespace cfmail::mime

#endif
