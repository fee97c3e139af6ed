// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_SEND_IPP
#define CFMAIL_IMPL_SEND_IPP

#include <cfmail/impl/http_message.ipp>
#include <cfmail/impl/validation.ipp>
#include <cfmail/operations/send.hpp>

#include <array>

namespace cfmail {

namespace detail {

inline std::size_t count_code_points(std::string_view utf8) noexcept {
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    }));
}

inline boost::system::error_code validate_send(const send_request& req, const client_options& opts,
                                               std::string& why) {
    if (auto ec = validate_mailbox("from", req.from, why))
        return ec;
    const std::size_t recipients = req.to.size() + req.cc.size() + req.bcc.size();
    if (recipients == 0)
        return invalid(why, "to, cc, bcc: all empty, at least one recipient is required");
    if (recipients > opts.max_recipients)
        return invalid(why, "to, cc, bcc: " + std::to_string(recipients) + " recipients, at most " +
                                std::to_string(opts.max_recipients) + " allowed");
    for (auto [field, list] : {std::pair{"to", &req.to}, {"cc", &req.cc}, {"bcc", &req.bcc}}) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (auto ec = validate_mailbox(std::string(field) + "[" + std::to_string(i) + "]",
                                           (*list)[i], why))
                return ec;
        }
    }
    if (req.reply_to) {
        if (auto ec = validate_mailbox("reply_to", *req.reply_to, why))
            return ec;
    }
    if (req.subject.empty())
        return invalid(why, "subject: empty");
    if (auto ec = validate_text("subject", req.subject, true, why))
        return ec;
    if (count_code_points(req.subject) > max_mime_line_length)
        return invalid(why, "subject: longer than 998 characters");
    if (req.text.empty() && req.html.empty())
        return invalid(why, "text, html: both empty, at least one body is required");
    if (find_invalid_utf8(req.text) != std::string_view::npos)
        return invalid(why, "text: not valid UTF-8");
    if (find_invalid_utf8(req.html) != std::string_view::npos)
        return invalid(why, "html: not valid UTF-8");

    std::size_t header_bytes = 0;
    for (std::size_t i = 0; i < req.headers.size(); ++i) {
        const auto& h = req.headers[i];
        const std::string field = "headers[" + std::to_string(i) + "]";
        if (!is_field_name(h.name))
            return invalid(why, field + ": \"" + h.name +
                                    "\" is not a header field name (printable ASCII, no colon)");
        if (is_api_owned_header(h.name))
            return invalid(why, field + ": " + h.name +
                                    " is written by the API; use the request's own field");
        for (std::size_t j = 0; j < i; ++j) {
            if (ascii_iequals(req.headers[j].name, h.name))
                return invalid(why, field + ": " + h.name + " appears twice");
        }
        if (auto ec = validate_text(field + ".value", h.value, true, why))
            return ec;
        header_bytes += h.name.size() + 2 + h.value.size() + 2;
    }
    if (header_bytes > max_custom_headers_size)
        return invalid(why, "headers: " + std::to_string(header_bytes) +
                                " bytes, more than the limit of 16 KB");

    const std::size_t limit = std::min(opts.max_message_size, max_message_size_limit);
    std::size_t size = req.text.size() + req.html.size();
    for (std::size_t i = 0; i < req.attachments.size(); ++i) {
        const auto& a = req.attachments[i];
        const std::string field = "attachments[" + std::to_string(i) + "]";
        if (a.filename.empty())
            return invalid(why, field + ".filename: empty");
        if (auto ec = validate_text(field + ".filename", a.filename, false, why))
            return ec;
        if (!is_mime_type(a.content_type))
            return invalid(why, field + ".content_type: not a MIME type of the form type/subtype");
        const bool inline_part = a.disposition == content_disposition::inline_content;
        if (inline_part && a.content_id.empty())
            return invalid(why, field + ".content_id: an inline part needs one");
        if (!inline_part && !a.content_id.empty())
            return invalid(why, field + ".content_id: only an inline part has one");
        if (!a.content_id.empty() && (!std::all_of(a.content_id.begin(), a.content_id.end(),
                                                   [](char c) { return c > 0x20 && c < 0x7f; })))
            return invalid(why, field + ".content_id: not printable ASCII without spaces");
        size += a.content.size();
    }
    if (size > limit)
        return invalid(why, "text, html, attachments: " + std::to_string(size) +
                                " bytes, more than the limit of " + std::to_string(limit));
    return {};
}

inline void append_mailbox(request_body& body, const mailbox& box) {
    if (!box.name) {
        body.append_json_string(box.address);
        return;
    }
    body.append("{\"address\":");
    body.append_json_string(box.address);
    body.append(",\"name\":");
    body.append_json_string(*box.name);
    body.push_back('}');
}

} // namespace detail

CFMAIL_DECL boost::system::error_code send_op::prepare(const send_request& req,
                                                       const client_options& opts,
                                                       request_parts& parts, std::string& why) {
    if (auto ec = detail::validate_send(req, opts, why))
        return ec;
    parts.append_segment("send");
    request_body& body = parts.body();
    body.append("{\"from\":");
    detail::append_mailbox(body, req.from);
    for (auto [key, list] :
         {std::pair{",\"to\":[", &req.to}, {",\"cc\":[", &req.cc}, {",\"bcc\":[", &req.bcc}}) {
        if (list->empty())
            continue;
        body.append(key);
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (i != 0)
                body.push_back(',');
            detail::append_mailbox(body, (*list)[i]);
        }
        body.push_back(']');
    }
    if (req.reply_to) {
        body.append(",\"reply_to\":");
        detail::append_mailbox(body, *req.reply_to);
    }
    body.append(",\"subject\":");
    body.append_json_string(req.subject);
    if (!req.text.empty()) {
        body.append(",\"text\":");
        body.stream_json_string(req.text);
    }
    if (!req.html.empty()) {
        body.append(",\"html\":");
        body.stream_json_string(req.html);
    }
    if (!req.headers.empty()) {
        body.append(",\"headers\":{");
        for (std::size_t i = 0; i < req.headers.size(); ++i) {
            if (i != 0)
                body.push_back(',');
            body.append_json_string(req.headers[i].name);
            body.push_back(':');
            body.append_json_string(req.headers[i].value);
        }
        body.push_back('}');
    }
    if (!req.attachments.empty()) {
        body.append(",\"attachments\":[");
        for (std::size_t i = 0; i < req.attachments.size(); ++i) {
            const auto& a = req.attachments[i];
            if (i != 0)
                body.push_back(',');
            // Base64 needs no JSON escaping: it goes between literal quotes.
            body.append("{\"content\":\"");
            body.stream_base64(a.content);
            body.append("\",\"filename\":");
            body.append_json_string(a.filename);
            body.append(",\"type\":");
            body.append_json_string(a.content_type);
            if (a.disposition == content_disposition::inline_content) {
                body.append(",\"disposition\":\"inline\",\"content_id\":");
                body.append_json_string(a.content_id);
            } else {
                body.append(",\"disposition\":\"attachment\"");
            }
            body.push_back('}');
        }
        body.push_back(']');
    }
    body.push_back('}');
    return {};
}

} // namespace cfmail

#endif
