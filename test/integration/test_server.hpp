// A scripted HTTP/1.1 server on 127.0.0.1 for the integration tests: TLS or plain, keep-alive,
// counting connections and requests, and able to misbehave on request.
#ifndef CFMAIL_TEST_SERVER_HPP
#define CFMAIL_TEST_SERVER_HPP

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cfmail_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// What the server does with one request.
struct reply {
    enum class kind {
        respond,            // answer, keep the connection open
        respond_then_close, // answer, then close as if the connection had idled out
        drop,               // close without answering
        stall,              // never answer
    };
    kind what = kind::respond;
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool chunked = false;
    std::chrono::milliseconds delay{0};
};

using request = http::request<http::string_body>;
using handler = std::function<reply(const request&, int index)>;

// A self-signed certificate and key, made with the openssl CLI in a fresh directory.
struct certificate {
    std::string cert_file;
    std::string key_file;
    std::string pem;

    static certificate make(const std::string& name, const std::string& subject_alt_names) {
        static std::atomic<int> counter{0};
        auto dir = std::filesystem::temp_directory_path() /
                   ("cfmail-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(dir);
        certificate c{(dir / (name + ".crt")).string(), (dir / (name + ".key")).string(), {}};
        const std::string cmd =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
            "-subj /CN=" +
            name + " -addext subjectAltName=" + subject_alt_names + " -keyout " + c.key_file +
            " -out " + c.cert_file + " >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0)
            throw std::runtime_error("openssl could not make a test certificate");
        std::ifstream in(c.cert_file);
        c.pem.assign(std::istreambuf_iterator<char>(in), {});
        return c;
    }
};

class test_server {
public:
    // A TLS server when `cert` is given, plain HTTP otherwise.
    explicit test_server(handler h, const certificate* cert = nullptr)
        : handler_(std::move(h))
        , tls_(asio::ssl::context::tls_server) {
        if (cert) {
            use_tls_ = true;
            tls_.use_certificate_chain_file(cert->cert_file);
            tls_.use_private_key_file(cert->key_file, asio::ssl::context::pem);
        }
        acceptor_.open(tcp::v4());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~test_server() {
        ioc_.stop();
        thread_.join();
    }

    unsigned short port() const { return port_; }
    std::string base_url() const {
        return std::string(use_tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
               "/client/v4";
    }
    int requests() const { return requests_; }
    int connections() const { return connections_; }
    // The most connections open at once.
    int peak_open_connections() const { return peak_open_; }
    // Connections the server closed (after an answer, or dropping a request).
    int closed() const { return closed_; }

    // Waits (bounded) until the server has closed `n` connections: the close has then been
    // sent, and a client on 127.0.0.1 sees it at its next look.
    void wait_for_closes(int n) const {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (closed_ < n) {
            if (std::chrono::steady_clock::now() > give_up)
                throw std::runtime_error("the test server did not close the connection");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    std::vector<request> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] =
                co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            ++connections_;
            const int open = ++open_;
            for (int peak = peak_open_;
                 open > peak && !peak_open_.compare_exchange_weak(peak, open);)
                ;
            auto ended = [this](std::exception_ptr) { --open_; };
            if (use_tls_) {
                auto stream = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(
                    beast::tcp_stream(std::move(socket)), tls_);
                asio::co_spawn(ioc_, tls_session(stream), ended);
            } else {
                auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
                asio::co_spawn(ioc_, session(stream), ended);
            }
        }
    }

    asio::awaitable<void> tls_session(std::shared_ptr<beast::ssl_stream<beast::tcp_stream>> s) {
        auto [ec] = co_await s->async_handshake(asio::ssl::stream_base::server,
                                                asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return;
        co_await session(s);
    }

    template <class Stream>
    asio::awaitable<void> session(std::shared_ptr<Stream> stream) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(64 * 1024 * 1024);
            auto [ec, n] = co_await http::async_read(*stream, buffer, parser,
                                                     asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            const int index = ++requests_;
            {
                std::lock_guard lock(mutex_);
                received_.push_back(parser.get());
            }
            reply r = handler_(parser.get(), index);
            if (r.delay.count() > 0 || r.what == reply::kind::stall) {
                asio::steady_timer timer(
                    ioc_, r.what == reply::kind::stall ? std::chrono::minutes(5) : r.delay);
                co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            if (r.what == reply::kind::drop) {
                beast::get_lowest_layer(*stream).close();
                ++closed_;
                co_return;
            }
            http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
            for (const auto& [name, value] : r.headers)
                res.set(name, value);
            res.set(http::field::content_type, "application/json");
            res.body() = r.body;
            res.keep_alive(true);
            if (r.chunked)
                res.chunked(true);
            else
                res.prepare_payload();
            auto [wec, written] =
                co_await http::async_write(*stream, res, asio::as_tuple(asio::use_awaitable));
            if (wec || r.what == reply::kind::respond_then_close) {
                beast::get_lowest_layer(*stream).close();
                ++closed_;
                co_return;
            }
        }
    }

    handler handler_;
    asio::io_context ioc_;
    asio::ssl::context tls_;
    bool use_tls_ = false;
    tcp::acceptor acceptor_{ioc_};
    unsigned short port_ = 0;
    std::atomic<int> requests_{0};
    std::atomic<int> connections_{0};
    std::atomic<int> open_{0}, peak_open_{0};
    std::atomic<int> closed_{0};
    mutable std::mutex mutex_;
    std::vector<request> received_;
    std::thread thread_;
};

// A port on 127.0.0.1 on which nothing listens.
inline unsigned short closed_port() {
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

} // namespace cfmail_test

#endif
