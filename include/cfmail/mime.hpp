// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_MIME_HPP
#define CFMAIL_MIME_HPP

/// @file mime.hpp
/// Composing the RFC 5322 / MIME message a `send_raw` carries: headers, text and HTML bodies,
/// attachments and inline parts, each encoded the way mail readers expect. No I/O and no
/// transport: this header can be used on its own.

#include <cfmail/config.hpp>
#include <cfmail/diagnostics.hpp>
#include <cfmail/options.hpp>
#include <cfmail/types.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cfmail::mime {

/// An email message under construction: a value type (copy it, keep it, build it again), with
/// setters that return `*this` so that calls chain. Nothing is checked until it is built: then
/// every field is checked, and the first problem is reported as error::invalid_request naming
/// the field, exactly as `send_raw` would.
///
/// What is written:
/// - headers: Date, From, Reply-To, To, Cc, Subject, Message-ID, the custom headers,
///   MIME-Version; display names and subjects as plain text, quoted strings or RFC 2047 encoded
///   words (UTF-8, Q or B, whichever is shorter), folded at 78 columns; never a Bcc header;
/// - bodies: text and HTML as `multipart/alternative`; inline parts as `multipart/related`;
///   attachments as `multipart/mixed`; text in 7bit, quoted-printable or base64, whichever
///   keeps it exact and shortest; attachments in base64, so their bytes arrive unchanged;
/// - CRLF line ends everywhere, no line over 998 octets, random boundaries that no part
///   contains.
class message {
public:
    /// The clock of the Date header.
    using time_point = std::chrono::system_clock::time_point;

    /// Sets the author (`From`), e.g. `{"sender@example.com", "Jürgen Müller"}`. Its address is
    /// also the envelope sender unless envelope_from() says otherwise.
    message& from(mailbox author) {
        from_ = std::move(author);
        return *this;
    }
    /// Adds a `To` recipient.
    message& to(mailbox recipient) {
        to_.push_back(std::move(recipient));
        return *this;
    }
    /// Adds `To` recipients.
    message& to(std::vector<mailbox> recipients) { return append(to_, std::move(recipients)); }
    /// Adds a `Cc` recipient.
    message& cc(mailbox recipient) {
        cc_.push_back(std::move(recipient));
        return *this;
    }
    /// Adds `Cc` recipients.
    message& cc(std::vector<mailbox> recipients) { return append(cc_, std::move(recipients)); }
    /// Adds a blind copy recipient: in the envelope, never in the headers.
    message& bcc(mailbox recipient) {
        bcc_.push_back(std::move(recipient));
        return *this;
    }
    /// Adds blind copy recipients.
    message& bcc(std::vector<mailbox> recipients) { return append(bcc_, std::move(recipients)); }
    /// Adds a `Reply-To` address.
    message& reply_to(mailbox address) {
        reply_to_.push_back(std::move(address));
        return *this;
    }
    /// Sets the subject (UTF-8, no control characters but tab).
    message& subject(std::string text) {
        subject_ = std::move(text);
        return *this;
    }
    /// Sets the plain-text body (UTF-8; LF, CR or CRLF line ends, all sent as CRLF). An empty
    /// string is an empty part, not an absent one.
    message& text(std::string body) {
        text_ = std::move(body);
        return *this;
    }
    /// Sets the HTML body (UTF-8); with text() too, mail readers choose between them.
    message& html(std::string body) {
        html_ = std::move(body);
        return *this;
    }
    /// Adds an attachment or an inline part, as described by `part`.
    message& attach(attachment part) {
        parts_.push_back(std::move(part));
        return *this;
    }
    /// Adds a file to open or save: its name as the recipient sees it (UTF-8), its bytes and its
    /// MIME type (`application/octet-stream` when empty).
    message& attach_file(std::string filename, std::string content, std::string content_type) {
        return attach({std::move(filename),
                       std::move(content_type),
                       std::move(content),
                       content_disposition::attachment,
                       {}});
    }
    /// Adds an image the HTML body shows as `<img src="cid:content_id">`.
    message& inline_image(std::string content_id, std::string content, std::string content_type,
                          std::string filename = {}) {
        return attach({std::move(filename), std::move(content_type), std::move(content),
                       content_disposition::inline_content, std::move(content_id)});
    }
    /// Adds a header field of its own, after the standard ones and in the order added. The name
    /// must be a field name (printable ASCII, no colon) and none of those the builder writes
    /// (From, To, Cc, Bcc, Reply-To, Subject, Date, Message-ID, MIME-Version, Content-Type,
    /// Content-Transfer-Encoding, Content-Disposition, Content-ID); the value has no control
    /// character but tab. A printable ASCII value is written exactly as given (folded at its
    /// spaces); any other as RFC 2047 encoded words.
    message& header(std::string name, std::string value) {
        headers_.push_back({std::move(name), std::move(value)});
        return *this;
    }
    /// Sets the Date header to `when`, written in UTC; without it, the time of building.
    message& date(time_point when) { return date(when, std::chrono::minutes(0)); }
    /// Sets the Date header to `when`, written at `utc_offset` from UTC (e.g. `+02:00` is 120
    /// minutes; the offset must be within ±23:59).
    message& date(time_point when, std::chrono::minutes utc_offset) {
        date_ = when;
        utc_offset_ = utc_offset;
        local_time_ = false;
        return *this;
    }
    /// Writes the Date header at the machine's local offset from UTC (at that date) instead of
    /// in UTC; a later date() call sets the offset again.
    message& local_time() {
        local_time_ = true;
        return *this;
    }
    /// Sets the Message-ID (`id-left@id-right`, with or without angle brackets). Without it, a
    /// random id at the author's domain is made for each build.
    message& message_id(std::string id) {
        message_id_ = std::move(id);
        return *this;
    }
    /// Sets the envelope sender (where bounces go) when it is not the author's address.
    message& envelope_from(std::string address) {
        envelope_from_ = std::move(address);
        return *this;
    }

    /// Writes the whole message, headers and body. Throws error_with_diagnostics
    /// (error::invalid_request, the field in `diag().detail`) when a field is invalid.
    CFMAIL_DECL std::string to_string() const;
    /// Writes the whole message; on an invalid field sets `ec` to error::invalid_request,
    /// names the field in `diag.detail` and returns an empty string.
    CFMAIL_DECL std::string to_string(boost::system::error_code& ec, diagnostics& diag) const;

    /// The `send_raw` request for this message: the envelope sender, every address of To, Cc
    /// and Bcc once (in that order) as recipients, and the message without a Bcc header. The
    /// rules of `send_raw` under `limits` (recipients, message size) are checked too, and the
    /// size before any attachment is encoded; an empty `account_id` takes `limits.account_id`.
    /// Throws error_with_diagnostics when a field is invalid.
    CFMAIL_DECL send_raw_request to_send_raw(std::string account_id,
                                             const client_options& limits = {}) const;
    /// The `send_raw` request for this message; on an invalid field sets `ec` and `diag` and
    /// returns an empty request.
    CFMAIL_DECL send_raw_request to_send_raw(std::string account_id, boost::system::error_code& ec,
                                             diagnostics& diag,
                                             const client_options& limits = {}) const;

    /// The envelope recipients: every address of To, Cc and Bcc once, in that order.
    CFMAIL_DECL std::vector<std::string> recipients() const;

private:
    struct custom_header {
        std::string name;
        std::string value;
    };

    message& append(std::vector<mailbox>& list, std::vector<mailbox> more) {
        for (auto& m : more)
            list.push_back(std::move(m));
        return *this;
    }

    // Checks every field and writes the message into `out`; `size_limit` is checked before any
    // body is encoded.
    CFMAIL_DECL boost::system::error_code render(std::string& out, std::size_t size_limit,
                                                 std::string& why) const;

    std::optional<mailbox> from_;
    std::vector<mailbox> to_, cc_, bcc_, reply_to_;
    std::string subject_;
    std::optional<std::string> text_, html_;
    std::vector<attachment> parts_;
    std::vector<custom_header> headers_;
    std::optional<time_point> date_;
    std::chrono::minutes utc_offset_{0};
    bool local_time_ = false;
    std::string message_id_;
    std::string envelope_from_;
};

} // namespace cfmail::mime

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/mime.ipp>
#endif

#endif
