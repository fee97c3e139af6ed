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
#include <boost/beast/http/span_body.hpp>

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

// One HTTP/1.1 exchange on an open stream: writes `req` (its body straight from the caller's
// buffer), reads the answer into `resp` with at most `max_body` bytes of body. Sets
// `resp.request_written` before writing, and records in `progress` how far it got. Usable on any
// Beast stream, beast::test::stream included.
template <class Stream>
asio::awaitable<boost::system::error_code>
http_exchange(Stream& stream, beast::flat_buffer& buffer, const http_request& req,
              http_response& resp, std::size_t max_body, exchange_progress& progress) {
    http::request<http::span_body<const char>> out;
    out.method_string(req.method);
    out.target(req.target);
    out.version(11);
    for (const auto& field : req.headers)
        out.set(field.name, field.value);
    out.body() = boost::span<const char>(req.body.data(), req.body.size());
    out.keep_alive(true);
    out.prepare_payload();

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
    buffer.clear();
    auto [read_ec, read] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    (void)read;
    progress.got_answer_bytes = parser.got_some() || buffer.size() > 0;
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
