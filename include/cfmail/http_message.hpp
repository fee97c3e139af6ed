// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_HTTP_MESSAGE_HPP
#define CFMAIL_HTTP_MESSAGE_HPP

/// @file http_message.hpp
/// The HTTP exchange a transport carries out: plain structs, no Beast types, so any HTTP stack
/// can implement a transport.

#include <cfmail/config.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cfmail {

/// One header field.
struct http_header {
    /// Field name, e.g. `Content-Type`.
    std::string name;
    /// Field value.
    std::string value;
};

/// Finds a header by case-insensitive name; returns an empty view when absent.
CFMAIL_DECL std::string_view find_header(const std::vector<http_header>& headers,
                                         std::string_view name) noexcept;

/// A request as the protocol core built it. The transport connects to `scheme://host:port`,
/// sends `method target` with `headers` (which include `Host`) and the body, and adds
/// `Content-Length` (body_size()) itself.
///
/// The body is `body`, then, when `json_string_tail` is set, that text as a quoted JSON string
/// escaped while it is written, then `body_end`. A large message thus reaches the wire without
/// a second, escaped copy; a transport that cannot stream writes full_body().
struct http_request {
    /// `https`, or `http` (loopback hosts only).
    std::string scheme;
    /// Host name or IP literal to connect to (without brackets); also the TLS SNI name.
    std::string host;
    /// Port to connect to, as digits.
    std::string port;
    /// Request method, e.g. `POST`.
    std::string method;
    /// Origin-form target, percent-encoded, e.g. `/client/v4/accounts/ID/email/sending/send_raw`.
    std::string target;
    /// Header fields, `Host` included, `Content-Length` excluded.
    std::vector<http_header> headers;
    /// The body, or its literal beginning when `json_string_tail` is set.
    std::string body;
    /// Text written after `body` as a quoted, escaped JSON string; it refers to the caller's
    /// message, which outlives the exchange.
    std::optional<std::string_view> json_string_tail;
    /// Literal text after `json_string_tail` (e.g. `}`); ignored without it.
    std::string_view body_end;

    /// The number of body bytes on the wire: one pass over `json_string_tail`, no copy.
    CFMAIL_DECL std::size_t body_size() const noexcept;

    /// The whole body as one string, e.g. to record a request in a test.
    CFMAIL_DECL std::string full_body() const;

    /// The value of a header, or an empty view.
    std::string_view header(std::string_view name) const noexcept {
        return find_header(headers, name);
    }
};

/// What a transport received. A non-2xx status is a successful round trip, not a transport
/// error. On a transport error, `request_written` says whether any byte of the request may have
/// reached the server: it is what makes safe retries possible.
struct http_response {
    /// HTTP status code, 0 when none was received.
    unsigned status = 0;
    /// Header fields as received.
    std::vector<http_header> headers;
    /// The body, decoded from chunked transfer coding if needed.
    std::string body;
    /// True once the transport may have delivered any part of the request to the server.
    bool request_written = false;

    /// The value of a header, or an empty view.
    std::string_view header(std::string_view name) const noexcept {
        return find_header(headers, name);
    }

    /// Empties the response for the next attempt, keeping allocated capacity.
    void clear() noexcept {
        status = 0;
        headers.clear();
        body.clear();
        request_written = false;
    }
};

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/http_message.ipp>
#endif

#endif
