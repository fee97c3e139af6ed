// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.

// The loopback server of cfmail-bench: HTTP/1.1 with keep-alive, plain or TLS, answering every
// request with the canned success envelope of send_raw. It reads each body whole, as the real
// API must, and checks nothing else: it stands in for the network, not for the API.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

namespace cfmail_bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view success_envelope =
    R"({"success":true,"errors":[],"messages":[],"result":{"delivered":["recipient@example.com"],)"
    R"("permanent_bounces":[],"queued":[]}})";

template <class Stream>
asio::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    http::response<http::span_body<const char>> answer{http::status::ok, 11};
    answer.set(http::field::content_type, "application/json");
    answer.set("cf-ray", "0123456789abcdef-LHR");
    answer.body() = {success_envelope.data(), success_envelope.size()};
    answer.keep_alive(true);
    answer.prepare_payload();
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        auto [read_ec, n] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (read_ec)
            co_return;
        auto [write_ec, m] =
            co_await http::async_write(stream, answer, asio::as_tuple(asio::use_awaitable));
        if (write_ec || !parser.get().keep_alive())
            co_return;
    }
}

asio::awaitable<void> session(tcp::socket socket, asio::ssl::context* tls) {
    socket.set_option(tcp::no_delay(true));
    if (!tls) {
        beast::tcp_stream stream(std::move(socket));
        co_await serve(stream);
        co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                asio::as_tuple(asio::use_awaitable));
    if (!ec)
        co_await serve(stream);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio::ssl::context* tls) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return;
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), tls), asio::detached);
    }
}

} // namespace

// `server http|https PORT_FILE [CERT_FILE KEY_FILE]`: serves on 127.0.0.1 at a free port,
// written to PORT_FILE once listening, until SIGTERM or SIGINT.
int run_server(int argc, char** argv) {
    const bool use_tls = argc >= 1 && std::string_view(argv[0]) == "https";
    if (argc < 2 || (use_tls && argc != 4)) {
        std::fprintf(stderr, "usage: server http PORT_FILE | server https PORT_FILE CERT KEY\n");
        return 2;
    }
    asio::io_context ioc(1);
    std::optional<asio::ssl::context> tls;
    if (use_tls) {
        tls.emplace(asio::ssl::context::tls_server);
        tls->use_certificate_chain_file(argv[2]);
        tls->use_private_key_file(argv[3], asio::ssl::context::pem);
    }
    tcp::acceptor acceptor(ioc);
    acceptor.open(tcp::v4());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen(asio::socket_base::max_listen_connections);
    std::ofstream(argv[1]) << acceptor.local_endpoint().port() << '\n';

    asio::signal_set signals(ioc, SIGTERM, SIGINT);
    signals.async_wait([&](boost::system::error_code, int) { ioc.stop(); });
    asio::co_spawn(ioc, accept_loop(acceptor, tls ? &*tls : nullptr), asio::detached);
    ioc.run();
    return 0;
}

} // namespace cfmail_bench
