// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_HTTP_MESSAGE_HPP
#define CFMAIL_HTTP_MESSAGE_HPP

/// @file http_message.hpp
/// The HTTP exchange a transport carries out: plain structs, no Beast types, so any HTTP stack
/// can implement a transport.

#include <cfmail/config.hpp>

#include <chrono>
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

/// How a streamed part of a request body is encoded as it is written.
enum class body_encoding {
    /// A quoted JSON string: `"`, the value escaped as Boost.JSON escapes it, `"`.
    json_string,
    /// Standard base64 (RFC 4648, with padding, no line breaks), from OpenSSL.
    base64,
};

/// A request body as the protocol core built it: literal text with, at given offsets, large
/// values that are encoded only while they are written (a MIME message as a JSON string, an
/// attachment as base64). A large value thus reaches the wire without a second, encoded copy.
///
/// A transport writes it in one of two ways: when contiguous(), text() is the whole body, one
/// buffer; otherwise it pulls the bytes with a reader into a buffer of its own, chunk by chunk.
/// The streamed values refer to the caller's request, which outlives the exchange.
class request_body {
public:
    /// One value encoded while written, inserted at `offset` of the literal text.
    struct streamed_part {
        /// Where in text() the encoded value goes.
        std::size_t offset = 0;
        /// How the value is encoded.
        body_encoding encoding = body_encoding::json_string;
        /// The value, in the caller's memory.
        std::string_view value;
    };

    /// An empty body.
    request_body() = default;
    /// A body made of `text` alone.
    explicit request_body(std::string text) noexcept
        : text_(std::move(text)) {}
    /// Replaces the body with `text` alone.
    request_body& operator=(std::string text) noexcept {
        text_ = std::move(text);
        parts_.clear();
        return *this;
    }

    /// Empties the body, keeping allocated capacity; `streaming` says whether later appended
    /// values are streamed (true) or encoded into the text at once (false).
    void clear(bool streaming = false) noexcept {
        text_.clear();
        parts_.clear();
        streaming_ = streaming;
    }

    /// Appends literal bytes.
    void append(std::string_view literal) { text_.append(literal); }
    /// Appends one literal byte.
    void push_back(char c) { text_.push_back(c); }
    /// Appends `value` as a quoted JSON string, escaped into the text at once.
    CFMAIL_DECL void append_json_string(std::string_view value);
    /// Appends `value` as a quoted JSON string: streamed when the body streams (the value must
    /// then outlive the body's use), escaped into the text at once otherwise. For large values.
    CFMAIL_DECL void stream_json_string(std::string_view value);
    /// Appends `value` encoded as base64: streamed when the body streams (the value must then
    /// outlive the body's use), encoded into the text at once otherwise.
    CFMAIL_DECL void stream_base64(std::string_view value);

    /// True when the whole body is text(), so it can be written as one buffer.
    bool contiguous() const noexcept { return parts_.empty(); }
    /// The literal text: the whole body when contiguous().
    std::string_view text() const noexcept { return text_; }
    /// The streamed values, in order of offset.
    const std::vector<streamed_part>& streamed_parts() const noexcept { return parts_; }

    /// The number of bytes on the wire: one pass over the streamed values, no copy.
    CFMAIL_DECL std::size_t size() const noexcept;
    /// The whole body as one string, e.g. to record a request in a test.
    CFMAIL_DECL std::string to_string() const;

    /// Produces the body's bytes in order, into buffers the caller gives, without I/O.
    class reader {
    public:
        /// Starts at the first byte of `body`, which must outlive the reader.
        explicit reader(const request_body& body) noexcept
            : body_(&body) {}

        /// Writes the next bytes into [out, out + room); returns how many. Returns 0 only
        /// when done() or `room` is 0.
        CFMAIL_DECL std::size_t read(char* out, std::size_t room) noexcept;

        /// True once every byte was produced.
        bool done() const noexcept { return done_; }

    private:
        std::size_t emit_pending(char*& out, char* limit) noexcept;
        bool encode_part(const streamed_part& part, char*& out, char* limit) noexcept;

        const request_body* body_;
        std::size_t text_pos_ = 0; // next literal byte
        std::size_t part_ = 0;     // next streamed part
        std::size_t value_pos_ = 0;
        bool opened_ = false; // a JSON string's opening quote is out
        bool done_ = false;
        unsigned char pending_size_ = 0, pending_pos_ = 0;
        char pending_[8]; // an escape sequence or base64 group that did not fit
    };

private:
    std::string text_;
    std::vector<streamed_part> parts_;
    bool streaming_ = false;
};

/// A request as the protocol core built it. The transport connects to `scheme://host:port`,
/// sends `method target` with `headers` (which include `Host`) and the body, and adds
/// `Content-Length` (body.size()) itself.
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
    /// The body; empty for a request without one (e.g. `GET`).
    request_body body;
    /// When the operation's deadline passes (client_options::deadline): a transport ends the
    /// exchange then with `boost::asio::error::timed_out` (request_written as far as it got),
    /// whatever its own timeouts; `time_point::max()` when there is none.
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

    /// The number of body bytes on the wire.
    std::size_t body_size() const noexcept { return body.size(); }

    /// The whole body as one string, e.g. to record a request in a test.
    std::string full_body() const { return body.to_string(); }

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
    /// Bytes of the request written, as far as the transport counts them (for observers).
    std::size_t bytes_written = 0;
    /// Bytes of the answer read, head included, as far as the transport counts them.
    std::size_t bytes_read = 0;
    /// With error::proxy_refused: the status of the proxy's answer to `CONNECT`.
    unsigned proxy_status = 0;

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
        bytes_written = 0;
        bytes_read = 0;
        proxy_status = 0;
    }
};

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/http_message.ipp>
#endif

#endif
