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
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>

#include <cfmail/detail/json_escape.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

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
    // Size of the chunks the body is escaped into: a small message goes out with its header
    // in one write, a large one in pieces that keep memory flat.
    static constexpr std::size_t chunk_size = 64 * 1024;

    beast::flat_buffer read;
    std::unique_ptr<char[]> chunk; // allocated at the first exchange

    char* chunk_data() {
        if (!chunk)
            chunk = std::make_unique<char[]>(chunk_size);
        return chunk.get();
    }
};

// A Beast body that writes an http_request's body: its literal part, then the streamed JSON
// string escaped chunk by chunk into a reused buffer. Nothing is copied up front, and sending
// again (a retry) streams again from the start.
struct request_body {
    struct value_type {
        const http_request* request = nullptr;
        exchange_buffers* buffers = nullptr;
    };

    class writer {
    public:
        using const_buffers_type = asio::const_buffer;

        template <bool IsRequest, class Fields>
        writer(const http::header<IsRequest, Fields>&, const value_type& body)
            : body_(body) {}

        void init(boost::system::error_code& ec) {
            const auto& req = *body_.request;
            if (req.json_string_tail)
                producer_.emplace(req.body, *req.json_string_tail, req.body_end);
            ec = {};
        }

        boost::optional<std::pair<const_buffers_type, bool>> get(boost::system::error_code& ec) {
            ec = {};
            if (!producer_) {
                // A body without a streamed part goes out as it is, without a copy.
                if (sent_plain_)
                    return boost::none;
                sent_plain_ = true;
                const auto& text = body_.request->body;
                return std::pair{asio::const_buffer(text.data(), text.size()), false};
            }
            if (producer_->done())
                return boost::none;
            char* chunk = body_.buffers->chunk_data();
            const std::size_t n = producer_->produce(chunk, exchange_buffers::chunk_size);
            return std::pair{asio::const_buffer(chunk, n), !producer_->done()};
        }

    private:
        value_type body_;
        std::optional<cfmail::detail::json_body_producer> producer_;
        bool sent_plain_ = false;
    };
};

// One HTTP/1.1 exchange on an open stream: writes `req` (its body streamed from the caller's
// message), reads the answer into `resp` with at most `max_body` bytes of body. Sets
// `resp.request_written` before writing, and records in `progress` how far it got. Usable on any
// Beast stream, beast::test::stream included.
template <class Stream>
asio::awaitable<boost::system::error_code>
http_exchange(Stream& stream, exchange_buffers& buffers, const http_request& req,
              http_response& resp, std::size_t max_body, exchange_progress& progress) {
    http::request<request_body> out;
    out.method_string(req.method);
    out.target(req.target);
    out.version(11);
    for (const auto& field : req.headers)
        out.set(field.name, field.value);
    out.body() = {&req, &buffers};
    out.content_length(req.body_size());

    resp.request_written = true;
    auto [write_ec, written] =
        co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
    (void)written;
    if (write_ec) {
        progress.write_failed = true;
        co_return normalize(write_ec);
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body);
    parser.header_limit(64 * 1024);
    buffers.read.clear();
    auto [read_ec, read] = co_await http::async_read(stream, buffers.read, parser,
                                                     asio::as_tuple(asio::use_awaitable));
    (void)read;
    progress.got_answer_bytes = parser.got_some() || buffers.read.size() > 0;
    if (read_ec)
        co_return normalize(read_ec);

    auto& message = parser.get();
    resp.status = message.result_int();
    resp.headers.clear();
    for (const auto& field : message)
        resp.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    resp.body = std::move(message.body());
    progress.keep_alive = message.keep_alive();
    co_return boost::system::error_code{};
}

} // namespace cfmail::detail

#endif
