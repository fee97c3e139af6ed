// cfmail-emulator: the Email Sending API on your machine (send_raw, send and the suppression
// list), for trying cfmail and testing code that sends email without sending any.
//
//   cfmail-emulator [--listen 127.0.0.1:PORT] [--tls-cert PEM --tls-key PEM] [--maildir DIR]
//                   [--token TOKEN] [--read-timeout SECONDS] [--max-connections N]
//                   [--suppressions FILE] [--page-size N]
#include "handler.hpp"
#include "maildir.hpp"

#include <cfmail/config.hpp>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace po = boost::program_options;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// What one connection may hold while a request is read. The request line and headers are
// bounded by the parser; the read buffer bounds everything else that must be whole before it
// can be parsed (chunk sizes with their extensions, trailers). The body itself goes into the
// request as it arrives, up to its own limit: room for a 25 MiB message even when JSON
// escaping inflates it.
constexpr std::uint32_t header_limit = 8 * 1024;
constexpr std::size_t read_buffer_limit = header_limit + 64 * 1024;
constexpr std::uint64_t body_limit = 200u * 1024u * 1024u;
// How long a refused request may keep arriving after its answer, so that closing the
// connection does not reset it before the client has read the answer.
constexpr auto linger_limit = 1s;

struct server_state {
    cfmail_emulator::settings settings;
    cfmail_emulator::state memory;
    std::optional<std::filesystem::path> maildir;
    std::chrono::milliseconds read_timeout{10s};
    std::size_t max_connections = 64;
    std::size_t open_connections = 0;
    std::uint64_t requests = 0;            // API requests received, whatever their fate
    std::uint64_t accepted = 0;            // messages accepted (and stored, with --maildir)
    std::uint64_t closed_after_answer = 0; // connections it closed after answering
};

// One of the --max-connections places, held by a connection from its accept to its close.
class connection_slot {
public:
    explicit connection_slot(std::shared_ptr<server_state> state)
        : state_(std::move(state)) {
        ++state_->open_connections;
    }
    connection_slot(connection_slot&& other) noexcept = default;
    connection_slot& operator=(connection_slot&&) = delete;
    ~connection_slot() {
        if (state_)
            --state_->open_connections;
    }

private:
    std::shared_ptr<server_state> state_;
};

// For the log: fault-escapeok- puts control characters in a message id.
std::string printable(std::string_view s) {
    std::string out(s);
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c < 0x20 || c > 0x7e; }, '?');
    return out;
}

// `GET /_emulator/stats`: what the emulator received, for tests that count requests.
constexpr std::string_view stats_target = "/_emulator/stats";

// Answers a request that cannot be served and hangs up. What the client still sends is read
// and dropped for a moment: closing with unread data would reset the connection, and the
// client could lose the answer.
template <class Stream>
asio::awaitable<void> refuse(const server_state& state, Stream& stream, http::status status,
                             std::string_view why) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, "text/plain");
    res.keep_alive(false);
    res.body() = std::string(why) + '\n';
    res.prepare_payload();
    auto& transport = beast::get_lowest_layer(stream);
    transport.expires_after(state.read_timeout);
    auto [ec, written] =
        co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (!ec) {
        boost::system::error_code ignored;
        transport.socket().shutdown(tcp::socket::shutdown_send, ignored);
        transport.expires_after(
            std::min<std::chrono::milliseconds>(state.read_timeout, linger_limit));
        std::vector<char> scratch(16 * 1024);
        for (;;) {
            auto [drain_ec, drained] = co_await transport.async_read_some(
                asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
            if (drain_ec)
                break;
        }
    }
    transport.close();
}

// The answer to a request that could not be read, if any: a client that hung up or let the
// read timeout pass gets none.
std::optional<std::pair<http::status, std::string_view>>
refusal_for(const boost::system::error_code& ec, bool header_done) {
    if (ec == http::error::header_limit)
        return {{http::status::request_header_fields_too_large, "Request header too large"}};
    if (ec == http::error::buffer_overflow)
        return header_done ? std::pair{http::status::payload_too_large,
                                       std::string_view("Chunk extensions or trailers too large")}
                           : std::pair{http::status::request_header_fields_too_large,
                                       std::string_view("Request header too large")};
    if (ec == http::error::body_limit)
        return {{http::status::payload_too_large, "Request body too large"}};
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == http::error::short_read)
        return std::nullopt;
    if (ec.category() == make_error_code(http::error::bad_method).category())
        return {{http::status::bad_request, "Malformed request"}};
    return std::nullopt;
}

// Whether the body's framing is one the parser reads as the client meant it: no
// Transfer-Encoding, or one whose last coding is chunked.
bool framing_understood(const http::request<http::string_body>& req) {
    std::string codings;
    bool any = false;
    for (auto [it, end] = req.equal_range(http::field::transfer_encoding); it != end; ++it) {
        codings += any ? "," : "";
        codings += it->value();
        any = true;
    }
    return !any || cfmail_emulator::chunked_is_last(codings);
}

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<server_state> state, Stream& stream) {
    // The caller set the deadline for the first request; each answer sets the next one, so
    // that a request (with the idle time before it) must arrive whole within --read-timeout,
    // however slowly its bytes trickle in.
    auto& transport = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer(read_buffer_limit);
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(header_limit);
        parser.body_limit(body_limit);
        boost::system::error_code read_ec;
        std::size_t read_n = 0;
        std::tie(read_ec, read_n) = co_await http::async_read_header(
            stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (!read_ec && !framing_understood(parser.get())) {
            co_await refuse(*state, stream, http::status::bad_request,
                            "Transfer-Encoding must end with chunked");
            co_return;
        }
        if (!read_ec && !parser.is_done())
            std::tie(read_ec, read_n) = co_await http::async_read(
                stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (read_ec) {
            if (auto refusal = refusal_for(read_ec, parser.is_header_done()))
                co_await refuse(*state, stream, refusal->first, refusal->second);
            co_return;
        }
        const auto& req = parser.get();
        // The answer gets its own deadline: a client that does not read it is let go.
        transport.expires_after(state->read_timeout);
        if (req.target() == stats_target) {
            http::response<http::string_body> res{http::status::ok, req.version()};
            res.set(http::field::content_type, "application/json");
            res.body() = boost::json::serialize(
                boost::json::object{{"requests", state->requests},
                                    {"accepted", state->accepted},
                                    {"closed_after_answer", state->closed_after_answer}});
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            auto [ec, written] =
                co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            if (ec || !res.keep_alive())
                co_return;
            transport.expires_after(state->read_timeout);
            continue;
        }
        ++state->requests;
        cfmail_emulator::incoming in{
            req.method_string(), req.target(),      req[http::field::authorization],
            req["X-Auth-Email"], req["X-Auth-Key"], req.body()};
        auto a = cfmail_emulator::handle(state->settings, state->memory, in);

        if (a.stored && state->maildir && !cfmail_emulator::store(*state->maildir, *a.stored)) {
            std::cerr << "cfmail-emulator: cannot store a message in " << *state->maildir << '\n';
            a = cfmail_emulator::error_answer(500, 10002, "Internal error: cannot store");
        }
        if (a.stored)
            ++state->accepted;
        if (a.stored)
            std::cerr << "cfmail-emulator: accepted " << printable(a.stored->message_id) << " for "
                      << a.stored->recipients.size() << " recipient(s)\n";

        using cfmail_emulator::fault;
        if (a.misbehave == fault::drop) {
            transport.close();
            co_return;
        }
        if (a.misbehave == fault::slow) {
            asio::steady_timer timer(co_await asio::this_coro::executor, 3s);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            transport.expires_after(state->read_timeout);
        }

        http::response<http::string_body> res{static_cast<http::status>(a.status), req.version()};
        res.set(http::field::content_type, "application/json");
        res.set("cf-ray", cfmail_emulator::random_hex(8) + "-EMU");
        for (const auto& [name, value] : a.headers)
            res.set(name, value);
        res.keep_alive(req.keep_alive());
        res.body() = std::move(a.body);
        res.prepare_payload();
        if (a.misbehave == fault::short_body) {
            res.content_length(res.body().size() + 100);
            // Announces more body than it sends, then hangs up.
            co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            transport.close();
            co_return;
        }
        auto [write_ec, written] =
            co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (write_ec || !res.keep_alive() || a.misbehave == fault::idle_close) {
            transport.close();
            // Counted once closed, so a test that waits for it knows the close was sent.
            ++state->closed_after_answer;
            co_return;
        }
        transport.expires_after(state->read_timeout);
    }
}

asio::awaitable<void> plain_session(std::shared_ptr<server_state> state,
                                    [[maybe_unused]] connection_slot slot, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(state->read_timeout);
    co_await serve(state, stream);
}

asio::awaitable<void> tls_session(std::shared_ptr<server_state> state,
                                  [[maybe_unused]] connection_slot slot, tcp::socket socket,
                                  asio::ssl::context& tls) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
    // One deadline covers the handshake and the first request: stalling in the handshake
    // buys a client no time.
    beast::get_lowest_layer(stream).expires_after(state->read_timeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                asio::as_tuple(asio::use_awaitable));
    if (ec)
        co_return;
    co_await serve(state, stream);
}

// Accepts while fewer than --max-connections are open. At the bound, new connections wait in
// the listen backlog rather than being refused, since an idle or stalled connection ends
// within its read timeout: a burst of clients is served late, not failed.
asio::awaitable<void> accept_loop(std::shared_ptr<server_state> state, tcp::acceptor& acceptor,
                                  asio::ssl::context* tls) {
    auto ex = acceptor.get_executor();
    asio::steady_timer pause(ex);
    for (;;) {
        while (state->open_connections >= state->max_connections) {
            pause.expires_after(20ms);
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open())
                co_return;
            // E.g. out of file descriptors: let some connections end instead of spinning.
            pause.expires_after(100ms);
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        // Answers leave at once, as the API's do: with Nagle, an early refusal could wait for
        // an ACK and be lost to the reset that closing an unread connection sends.
        boost::system::error_code option_ec;
        socket.set_option(asio::ip::tcp::no_delay(true), option_ec);
        connection_slot slot(state);
        if (tls)
            asio::co_spawn(ex, tls_session(state, std::move(slot), std::move(socket), *tls),
                           asio::detached);
        else
            asio::co_spawn(ex, plain_session(state, std::move(slot), std::move(socket)),
                           asio::detached);
    }
}

// `--listen ADDRESS:PORT`: an IP address (IPv6 in brackets) and a port of 0 to 65535, 0
// meaning any free port.
std::optional<tcp::endpoint> parse_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos)
        return std::nullopt;
    auto host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    const auto port = std::string_view(listen).substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    unsigned long value = 0;
    for (char c : port)
        value = value * 10 + static_cast<unsigned long>(c - '0');
    if (value > 65535)
        return std::nullopt;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec)
        return std::nullopt;
    return tcp::endpoint(address, static_cast<unsigned short>(value));
}

} // namespace

int main(int argc, char** argv) try {
    std::string listen = "127.0.0.1:0", cert, key, maildir, token, suppressions;
    double read_timeout_seconds = 10;
    long long max_connections = 64;
    long long page_size = 50;
    po::options_description options("cfmail-emulator options");
    options.add_options()("help,h", "print this help")("version", "print the version")(
        "listen", po::value(&listen)->default_value(listen),
        "address:port to listen on; port 0 picks a free port")(
        "tls-cert", po::value(&cert), "PEM certificate chain: serve HTTPS")(
        "tls-key", po::value(&key), "PEM private key of --tls-cert")(
        "maildir", po::value(&maildir), "directory to store accepted messages in")(
        "token", po::value(&token),
        "accept only this API token (default: any token, or email + key)")(
        "read-timeout", po::value(&read_timeout_seconds)->default_value(10),
        "seconds a connection has for each request (TLS handshake and idle time included) "
        "and for taking each answer")("max-connections",
                                      po::value(&max_connections)->default_value(64),
                                      "connections served at once; more wait to be accepted")(
        "suppressions", po::value(&suppressions),
        "JSON file with the initial suppression list: an array of suppression objects as the "
        "API returns them, only email required (the list is kept in memory only)")(
        "page-size", po::value(&page_size)->default_value(50),
        "suppressions per list page when a request names no per_page, from 1 to 1000");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, options), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "cfmail-emulator: " << e.what() << "\n" << options;
        return 2;
    }
    if (vm.count("help")) {
        std::cout << options;
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "cfmail-emulator " CFMAIL_VERSION_STRING "\n";
        return 0;
    }
    if (cert.empty() != key.empty()) {
        std::cerr << "cfmail-emulator: --tls-cert and --tls-key go together\n";
        return 2;
    }
    const auto endpoint = parse_listen(listen);
    if (!endpoint) {
        std::cerr << "cfmail-emulator: --listen takes an IP address and a port from 0 to 65535 "
                     "(0: any free port), e.g. 127.0.0.1:8787 or [::1]:0\n";
        return 2;
    }
    // Checked in milliseconds, the unit it is used in: a value that rounds to 0 would make
    // every read time out at once.
    if (!std::isfinite(read_timeout_seconds) || read_timeout_seconds > 86400 ||
        std::llround(read_timeout_seconds * 1000) < 1) {
        std::cerr << "cfmail-emulator: --read-timeout takes a number of seconds from 0.001 to "
                     "86400\n";
        return 2;
    }
    if (max_connections < 1 || max_connections > 10000) {
        std::cerr << "cfmail-emulator: --max-connections takes a number from 1 to 10000\n";
        return 2;
    }
    if (page_size < 1 || page_size > 1000) {
        std::cerr << "cfmail-emulator: --page-size takes a number from 1 to 1000\n";
        return 2;
    }

    auto state = std::make_shared<server_state>();
    if (!token.empty())
        state->settings.token = token;
    state->read_timeout = std::chrono::milliseconds(std::llround(read_timeout_seconds * 1000));
    state->max_connections = static_cast<std::size_t>(max_connections);
    state->settings.page_size = static_cast<std::size_t>(page_size);
    if (!suppressions.empty()) {
        std::ifstream in(suppressions, std::ios::binary);
        if (!in) {
            std::cerr << "cfmail-emulator: --suppressions: cannot read " << suppressions << '\n';
            return 2;
        }
        const std::string text{std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>()};
        const auto wrong = cfmail_emulator::load_suppressions(
            text, state->memory.suppressions, state->memory.now(),
            [] { return cfmail_emulator::random_hex(16); });
        if (wrong) {
            std::cerr << "cfmail-emulator: --suppressions " << suppressions << ": "
                      << printable(*wrong) << '\n';
            return 2;
        }
    }
    if (!maildir.empty()) {
        std::filesystem::create_directories(maildir);
        state->maildir = std::filesystem::canonical(maildir);
    }

    asio::io_context ioc;
    std::optional<asio::ssl::context> tls;
    if (!cert.empty()) {
        tls.emplace(asio::ssl::context::tls_server);
        tls->use_certificate_chain_file(cert);
        tls->use_private_key_file(key, asio::ssl::context::pem);
    }
    tcp::acceptor acceptor(ioc);
    acceptor.open(endpoint->protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(*endpoint);
    acceptor.listen();

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) {
        acceptor.close();
        ioc.stop();
    });

    const auto bound = acceptor.local_endpoint();
    const std::string shown_host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                           : bound.address().to_string();
    std::cout << "listening on " << (tls ? "https" : "http") << "://" << shown_host << ':'
              << bound.port() << "/client/v4" << std::endl;

    asio::co_spawn(ioc, accept_loop(state, acceptor, tls ? &*tls : nullptr), asio::detached);
    ioc.run();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "cfmail-emulator: " << e.what() << '\n';
    return 1;
}
