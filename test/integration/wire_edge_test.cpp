// The transports against hostile servers and a slow resolver, all on 127.0.0.1: interim
// answers, answers before the request was read, certificate failures, name resolution that
// outlasts the timeouts, and clients destroyed mid-send.
#include "fast_retries.hpp"
#include "test_server.hpp"
#include "trusting.hpp"

#include <cfmail.hpp>
#include <cfmail/https_client.hpp>
#include <cfmail/testing/mock_transport.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <dlfcn.h>
#include <functional>
#include <memory>
#include <netdb.h>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

// A resolver that stalls for names under `.slow.test`, as a DNS server that does not answer
// would; every other name resolves as usual. Defined in the test program, it stands in for
// the C library's function, which asio calls from its resolver thread.
namespace {
std::atomic<int> slow_resolver_ms{3000};
std::atomic<int> slow_resolutions{0};
} // namespace

extern "C" int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                           struct addrinfo** res) {
    using function = int (*)(const char*, const char*, const struct addrinfo*, struct addrinfo**);
    static const auto next = reinterpret_cast<function>(dlsym(RTLD_NEXT, "getaddrinfo"));
    if (node && std::string_view(node).ends_with(".slow.test")) {
        ++slow_resolutions;
        std::this_thread::sleep_for(std::chrono::milliseconds(slow_resolver_ms.load()));
        return next("127.0.0.1", service, hints, res);
    }
    return next(node, service, hints, res);
}

// The file's names in a namespace of their own: the build may compile test files together.
namespace integration_wire_edge_test {

using namespace cfmail_test;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

const std::string ok_body = cfmail::testing::mock_transport::success_body(
    {.delivered = {"recipient@example.com"}, .message_id = "<id@example.com>"});

cfmail::send_raw_request message(std::size_t body_size = 5) {
    std::string mime =
        "From: sender@example.com\r\nTo: recipient@example.com\r\nSubject: Hi\r\n\r\n";
    while (mime.size() < body_size)
        mime += std::string(76, 'b') + "\r\n";
    return {"023e105f4ecef8ad9ca31a8372d0c353",
            "sender@example.com",
            {"recipient@example.com"},
            std::move(mime)};
}

std::string http_answer(unsigned status, const std::string& body, const std::string& ray,
                        bool close = false) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\ncf-ray: " + ray +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
}

// What a raw_server writes for one request.
struct raw_reply {
    std::string bytes;           // written as they are, after the request
    bool read_whole_body = true; // false: answer after the request's head, then close at once
    bool close_after = false;    // close once written
};

// A server that reads requests and writes scripted bytes, TLS or plain, on 127.0.0.1.
class raw_server {
public:
    using script = std::function<raw_reply(int index)>;

    explicit raw_server(script s, const certificate* cert = nullptr)
        : script_(std::move(s))
        , tls_(asio::ssl::context::tls_server) {
        if (cert) {
            use_tls_ = true;
            tls_.use_certificate_chain_file(cert->cert_file);
            tls_.use_private_key_file(cert->key_file, asio::ssl::context::pem);
        }
        acceptor_.open(tcp::v4());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        // A fixed, small receive buffer (inherited by every accepted socket): loopback's
        // autotuning grows it up to 32 MiB, and a request the server leaves unread must not fit
        // whole in the kernel, or a write meant to fail at the server's reset would succeed.
        acceptor_.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~raw_server() {
        ioc_.stop();
        thread_.join();
    }

    std::string base_url(const std::string& host = "127.0.0.1") const {
        return std::string(use_tls_ ? "https" : "http") + "://" + host + ":" +
               std::to_string(port_) + "/client/v4";
    }
    int requests() const { return requests_; }
    int connections() const { return connections_; }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] =
                co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            ++connections_;
            // Each write leaves at once: with Nagle, a small answer could wait for the ACK of
            // the last handshake record and be discarded by the reset that closing sends.
            socket.set_option(tcp::no_delay(true), ec);
            auto shared = std::make_shared<tcp::socket>(std::move(socket));
            if (use_tls_) {
                auto stream = std::make_shared<asio::ssl::stream<tcp::socket&>>(*shared, tls_);
                asio::co_spawn(ioc_, tls_session(shared, stream), asio::detached);
            } else {
                asio::co_spawn(ioc_, session(shared, shared), asio::detached);
            }
        }
    }

    asio::awaitable<void> tls_session(std::shared_ptr<tcp::socket> socket,
                                      std::shared_ptr<asio::ssl::stream<tcp::socket&>> stream) {
        auto [ec] = co_await stream->async_handshake(asio::ssl::stream_base::server,
                                                     asio::as_tuple(asio::use_awaitable));
        if (!ec)
            co_await session(socket, stream);
    }

    template <class Stream>
    asio::awaitable<void> session(std::shared_ptr<tcp::socket> socket,
                                  std::shared_ptr<Stream> stream) {
        std::string buffer;
        for (;;) {
            auto [ec, head_end] =
                co_await asio::async_read_until(*stream, asio::dynamic_buffer(buffer), "\r\n\r\n",
                                                asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            const int index = ++requests_;
            raw_reply r = script_(index);
            std::size_t length = 0;
            if (auto at = buffer.find("Content-Length: "); at != std::string::npos && at < head_end)
                length = std::stoul(buffer.substr(at + 16));
            if (r.read_whole_body) {
                if (buffer.size() < head_end + length) {
                    auto [rec, n] = co_await asio::async_read(
                        *stream, asio::dynamic_buffer(buffer),
                        asio::transfer_exactly(head_end + length - buffer.size()),
                        asio::as_tuple(asio::use_awaitable));
                    if (rec)
                        co_return;
                }
                buffer.erase(0, head_end + length);
            }
            auto [wec, written] = co_await asio::async_write(*stream, asio::buffer(r.bytes),
                                                             asio::as_tuple(asio::use_awaitable));
            if (wec || r.close_after || !r.read_whole_body) {
                // With the request still unread, closing resets the connection: the client's
                // write fails after the answer arrived.
                socket->close();
                co_return;
            }
        }
    }

    script script_;
    asio::io_context ioc_;
    asio::ssl::context tls_;
    bool use_tls_ = false;
    tcp::acceptor acceptor_{ioc_};
    unsigned short port_ = 0;
    std::atomic<int> requests_{0};
    std::atomic<int> connections_{0};
    std::thread thread_;
};

const certificate& localhost_cert() {
    static const certificate c = certificate::make("localhost", "DNS:localhost,IP:127.0.0.1");
    return c;
}

// A self-signed certificate for 127.0.0.1 that expired years ago (the openssl command of
// Debian 12 cannot date one in the past).
certificate expired_certificate() {
    static std::atomic<int> counter{0};
    const auto dir =
        std::filesystem::temp_directory_path() /
        ("cfmail-expired-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    certificate c{(dir / "expired.crt").string(), (dir / "expired.key").string(), {}};
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    BOOST_TEST_REQUIRE((key && cert));
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_time_adj_ex(X509_getm_notBefore(cert.get()), -30, 0, nullptr);
    X509_time_adj_ex(X509_getm_notAfter(cert.get()), -29, 0, nullptr);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    BOOST_TEST_REQUIRE(san != nullptr);
    X509_add_ext(cert.get(), san, -1);
    X509_EXTENSION_free(san);
    BOOST_TEST_REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
    std::unique_ptr<BIO, decltype(&BIO_free)> pem(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(pem.get(), cert.get());
    char* data = nullptr;
    const long size = BIO_get_mem_data(pem.get(), &data);
    c.pem.assign(data, static_cast<std::size_t>(size));
    std::ofstream(c.cert_file) << c.pem;
    std::unique_ptr<FILE, decltype(&std::fclose)> key_file(std::fopen(c.key_file.c_str(), "w"),
                                                           std::fclose);
    BOOST_TEST_REQUIRE(key_file != nullptr);
    PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return c;
}

struct outcome {
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    cfmail::send_raw_result result;
    bool completed = false;
};

// Runs `sends` requests in sequence on one coroutine client; the outcome of each.
std::vector<outcome> send_in_sequence(const std::string& base_url, cfmail::https_options https,
                                      int sends, const cfmail::send_raw_request& req = message(),
                                      unsigned max_retries = 2) {
    asio::io_context ioc;
    auto opts = fast_retries(base_url, 10ms);
    opts.retry.max_retries = max_retries;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), std::move(https)),
                          cfmail::api_token{"edge-token"}, opts);
    std::vector<outcome> out(static_cast<std::size_t>(sends));
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            for (auto& o : out) {
                auto [ec, result] = co_await client.async_send_raw(
                    req, o.diag, asio::as_tuple(asio::use_awaitable));
                o.ec = ec;
                o.result = std::move(result);
                o.completed = true;
            }
        },
        asio::detached);
    ioc.run_for(60s);
    for (const auto& o : out)
        BOOST_TEST_REQUIRE(o.completed);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(wire_edge)

BOOST_AUTO_TEST_CASE(interim_answers_do_not_shift_later_answers) {
    // Each answer comes after interim ones; the next send on the same connection must read its
    // own answer, not a leftover.
    for (bool tls : {false, true}) {
        raw_server server(
            [](int index) {
                const std::string ray = "ray-" + std::to_string(index);
                std::string interim = index % 2 ? "HTTP/1.1 100 Continue\r\n\r\n"
                                                : "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                                                  "HTTP/1.1 102 Processing\r\n\r\n";
                return raw_reply{interim + http_answer(200, ok_body, ray)};
            },
            tls ? &localhost_cert() : nullptr);
        auto out = send_in_sequence(server.base_url(), trusting(localhost_cert()), 3);
        for (std::size_t i = 0; i < out.size(); ++i) {
            BOOST_TEST(!out[i].ec, out[i].ec.message() << " " << out[i].diag);
            BOOST_TEST(out[i].diag.http_status == 200u);
            BOOST_TEST(out[i].diag.cf_ray == "ray-" + std::to_string(i + 1));
            BOOST_TEST(out[i].result.message_id == "<id@example.com>");
        }
        BOOST_TEST(server.requests() == 3);
        BOOST_TEST(server.connections() == 1);
    }
}

BOOST_AUTO_TEST_CASE(switching_protocols_is_bad_response_and_may_have_sent) {
    raw_server server([](int) {
        return raw_reply{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
                         "Connection: Upgrade\r\n\r\n"};
    });
    auto out = send_in_sequence(server.base_url(), {}, 1);
    BOOST_TEST(out[0].ec == cfmail::error::bad_response);
    BOOST_TEST(cfmail::may_have_been_sent(out[0].ec, out[0].diag));
    BOOST_TEST(out[0].diag.attempts == 1u);
    BOOST_TEST(server.requests() == 1);
}

BOOST_AUTO_TEST_CASE(endless_interim_answers_are_cut_off) {
    std::string flood;
    while (flood.size() < 256 * 1024)
        flood += "HTTP/1.1 100 Continue\r\n\r\n";
    raw_server server([&](int) { return raw_reply{flood}; });
    auto out = send_in_sequence(server.base_url(), {}, 1);
    BOOST_TEST(out[0].ec == cfmail::error::response_too_large);
    BOOST_TEST(out[0].diag.attempts == 1u);
    BOOST_TEST(cfmail::may_have_been_sent(out[0].ec, out[0].diag));
}

BOOST_AUTO_TEST_CASE(an_early_refusal_is_reported_not_guessed) {
    // The server answers after the request's head and resets the connection while a 4 MiB body
    // is still being written: the answer says nothing was sent.
    const auto big = message(4 * 1024 * 1024);
    const std::string refusal =
        R"({"success":false,"errors":[{"code":10202,"message":"too big"}],"result":null})";
    for (bool tls : {false, true}) {
        for (unsigned status : {413u, 401u}) {
            raw_server server(
                [&](int) {
                    return raw_reply{http_answer(status, refusal, "early", true), false};
                },
                tls ? &localhost_cert() : nullptr);
            auto out = send_in_sequence(server.base_url(), trusting(localhost_cert()), 1, big);
            BOOST_TEST(out[0].ec == cfmail::error::api_rejected,
                       tls << " " << status << ": " << out[0].ec.message() << " " << out[0].diag);
            BOOST_TEST(out[0].diag.http_status == status);
            BOOST_TEST(out[0].diag.errors.size() == 1u);
            BOOST_TEST(!cfmail::may_have_been_sent(out[0].ec, out[0].diag));
            BOOST_TEST(out[0].diag.attempts == 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(certificate_failures_say_which_check_failed_and_are_not_retried) {
    const auto other_ca = certificate::make("other", "DNS:localhost,IP:127.0.0.1");
    const auto wrong_name = certificate::make("wrong", "DNS:wrong.example,IP:192.0.2.7");
    struct row {
        const certificate* served;
        const certificate* trusted;
        std::string host;
        cfmail::error expected;
    };
    const row rows[] = {
        {&localhost_cert(), &other_ca, "127.0.0.1", cfmail::error::certificate_untrusted},
        {&wrong_name, &wrong_name, "127.0.0.1", cfmail::error::certificate_name_mismatch},
        {&wrong_name, &wrong_name, "localhost", cfmail::error::certificate_name_mismatch},
    };
    for (const auto& r : rows) {
        test_server server([](const request&, int) { return reply{}; }, r.served);
        auto opts = trusting(*r.trusted);
        const std::string url =
            "https://" + r.host + ":" + std::to_string(server.port()) + "/client/v4";
        auto out = send_in_sequence(url, opts, 1);
        BOOST_TEST(out[0].ec == r.expected, r.host << ": " << out[0].ec.message());
        BOOST_TEST(out[0].diag.attempts == 1u); // no backoff, no second attempt
        BOOST_TEST(server.connections() == 1);
        BOOST_TEST(server.requests() == 0);
        BOOST_TEST(!cfmail::may_have_been_sent(out[0].ec, out[0].diag));
    }
}

BOOST_AUTO_TEST_CASE(an_expired_certificate_is_reported_as_such) {
    const certificate c = expired_certificate();
    test_server server([](const request&, int) { return reply{}; }, &c);
    auto out = send_in_sequence(server.base_url(), trusting(c), 1);
    BOOST_TEST(out[0].ec == cfmail::error::certificate_expired, out[0].ec.message());
    BOOST_TEST(out[0].diag.attempts == 1u);
    BOOST_TEST(server.requests() == 0);
}

BOOST_AUTO_TEST_CASE(a_slow_resolver_is_bounded_by_connect_timeout_in_every_transport) {
    slow_resolver_ms = 3000;
    cfmail::https_options https;
    https.connect_timeout = 300ms;
    https.attempt_timeout = 1s;
    auto opts = fast_retries("https://api.slow.test:9/client/v4", 10ms);
    opts.retry.max_retries = 0;
    const auto req = message();
    // Loose bounds: a descheduled sanitizer run may be slow, but never as slow as the resolver.
    constexpr auto bound = 2000ms;

    {
        asio::io_context ioc;
        cfmail::client client(cfmail::https_transport(ioc.get_executor(), https),
                              cfmail::api_token{"t"}, opts);
        outcome o;
        const auto start = clock_type::now();
        client.async_send_raw(req, o.diag, [&](boost::system::error_code ec, auto) {
            o.ec = ec;
            o.completed = true;
        });
        while (!o.completed && ioc.run_one_for(10s)) {
        }
        BOOST_TEST(o.completed);
        BOOST_TEST((clock_type::now() - start < bound));
        BOOST_TEST(o.ec == asio::error::timed_out, o.ec.message());
        BOOST_TEST(!cfmail::may_have_been_sent(o.ec, o.diag));
    }
    {
        asio::io_context ioc;
        cfmail::pool_options pool;
        pool.https = https;
        cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                     cfmail::api_token{"t"}, opts);
        outcome a, b;
        const auto start = clock_type::now();
        for (auto* o : {&a, &b})
            client.async_send_raw(req, o->diag, [o](boost::system::error_code ec, auto) {
                o->ec = ec;
                o->completed = true;
            });
        while (!(a.completed && b.completed) && ioc.run_one_for(10s)) {
        }
        BOOST_TEST((clock_type::now() - start < bound));
        BOOST_TEST(a.ec == asio::error::timed_out);
        BOOST_TEST(b.ec == asio::error::timed_out);
    }
    {
        // The blocking transport's backstop must never return while the exchange still runs:
        // the next send on it would share its connection and its frame would be gone.
        cfmail::blocking_client client(cfmail::blocking_https_transport(https),
                                       cfmail::api_token{"t"}, opts);
        for (int i = 0; i < 2; ++i) {
            boost::system::error_code ec;
            cfmail::diagnostics diag;
            const auto start = clock_type::now();
            client.send_raw(req, ec, diag);
            BOOST_TEST((clock_type::now() - start < bound));
            BOOST_TEST(ec == asio::error::timed_out, ec.message());
        }
    }
    BOOST_TEST(slow_resolutions >= 3); // one resolver thread: later queries queue behind
}

// A terminal cancellation emitted before the exchange's first step ran (co_spawn posts it)
// found nothing to close: the exchange went on to resolve the name and stopped only when the
// resolver answered. It must end at once, without a resolution.
BOOST_AUTO_TEST_CASE(a_send_cancelled_before_its_first_step_resolves_nothing) {
    slow_resolver_ms = 3000;
    const int resolutions_before = slow_resolutions;
    cfmail::https_options https;
    https.connect_timeout = 10s;
    auto opts = fast_retries("https://api.slow.test:9/client/v4", 10ms);
    asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), https),
                          cfmail::api_token{"t"}, opts);
    asio::cancellation_signal signal;
    outcome o;
    const auto start = clock_type::now();
    client.async_send_raw(
        message(), o.diag,
        asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, auto) {
            o.ec = ec;
            o.completed = true;
        }));
    signal.emit(asio::cancellation_type::terminal);
    while (!o.completed && ioc.run_one_for(10s)) {
    }
    BOOST_TEST(o.completed);
    BOOST_TEST(o.ec == asio::error::operation_aborted, o.ec.message());
    BOOST_TEST((clock_type::now() - start < 1500ms)); // not the resolver's 3 s
    BOOST_TEST(slow_resolutions == resolutions_before);
    BOOST_TEST(!cfmail::may_have_been_sent(o.ec, o.diag));
}

BOOST_AUTO_TEST_CASE(a_resolver_that_answers_in_time_still_connects) {
    slow_resolver_ms = 50;
    test_server server([](const request&, int) {
        reply r;
        r.body = ok_body;
        return r;
    });
    const std::string url = "http://localhost:" + std::to_string(server.port()) + "/client/v4";
    auto out = send_in_sequence(url, {}, 2);
    BOOST_TEST(!out[0].ec);
    BOOST_TEST(!out[1].ec);
    cfmail::https_options https;
    https.connect_timeout = 2s;
    // A name under .slow.test resolves to 127.0.0.1 after the delay, over plain HTTP only to a
    // loopback name, so through TLS with a certificate for it.
    const auto slow_cert = certificate::make("api.slow.test", "DNS:api.slow.test");
    test_server tls_server(
        [](const request&, int) {
            reply r;
            r.body = ok_body;
            return r;
        },
        &slow_cert);
    auto tls_out = send_in_sequence(
        "https://api.slow.test:" + std::to_string(tls_server.port()) + "/client/v4",
        [&] {
            auto o = trusting(slow_cert);
            o.connect_timeout = 2s;
            return o;
        }(),
        1);
    BOOST_TEST(!tls_out[0].ec, tls_out[0].ec.message());
    slow_resolver_ms = 3000;
}

BOOST_AUTO_TEST_CASE(destroying_a_client_mid_send_aborts_its_sends) {
    // A server that never answers; the client goes away while sends are in flight or waiting.
    test_server server([](const request&, int) {
        reply r;
        r.what = reply::kind::stall;
        return r;
    });
    auto opts = fast_retries(server.base_url(), 10ms);
    const auto req = message();
    {
        asio::io_context ioc;
        auto client = std::make_unique<cfmail::client>(cfmail::https_transport(ioc.get_executor()),
                                                       cfmail::api_token{"t"}, opts);
        outcome o;
        client->async_send_raw(req, o.diag, [&](boost::system::error_code ec, auto) {
            o.ec = ec;
            o.completed = true;
        });
        asio::steady_timer later(ioc, 200ms);
        later.async_wait([&](auto) { client.reset(); });
        ioc.run_for(10s);
        BOOST_TEST(o.completed);
        BOOST_TEST(o.ec == asio::error::operation_aborted);
        BOOST_TEST(cfmail::may_have_been_sent(o.ec, o.diag));
    }
    {
        asio::io_context ioc;
        cfmail::pool_options pool;
        pool.max_connections = 2;
        auto client = std::make_unique<cfmail::pooled_client>(
            cfmail::pooled_https_transport(ioc.get_executor(), pool), cfmail::api_token{"t"}, opts);
        std::vector<outcome> outs(4); // two in flight, two waiting for a connection
        for (auto& o : outs)
            client->async_send_raw(req, o.diag, [&o](boost::system::error_code ec, auto) {
                o.ec = ec;
                o.completed = true;
            });
        asio::steady_timer later(ioc, 200ms);
        later.async_wait([&](auto) { client.reset(); });
        ioc.run_for(10s);
        for (const auto& o : outs) {
            BOOST_TEST(o.completed);
            BOOST_TEST(o.ec == asio::error::operation_aborted);
        }
    }
}

BOOST_AUTO_TEST_CASE(timeouts_meant_as_never_do_not_wrap_into_now) {
    // milliseconds::max() for every timeout: the exchange still works (a wrapped deadline
    // would be in the past and time out at once).
    test_server server([](const request&, int) {
        reply r;
        r.body = ok_body;
        r.delay = 100ms;
        return r;
    });
    cfmail::https_options https;
    https.connect_timeout = std::chrono::milliseconds::max();
    https.attempt_timeout = std::chrono::milliseconds::max();
    auto out = send_in_sequence(server.base_url(), https, 1);
    BOOST_TEST(!out[0].ec, out[0].ec.message());
    cfmail::blocking_client blocking(cfmail::blocking_https_transport(https),
                                     cfmail::api_token{"t"}, fast_retries(server.base_url(), 10ms));
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    blocking.send_raw(message(), ec, diag);
    BOOST_TEST(!ec, ec.message());
}

BOOST_AUTO_TEST_CASE(a_write_that_fails_on_a_reused_connection_is_resent_once) {
    // The server answers the first send, then resets the connection after reading only the
    // second request's head: nothing of it was processed, so the transport resends it once,
    // on a new connection, and the server processes it once.
    // A server may also say why, with a 408 (closed for idleness) before the reset.
    // Larger than the client's send buffer can grow to (4 MiB at most on Linux by default).
    const auto big = message(4 * 1024 * 1024 + 900 * 1024);
    for (auto [tls, with_408] : {std::pair{false, false}, std::pair{true, false},
                                 std::pair{false, true}, std::pair{true, true}}) {
        raw_server server(
            [with_408](int index) {
                if (index == 2) // reset without reading the request
                    return raw_reply{with_408 ? http_answer(408, "", "idle", true) : "", false};
                return raw_reply{http_answer(200, ok_body, "ray-" + std::to_string(index))};
            },
            tls ? &localhost_cert() : nullptr);
        auto out = send_in_sequence(server.base_url(), trusting(localhost_cert()), 2, big, 0);
        BOOST_TEST(!out[0].ec);
        BOOST_TEST(!out[1].ec, tls << ": " << out[1].ec.message() << " " << out[1].diag);
        BOOST_TEST(out[1].diag.cf_ray == "ray-3");
        BOOST_TEST(out[1].diag.attempts == 1u); // resent by the transport, not retried
        BOOST_TEST(server.connections() == 2);
        BOOST_TEST(server.requests() == 3); // the reset one was never read past its head
    }
}

BOOST_AUTO_TEST_CASE(a_pooled_retry_wait_holds_no_connection) {
    // One connection; the first send is told to wait a second. The second send must get the
    // connection meanwhile and finish first.
    raw_server server([](int index) {
        if (index == 1)
            return raw_reply{"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n"
                             "Content-Length: 0\r\n\r\n"};
        return raw_reply{http_answer(200, ok_body, "ray-" + std::to_string(index))};
    });
    asio::io_context ioc;
    cfmail::pool_options pool;
    pool.max_connections = 1;
    cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                 cfmail::api_token{"t"}, fast_retries(server.base_url(), 10ms));
    const auto req = message();
    std::vector<int> order;
    outcome first, second;
    // The pool's idle timer keeps the loop busy after the sends: stop it once both are done.
    const auto stop_when_both_done = [&] {
        if (order.size() == 2)
            ioc.stop();
    };
    client.async_send_raw(req, first.diag, [&](boost::system::error_code ec, auto) {
        first.ec = ec;
        order.push_back(1);
        stop_when_both_done();
    });
    asio::steady_timer later(ioc, 200ms);
    later.async_wait([&](auto) {
        client.async_send_raw(req, second.diag, [&](boost::system::error_code ec, auto) {
            second.ec = ec;
            order.push_back(2);
            stop_when_both_done();
        });
    });
    ioc.run_for(20s);
    BOOST_TEST(!first.ec);
    BOOST_TEST(!second.ec);
    BOOST_TEST((order == std::vector<int>{2, 1}));
    BOOST_TEST(first.diag.attempts == 2u);
    BOOST_TEST(server.connections() == 1);
}

BOOST_AUTO_TEST_CASE(cancelling_an_in_flight_pooled_send) {
    // The first request is never answered; cancelling it closes its connection, and the pool
    // serves the next send on a new one.
    std::atomic<int> seen{0};
    test_server server([&](const request&, int index) {
        ++seen;
        reply r;
        if (index == 1)
            r.what = reply::kind::stall;
        else
            r.body = ok_body;
        return r;
    });
    asio::io_context ioc;
    cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor()),
                                 cfmail::api_token{"t"}, fast_retries(server.base_url(), 10ms));
    const auto req = message();
    asio::cancellation_signal signal;
    outcome cancelled, next;
    client.async_send_raw(
        req, cancelled.diag,
        asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, auto) {
            cancelled.ec = ec;
            cancelled.completed = true;
            client.async_send_raw(req, next.diag, [&](boost::system::error_code e, auto) {
                next.ec = e;
                next.completed = true;
                ioc.stop(); // the pool's idle timer would keep the loop busy
            });
        }));
    asio::steady_timer later(ioc);
    std::function<void()> cancel_once_received = [&] {
        if (seen == 0) {
            later.expires_after(5ms);
            later.async_wait([&](auto) { cancel_once_received(); });
            return;
        }
        signal.emit(asio::cancellation_type::terminal);
    };
    cancel_once_received();
    ioc.run_for(20s);
    BOOST_TEST(cancelled.completed);
    BOOST_TEST(cancelled.ec == asio::error::operation_aborted);
    BOOST_TEST(cfmail::may_have_been_sent(cancelled.ec, cancelled.diag));
    BOOST_TEST(next.completed);
    BOOST_TEST(!next.ec, next.ec.message());
    BOOST_TEST(server.connections() == 2);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_wire_edge_test
