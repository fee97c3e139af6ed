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

#include <cfmail/detail/json_escape.hpp>

#include <array>
#include <charconv>
#include <cstring>
#include <memory>
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

// What a connection keeps between exchanges so that a send allocates nothing it could reuse.
struct exchange_buffers {
    // Size of the chunks the request is written in: a small message goes out with its header
    // in one write, a large one in pieces that keep memory flat.
    static constexpr std::size_t chunk_size = 64 * 1024;

    beast::flat_buffer read;
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

// Writes `req`: the head and the literal body as they are; a streamed JSON string escaped
// chunk by chunk into the reused chunk buffer, the head in front of the first chunk. A small
// message thus leaves in one write, and sending again (a retry) streams again from the start.
template <class Stream>
asio::awaitable<boost::system::error_code> write_request(Stream& stream, exchange_buffers& buffers,
                                                         const http_request& req) {
    format_request_head(req, req.body_size(), buffers.head);
    const auto& head = buffers.head;
    if (!req.json_string_tail) {
        const std::array<asio::const_buffer, 2> whole{asio::buffer(head), asio::buffer(req.body)};
        auto [ec, n] =
            co_await asio::async_write(stream, whole, asio::as_tuple(asio::use_awaitable));
        co_return ec;
    }
    char* chunk = buffers.chunk_data();
    std::size_t used = 0;
    if (head.size() <= exchange_buffers::chunk_size / 2) {
        std::memcpy(chunk, head.data(), head.size());
        used = head.size();
    } else {
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head),
                                                  asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return ec;
    }
    json_body_producer producer(req.body, *req.json_string_tail, req.body_end);
    while (!producer.done()) {
        used += producer.produce(chunk + used, exchange_buffers::chunk_size - used);
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(chunk, used),
                                                  asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return ec;
        used = 0;
    }
    co_return boost::system::error_code{};
}

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

// One HTTP/1.1 exchange on an open stream: writes `req` (its body streamed from the caller's
// message), reads the answer into `resp` with at most `max_body` bytes of body. Sets
// `resp.request_written` before writing, and records in `progress` how far it got. Usable on any
// Beast stream, beast::test::stream included.
template <class Stream>
asio::awaitable<boost::system::error_code>
http_exchange(Stream& stream, exchange_buffers& buffers, const http_request& req,
              http_response& resp, std::size_t max_body, exchange_progress& progress) {
    resp.request_written = true;
    if (auto write_ec = co_await write_request(stream, buffers, req)) {
        progress.write_failed = true;
        co_return normalize(write_ec);
    }

    response_reader reader(resp);
    reader.body_limit(max_body);
    reader.header_limit(64 * 1024);
    buffers.read.clear();
    auto [read_ec, read] = co_await http::async_read(stream, buffers.read, reader,
                                                     asio::as_tuple(asio::use_awaitable));
    (void)read;
    progress.got_answer_bytes = reader.got_some() || buffers.read.size() > 0;
    if (read_ec) {
        // Half an answer is no answer: the response stays empty, as before the exchange.
        resp.status = 0;
        resp.headers.clear();
        resp.body.clear();
        co_return normalize(read_ec);
    }
    progress.keep_alive = reader.keep_alive();
    co_return boost::system::error_code{};
}

} // namespace cfmail::detail

#endif
