// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_TYPES_HPP
#define CFMAIL_TYPES_HPP

/// @file types.hpp
/// What a send takes (addresses, attachments, the `send_raw` request) and what it gives back.

#include <cfmail/config.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace cfmail {

struct send_raw_op;

/// An address with an optional display name, e.g. `{"a@example.com", "Ann"}`.
struct mailbox {
    /// The address, printable ASCII, e.g. `a@example.com`.
    std::string address;
    /// The display name (UTF-8), when there is one.
    std::optional<std::string> name = std::nullopt;
};

/// How a mail reader shows an attachment.
enum class content_disposition {
    /// A file to open or save.
    attachment,
    /// Shown in the HTML body, referenced as `cid:<content_id>`.
    inline_content,
};

/// A file sent with the message. cfmail base64-encodes `content` while it writes the request.
struct attachment {
    /// The file name shown to the recipient (UTF-8, no control characters).
    std::string filename;
    /// Its MIME type, e.g. `application/pdf`.
    std::string content_type;
    /// The raw bytes.
    std::string content;
    /// Attachment or inline part.
    content_disposition disposition = content_disposition::attachment;
    /// For an inline part: the id the HTML refers to (`<img src="cid:logo">` has `logo`).
    std::string content_id;
};

/// One `send_raw` call: the SMTP envelope (`from`, `recipients`) and the whole RFC 5322 message.
/// The client only reads it; it must stay alive until the send completes.
struct send_raw_request {
    /// The operation's descriptor.
    using operation = send_raw_op;

    /// The Cloudflare account id (32 lowercase hex characters).
    std::string account_id;
    /// SMTP envelope sender, e.g. `sender@example.com`; printable ASCII.
    std::string from;
    /// SMTP envelope recipients (To, Cc and Bcc together), 1 to 50 by default.
    std::vector<std::string> recipients;
    /// The complete MIME message, headers and body, with CRLF line endings.
    std::string mime_message;
};

/// The `result` of a successful `send_raw`.
struct send_raw_result {
    /// Addresses to which the message was delivered immediately.
    std::vector<std::string> delivered;
    /// Addresses for which delivery was queued: not final, such a message can still bounce.
    std::vector<std::string> queued;
    /// Addresses that bounced permanently.
    std::vector<std::string> permanent_bounces;
    /// Addresses the account's suppression list removed, when the API reports them.
    std::vector<std::string> suppressed_recipients;
    /// The `Message-ID` Cloudflare gave the message (e.g. `<...@domain>`); empty when absent.
    std::string message_id;

    /// Compares every field.
    friend bool operator==(const send_raw_result&, const send_raw_result&) = default;
};

/// Reads a `send_raw` result: the address arrays (absent means empty) and `message_id`.
/// Returns false when the value is not an object or a field has the wrong type.
CFMAIL_DECL bool read_result(const boost::json::value& jv, send_raw_result& out);

/// Writes a `send_raw` result as the API does (`boost::json::value_from(result)`), e.g. for a
/// scripted answer or a log.
CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const send_raw_result& result);

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/types.ipp>
#endif

#endif
