// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_TRANSPORT_DETAIL_HTTP_EXCHANGE_HPP
#define CFMAIL_TRANSPORT_DETAIL_HTTP_EXCHANGE_HPP

// The wire part of the HTTPS transport, on any Beast stream, so that it can be tested on
// beast::test::stream without sockets.

#include <cfmail/error_code.hpp>
#include <cfmail/http_message.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional/optional.hpp>

#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

namespace cfmail::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// Maps Beast's errors to the ones cfmail reports: a timeout, or an answer over the cap.
inline boost::system::error_code normalize(boost::system::error_code ec) {
    if (ec == beast::error::timeout)
        return asio::error::timed_out;
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow ||
        ec == http::error::header_limit)
        return make_error_code(error::response_too_large);
    return ec;
}

// How far an exchange got, to tell a connection closed while idle from an unknown outcome.
struct exchange_progress {
    bool write_failed = false;     // the failure happened while writing the request
    bool got_answer_bytes = false; // some of the answer arrived
    bool keep_alive = true;        // the answer allows reusing the connection
};

// Most bytes of an answer's head (status line and fields), of its trailers, and of all the
// interim (1xx) heads before it together.
inline constexpr std::size_t max_response_head = 64 * 1024;

// What a connection keeps between exchanges so that a send allocates nothing it could reuse.
struct exchange_buffers {
    // Size of the chunks the request is written in: a small message goes out with its header
    // in one write, a large one in pieces that keep memory flat.
    static constexpr std::size_t chunk_size = 64 * 1024;

    // The read buffer never holds more than a head plus one read: the parser takes body bytes
    // out as they arrive (into a body capped on its own), so no part of an answer, chunk
    // extensions and trailers included, can make it grow past this.
    static constexpr std::size_t read_limit = max_response_head + 16 * 1024;

    beast::flat_buffer read{read_limit};
    std::string head;              // request line and header fields
    std::unique_ptr<char[]> chunk; // allocated at the first exchange

    char* chunk_data() {
        if (!chunk)
            chunk = std::make_unique<char[]>(chunk_size);
        return chunk.get();
    }
};

// The request line and header fields of `req`, Content-Length included, into `out`. The
// protocol core has already refused any field value with a control character.
inline void format_request_head(const http_request& req, std::size_t content_length,
                                std::string& out) {
    out.clear();
    out.append(req.method).append(" ").append(req.target).append(" HTTP/1.1\r\n");
    for (const auto& field : req.headers)
        out.append(field.name).append(": ").append(field.value).append("\r\n");
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, content_length).ptr;
    out.append("Content-Length: ").append(digits, end).append("\r\n\r\n");
}

// Hands out the bytes of `req` as buffers to write in turn, without I/O of its own: the head
// with a contiguous body as they are; or the head in front of the first chunk of a streamed
// body, encoded into the reused chunk buffer, then further chunks. A small message thus leaves
// in one write, and a new writer (a retry) streams again from the start.
class request_writer {
public:
    request_writer(const http_request& req, exchange_buffers& buffers)
        : req_(req)
        , buffers_(buffers) {
        if (!req.body.contiguous())
            reader_.emplace(req.body);
    }

    // True once every byte was handed out.
    bool done() const noexcept { return started_ && (!reader_ || reader_->done()); }

    // The next bytes to write.
    std::array<asio::const_buffer, 2> next() {
        std::string& head = buffers_.head;
        if (!reader_) {
            started_ = true;
            format_request_head(req_, req_.body.text().size(), head);
            return {asio::buffer(head), asio::buffer(req_.body.text())};
        }
        char* chunk = buffers_.chunk_data();
        if (started_) {
            const std::size_t n = reader_->read(chunk, exchange_buffers::chunk_size);
            return {asio::const_buffer(chunk, n), asio::const_buffer()};
        }
        started_ = true;
        if (auto whole = small_body_in_one_chunk(chunk))
            return {*whole, asio::const_buffer()};
        // Larger than a chunk: count first (one pass, no output), then stream.
        format_request_head(req_, req_.body.size(), head);
        if (head.size() > head_room)
            return {asio::buffer(head), asio::const_buffer()};
        std::memcpy(chunk, head.data(), head.size());
        const std::size_t n =
            reader_->read(chunk + head.size(), exchange_buffers::chunk_size - head.size());
        return {asio::const_buffer(chunk, head.size() + n), asio::const_buffer()};
    }

private:
    // Room kept in front of the body for the head, which is written once the length is known.
    static constexpr std::size_t head_room = 4096;

    // Encodes a body that fits in one chunk straight away, so that its length is known without
    // a counting pass, then puts the head right in front of it. Empty when the body does not
    // fit (the reader then starts again for the counting path).
    std::optional<asio::const_buffer> small_body_in_one_chunk(char* chunk) {
        constexpr std::size_t room = exchange_buffers::chunk_size - head_room;
        std::size_t unencoded = req_.body.text().size();
        for (const auto& part : req_.body.streamed_parts())
            unencoded += part.value.size();
        if (unencoded > room)
            return std::nullopt;
        char* body = chunk + head_room;
        const std::size_t n = reader_->read(body, room);
        if (!reader_->done()) {
            reader_.emplace(req_.body);
            return std::nullopt;
        }
        std::string& head = buffers_.head;
        format_request_head(req_, n, head);
        if (head.size() > head_room) {
            reader_.emplace(req_.body);
            return std::nullopt;
        }
        std::memcpy(body - head.size(), head.data(), head.size());
        return asio::const_buffer(body - head.size(), head.size() + n);
    }

    const http_request& req_;
    exchange_buffers& buffers_;
    std::optional<request_body::reader> reader_;
    bool started_ = false;
};

// Parses an answer straight into an http_response: no intermediate Beast message and field
// list, and the body lands in the response's own string, whose capacity outlives the exchange.
class response_reader final : public http::basic_parser<false> {
public:
    explicit response_reader(http_response& resp)
        : resp_(resp) {
        resp_.headers.clear();
        resp_.body.clear();
    }

private:
    using error_code = boost::system::error_code;

    void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                         error_code&) override {}

    void on_response_impl(int code, beast::string_view, int, error_code&) override {
        resp_.status = static_cast<unsigned>(code);
    }

    void on_field_impl(http::field, beast::string_view name, beast::string_view value,
                       error_code&) override {
        resp_.headers.push_back({std::string(name), std::string(value)});
    }

    void on_header_impl(error_code&) override {}

    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
        // body_limit() already refused a larger announced length.
        if (length)
            resp_.body.reserve(static_cast<std::size_t>(*length));
    }

    std::size_t on_body_impl(beast::string_view body, error_code&) override {
        resp_.body.append(body.data(), body.size());
        return body.size();
    }

    void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}

    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code&) override {
        resp_.body.append(body.data(), body.size());
        return body.size();
    }

    void on_finish_impl(error_code&) override {}

    http_response& resp_;
};

// Reads the final answer into `resp`, past any interim (1xx) answers. A 101 (a protocol
// switch nobody asked for) is error::bad_response.
template <class Stream>
asio::awaitable<boost::system::error_code>
read_final_answer(Stream& stream, exchange_buffers& buffers, http_response& resp,
                  std::size_t max_body, exchange_progress& progress) {
    std::size_t interim_bytes = 0;
    for (;;) {
        response_reader reader(resp);
        reader.body_limit(max_body);
        // The interim heads and the final one share the cap.
        reader.header_limit(static_cast<std::uint32_t>(max_response_head - interim_bytes));
        auto [read_ec, read] = co_await http::async_read(stream, buffers.read, reader,
                                                         asio::as_tuple(asio::use_awaitable));
        progress.got_answer_bytes =
            progress.got_answer_bytes || reader.got_some() || buffers.read.size() > 0;
        resp.bytes_read += read;
        if (read_ec)
            co_return normalize(read_ec);
        // A status below 100 is no HTTP answer; after the write it says nothing of what the
        // server did with the request.
        if (resp.status < 100)
            co_return make_error_code(error::bad_response);
        if (resp.status >= 200) {
            // Bytes after the answer belong to no request: the connection is not reused.
            progress.keep_alive = reader.keep_alive() && buffers.read.size() == 0;
            co_return boost::system::error_code{};
        }
        if (resp.status == 101)
            co_return make_error_code(error::bad_response);
        // 100 Continue, 102 Processing, 103 Early Hints: the real answer follows. A server
        // that sends them without end meets this cap (or the attempt's deadline).
        interim_bytes += read;
        if (interim_bytes > max_response_head)
            co_return make_error_code(error::response_too_large);
    }
}

// One HTTP/1.1 exchange on an open stream: writes `req` (its body streamed from the caller's
// message), reads the answer into `resp` with at most `max_body` bytes of body. Sets
// `resp.request_written` before writing, and records in `progress` how far it got. Usable on any
// Beast stream, beast::test::stream included.
//
// `drop_unsent` is called when the write failed, before looking for an answer that came
// anyway: a layer that holds bytes the failed write left (TLS records) must drop them, or the
// read would first try to send them again.
struct keep_unsent {
    template <class Stream>
    void operator()(Stream&) const noexcept {}
};

template <class Stream, class DropUnsent = keep_unsent>
asio::awaitable<boost::system::error_code>
http_exchange(Stream& stream, exchange_buffers& buffers, const http_request& req,
              http_response& resp, std::size_t max_body, exchange_progress& progress,
              DropUnsent drop_unsent = {}) {
    resp.request_written = true;
    buffers.read.clear();
    request_writer writer(req, buffers);
    boost::system::error_code ec;
    while (!writer.done()) {
        auto [write_ec, written] =
            co_await asio::async_write(stream, writer.next(), asio::as_tuple(asio::use_awaitable));
        resp.bytes_written += written;
        if (write_ec) {
            progress.write_failed = true;
            ec = normalize(write_ec);
            break;
        }
    }

    if (!ec) {
        ec = co_await read_final_answer(stream, buffers, resp, max_body, progress);
    } else if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
               ec == asio::error::eof) {
        // A server may answer before reading the whole request (413, 401) and close, which
        // fails the write: the answer, already here, says what happened. Without one the
        // write's error stands.
        drop_unsent(stream);
        if (!co_await read_final_answer(stream, buffers, resp, max_body, progress)) {
            progress.keep_alive = false;
            co_return boost::system::error_code{};
        }
    }
    if (ec) {
        // Half an answer is no answer: the response stays empty, as before the exchange.
        resp.status = 0;
        resp.headers.clear();
        resp.body.clear();
    }
    co_return ec;
}

} // namespace cfmail::detail

#endif
