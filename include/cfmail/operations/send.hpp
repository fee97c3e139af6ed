// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_OPERATIONS_SEND_HPP
#define CFMAIL_OPERATIONS_SEND_HPP

/// @file operations/send.hpp
/// `POST /accounts/{account_id}/email/sending/send`: the API composes the message from
/// structured fields.

#include <cfmail/config.hpp>
#include <cfmail/http_message.hpp>
#include <cfmail/operation.hpp>
#include <cfmail/types.hpp>

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cfmail {

struct send_op;

/// One structured `send`. The client only reads it; it must stay alive until the send
/// completes.
struct send_request {
    /// The operation's descriptor.
    using operation = send_op;

    /// The Cloudflare account id.
    std::string account_id;
    /// The sender.
    mailbox from;
    /// Recipients; at least one of to, cc, bcc, and 1 to 50 over all three.
    std::vector<mailbox> to;
    /// Copy recipients.
    std::vector<mailbox> cc;
    /// Blind copy recipients (never shown in the message).
    std::vector<mailbox> bcc;
    /// Where replies go, when not to the sender.
    std::optional<mailbox> reply_to;
    /// The subject (UTF-8, 1 to 998 characters, no line breaks).
    std::string subject;
    /// The plain-text body; this or `html` (or both) must be non-empty.
    std::string text;
    /// The HTML body.
    std::string html;
    /// Custom header fields (names unique; none of those the API writes itself), in order.
    std::vector<http_header> headers;
    /// Files and inline parts.
    std::vector<cfmail::attachment> attachments;
};

/// What a `send` gives back: the same as `send_raw`.
using send_result = send_raw_result;

/// The largest total of custom header fields the API accepts, in bytes.
inline constexpr std::size_t max_custom_headers_size = 16 * 1024;

/// The descriptor of `send`. Sending is not idempotent: an attempt is repeated only when nothing
/// was provably sent. Attachments are streamed as base64, and the bodies as JSON strings.
struct send_op : reads_result<send_result> {
    /// What the operation takes.
    using request_type = send_request;
    /// What it gives back.
    using result_type = send_result;
    /// Its name in diagnostics.
    static constexpr std::string_view name = "send";
    /// Its HTTP method.
    static constexpr std::string_view method = "POST";
    /// A send may go out twice if repeated.
    static constexpr repeat_safety repeat = repeat_safety::unsafe;

    /// Checks `req` against the API's rules (recipients, subject, bodies, headers,
    /// attachments, size) and writes the path and body.
    CFMAIL_DECL static boost::system::error_code prepare(const send_request& req,
                                                         const client_options& opts,
                                                         request_parts& parts, std::string& why);
};

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/send.ipp>
#endif

#endif
