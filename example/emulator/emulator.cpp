// cfmail-emulator: the Email Sending API's send_raw endpoint on your machine, for trying cfmail
// and testing code that sends email without sending any.
//
//   cfmail-emulator [--listen 127.0.0.1:PORT] [--tls-cert PEM --tls-key PEM] [--maildir DIR]
//                   [--token TOKEN]
#include "handler.hpp"

#include <cfmail/config.hpp>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/program_options.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace po = boost::program_options;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct server_state {
    cfmail_emulator::settings settings;
    std::optional<std::filesystem::path> maildir;
    std::uint64_t requests = 0; // API requests received, whatever their fate
    std::uint64_t accepted = 0; // messages accepted (and stored, with --maildir)
};

// `GET /_emulator/stats`: what the emulator received, for tests that count requests.
constexpr std::string_view stats_target = "/_emulator/stats";

// Stores the message as `<stem>.eml` (the MIME bytes exactly) beside `<stem>.json` (its
// envelope). Names come from the emulator, never from the request; the .eml appears last and
// atomically, so a reader never sees a partial message.
bool store(const std::filesystem::path& dir, const cfmail_emulator::accepted_message& m) {
    boost::json::array recipients;
    for (const auto& r : m.recipients)
        recipients.emplace_back(r);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    boost::json::object envelope{
        {"message_id", m.message_id},
        {"account_id", m.account_id},
        {"from", m.from},
        {"recipients", std::move(recipients)},
        {"received_at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now).count()}};
    const auto json_path = dir / (m.file_stem + ".json");
    const auto eml_path = dir / (m.file_stem + ".eml");
    const auto tmp_path = dir / (m.file_stem + ".eml.tmp");
    {
        std::ofstream out(json_path, std::ios::binary);
        out << boost::json::serialize(envelope) << '\n';
        if (!out)
            return false;
    }
    {
        std::ofstream out(tmp_path, std::ios::binary);
        out.write(m.mime_message.data(), static_cast<std::streamsize>(m.mime_message.size()));
        if (!out)
            return false;
    }
    std::error_code ec;
    std::filesystem::rename(tmp_path, eml_path, ec);
    return !ec;
}

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<server_state> state, Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        // Room for a 25 MiB message even when JSON escaping inflates it.
        parser.body_limit(200u * 1024u * 1024u);
        auto [read_ec, n] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (read_ec)
            co_return;
        const auto& req = parser.get();
        if (req.target() == stats_target) {
            http::response<http::string_body> res{http::status::ok, req.version()};
            res.set(http::field::content_type, "application/json");
            res.body() = boost::json::serialize(
                boost::json::object{{"requests", state->requests}, {"accepted", state->accepted}});
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            auto [ec, written] =
                co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            if (ec || !res.keep_alive())
                co_return;
            continue;
        }
        ++state->requests;
        cfmail_emulator::incoming in{
            req.method_string(), req.target(),      req[http::field::authorization],
            req["X-Auth-Email"], req["X-Auth-Key"], req.body()};
        auto a = cfmail_emulator::handle(state->settings, in);

        if (a.stored && state->maildir && !store(*state->maildir, *a.stored)) {
            std::cerr << "cfmail-emulator: cannot store a message in " << *state->maildir << '\n';
            a = cfmail_emulator::error_answer(500, 10002, "Internal error: cannot store");
        }
        if (a.stored)
            ++state->accepted;
        if (a.stored)
            std::cerr << "cfmail-emulator: accepted " << a.stored->message_id << " for "
                      << a.stored->recipients.size() << " recipient(s)\n";

        using cfmail_emulator::fault;
        if (a.misbehave == fault::drop) {
            beast::get_lowest_layer(stream).close();
            co_return;
        }
        if (a.misbehave == fault::slow) {
            asio::steady_timer timer(co_await asio::this_coro::executor, 3s);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
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
            beast::get_lowest_layer(stream).close();
            co_return;
        }
        auto [write_ec, written] =
            co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (write_ec || !res.keep_alive() || a.misbehave == fault::idle_close) {
            beast::get_lowest_layer(stream).close();
            co_return;
        }
    }
}

asio::awaitable<void> plain_session(std::shared_ptr<server_state> state, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(state, stream);
}

asio::awaitable<void> tls_session(std::shared_ptr<server_state> state, tcp::socket socket,
                                  asio::ssl::context& tls) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
    beast::get_lowest_layer(stream).expires_after(10s);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                asio::as_tuple(asio::use_awaitable));
    if (ec)
        co_return;
    beast::get_lowest_layer(stream).expires_never();
    co_await serve(state, stream);
}

asio::awaitable<void> accept_loop(std::shared_ptr<server_state> state, tcp::acceptor& acceptor,
                                  asio::ssl::context* tls) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open())
                co_return;
            continue;
        }
        auto ex = acceptor.get_executor();
        if (tls)
            asio::co_spawn(ex, tls_session(state, std::move(socket), *tls), asio::detached);
        else
            asio::co_spawn(ex, plain_session(state, std::move(socket)), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) try {
    std::string listen = "127.0.0.1:0", cert, key, maildir, token;
    po::options_description options("cfmail-emulator options");
    options.add_options()("help,h", "print this help")("version", "print the version")(
        "listen", po::value(&listen)->default_value(listen),
        "address:port to listen on; port 0 picks a free port")(
        "tls-cert", po::value(&cert), "PEM certificate chain: serve HTTPS")(
        "tls-key", po::value(&key), "PEM private key of --tls-cert")(
        "maildir", po::value(&maildir), "directory to store accepted messages in")(
        "token", po::value(&token),
        "accept only this API token (default: any token, or email + key)");
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

    auto state = std::make_shared<server_state>();
    if (!token.empty())
        state->settings.token = token;
    if (!maildir.empty()) {
        std::filesystem::create_directories(maildir);
        state->maildir = std::filesystem::canonical(maildir);
    }

    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        std::cerr << "cfmail-emulator: --listen takes address:port\n";
        return 2;
    }
    auto host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    const tcp::endpoint endpoint(asio::ip::make_address(host),
                                 static_cast<unsigned short>(std::stoul(listen.substr(colon + 1))));

    asio::io_context ioc;
    std::optional<asio::ssl::context> tls;
    if (!cert.empty()) {
        tls.emplace(asio::ssl::context::tls_server);
        tls->use_certificate_chain_file(cert);
        tls->use_private_key_file(key, asio::ssl::context::pem);
    }
    tcp::acceptor acceptor(ioc);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
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
