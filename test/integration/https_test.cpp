// The HTTPS transports against servers this test starts on 127.0.0.1, with certificates made
// at test time.
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
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

// The file's names in a namespace of their own: the build may compile test files together.
namespace integration_https_test {

using namespace cfmail_test;
using namespace std::chrono_literals;

namespace {

const std::string ok_body = cfmail::testing::mock_transport::success_body(
    {.delivered = {"recipient@example.com"}, .message_id = "<id@example.com>"});

reply ok() {
    reply r;
    r.body = ok_body;
    r.headers = {{"cf-ray", "test-ray"}};
    return r;
}

reply answer(unsigned status, std::string body, reply::kind what = reply::kind::respond) {
    reply r;
    r.status = status;
    r.body = std::move(body);
    r.what = what;
    return r;
}

cfmail::send_raw_request message() {
    return {
        "023e105f4ecef8ad9ca31a8372d0c353",
        "sender@example.com",
        {"recipient@example.com"},
        "From: sender@example.com\r\nTo: recipient@example.com\r\nSubject: Hi\r\n\r\nHello\r\n"};
}

const certificate& good_cert() {
    static const certificate c = certificate::make("localhost", "DNS:localhost,IP:127.0.0.1");
    return c;
}

const certificate& wrong_host_cert() {
    static const certificate c = certificate::make("wrong", "DNS:wrong.example");
    return c;
}

cfmail::client_options options_for(const test_server& server) {
    return fast_retries(server.base_url(), 10ms);
}

struct outcome {
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    cfmail::send_raw_result result;
    int completed = 0; // sends that completed: a hang or a throw must not look like success
};

// Sends `count` messages in sequence from one coroutine client, each after the server has
// closed the previous connection when `after_close`; returns the last outcome.
outcome send_async(const test_server& server, cfmail::https_options https, int count = 1,
                   cfmail::client_options opts = {}, bool after_close = false) {
    if (opts.base_url == cfmail::client_options{}.base_url)
        opts = options_for(server);
    boost::asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), https),
                          cfmail::api_token{"integration-token"}, opts);
    outcome out;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            auto req = message();
            for (int i = 0; i < count; ++i) {
                if (i > 0 && after_close)
                    server.wait_for_closes(i);
                auto [ec, result] = co_await client.async_send_raw(
                    req, out.diag, boost::asio::as_tuple(boost::asio::use_awaitable));
                out.ec = ec;
                out.result = std::move(result);
                ++out.completed;
            }
        },
        [](std::exception_ptr failure) { BOOST_TEST(!failure, "the sending coroutine threw"); });
    ioc.run_for(60s);
    BOOST_TEST_REQUIRE(out.completed == count,
                       "only " << out.completed << " of " << count << " sends completed");
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(https)

BOOST_AUTO_TEST_CASE(success_over_tls) {
    test_server server([](const request&, int) { return ok(); }, &good_cert());
    auto out = send_async(server, trusting(good_cert()));
    BOOST_TEST(!out.ec, out.ec.message() << " / " << out.diag);
    BOOST_TEST(out.result.message_id == "<id@example.com>");
    BOOST_TEST(out.diag.cf_ray == "test-ray");
    auto received = server.received();
    BOOST_TEST_REQUIRE(received.size() == 1u);
    BOOST_TEST(received[0].target() ==
               "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/email/sending/send_raw");
    BOOST_TEST(received[0]["Authorization"] == "Bearer integration-token");
    BOOST_TEST(received[0]["Content-Type"] == "application/json");
    BOOST_TEST(received[0]["Host"] == "127.0.0.1:" + std::to_string(server.port()));
    BOOST_TEST(received[0].body().find("\"mime_message\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(many_sends_share_one_connection) {
    test_server server([](const request&, int) { return ok(); }, &good_cert());
    auto out = send_async(server, trusting(good_cert()), 10);
    BOOST_TEST(!out.ec);
    BOOST_TEST(server.requests() == 10);
    BOOST_TEST(server.connections() == 1);
}

BOOST_AUTO_TEST_CASE(idle_closed_connection_is_recovered_without_a_duplicate) {
    // Every answer is followed by a close without notice; the next send comes once the
    // connection has been idle for a while, as after a server's idle timeout.
    test_server server(
        [](const request&, int) {
            auto r = ok();
            r.what = reply::kind::respond_then_close;
            return r;
        },
        &good_cert());
    auto out = send_async(server, trusting(good_cert()), 3, {}, true);
    BOOST_TEST(!out.ec, out.ec.message() << " / " << out.diag);
    BOOST_TEST(server.requests() == 3);
    BOOST_TEST(server.connections() == 3);
}

BOOST_AUTO_TEST_CASE(close_after_reading_on_a_reused_connection_is_not_resent) {
    // The server reads the second request and hangs up: it may have acted on it, so the client
    // reports an unknown outcome instead of sending it again.
    test_server server(
        [](const request&, int index) {
            return index == 1 ? ok() : answer(0, "", reply::kind::drop);
        },
        &good_cert());
    auto out = send_async(server, trusting(good_cert()), 2);
    BOOST_TEST(out.ec == cfmail::error::outcome_unknown);
    BOOST_TEST(server.requests() == 2);
    BOOST_TEST(server.connections() == 1);
}

BOOST_AUTO_TEST_CASE(rate_limit_honours_retry_after) {
    test_server server(
        [](const request&, int index) {
            if (index == 1) {
                auto r =
                    answer(429, cfmail::testing::mock_transport::error_body(10004, "Throttled"));
                r.headers = {{"Retry-After", "1"}};
                return r;
            }
            return ok();
        },
        &good_cert());
    const auto started = std::chrono::steady_clock::now();
    auto out = send_async(server, trusting(good_cert()));
    BOOST_TEST(!out.ec);
    BOOST_TEST(server.requests() == 2);
    BOOST_TEST((std::chrono::steady_clock::now() - started >= 1s));
}

BOOST_AUTO_TEST_CASE(error_500_with_envelope_is_retried) {
    test_server server(
        [](const request&, int index) {
            if (index == 1)
                return answer(500, cfmail::testing::mock_transport::error_body(10002, "Internal"));
            return ok();
        },
        &good_cert());
    auto out = send_async(server, trusting(good_cert()));
    BOOST_TEST(!out.ec);
    BOOST_TEST(server.requests() == 2);
}

BOOST_AUTO_TEST_CASE(bad_gateway_without_envelope_is_outcome_unknown_once) {
    test_server server([](const request&, int) { return answer(502, "<html>bad gateway</html>"); },
                       &good_cert());
    auto out = send_async(server, trusting(good_cert()));
    BOOST_TEST(out.ec == cfmail::error::outcome_unknown);
    BOOST_TEST(server.requests() == 1);
    BOOST_TEST(cfmail::may_have_been_sent(out.ec, out.diag));
}

BOOST_AUTO_TEST_CASE(dropped_after_the_request_is_outcome_unknown_once) {
    test_server server([](const request&, int) { return answer(0, "", reply::kind::drop); },
                       &good_cert());
    auto out = send_async(server, trusting(good_cert()));
    BOOST_TEST(out.ec == cfmail::error::outcome_unknown);
    BOOST_TEST(server.requests() == 1);
}

BOOST_AUTO_TEST_CASE(timeout_after_the_request_is_outcome_unknown_once) {
    test_server server([](const request&, int) { return answer(0, "", reply::kind::stall); },
                       &good_cert());
    auto https = trusting(good_cert());
    https.attempt_timeout = 300ms;
    const auto started = std::chrono::steady_clock::now();
    auto out = send_async(server, https);
    BOOST_TEST(out.ec == cfmail::error::outcome_unknown);
    BOOST_TEST(out.diag.transport_error == boost::asio::error::timed_out);
    BOOST_TEST(server.requests() == 1);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
}

// The deadline of an attempt is a timer, and a timer left waiting is outstanding work: after
// the last answer (or failure) run() must return at once, not when a long timeout expires.
BOOST_AUTO_TEST_CASE(no_timer_outlives_an_exchange) {
    for (auto what : {reply::kind::respond, reply::kind::respond_then_close, reply::kind::drop}) {
        BOOST_TEST_CONTEXT("server reply kind " << static_cast<int>(what)) {
            test_server server([what](const request&, int) { return answer(200, ok_body, what); },
                               &good_cert());
            auto https = trusting(good_cert());
            https.connect_timeout = 10min;
            https.attempt_timeout = 10min;
            boost::asio::io_context ioc;
            cfmail::client client(cfmail::https_transport(ioc.get_executor(), https),
                                  cfmail::api_token{"t"}, options_for(server));
            cfmail::diagnostics diag;
            int completed = 0;
            auto req = message();
            client.async_send_raw(req, diag, [&](boost::system::error_code, auto) { ++completed; });
            ioc.run_for(30s);
            BOOST_TEST_REQUIRE(completed == 1);
            BOOST_TEST(ioc.stopped(), "run() still had work after the send completed");
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_ca_is_rejected_before_sending) {
    test_server server([](const request&, int) { return ok(); }, &good_cert());
    cfmail::https_options https; // system roots only
    auto out = send_async(server, https);
    BOOST_TEST(out.ec == cfmail::error::certificate_untrusted, out.ec.message());
    BOOST_TEST(out.diag.attempts == 1u);
    BOOST_TEST(server.requests() == 0);
    BOOST_TEST(!cfmail::may_have_been_sent(out.ec, out.diag));
}

BOOST_AUTO_TEST_CASE(wrong_host_name_is_rejected) {
    test_server server([](const request&, int) { return ok(); }, &wrong_host_cert());
    auto out = send_async(server, trusting(wrong_host_cert()));
    BOOST_TEST(out.ec == cfmail::error::certificate_name_mismatch, out.ec.message());
    BOOST_TEST(out.diag.attempts == 1u);
    BOOST_TEST(server.requests() == 0);
}

BOOST_AUTO_TEST_CASE(host_names_are_verified_through_dns_names) {
    // Through `localhost`: SNI and SSL_set1_host, not the IP-address path.
    auto by_name = [](const test_server& server) {
        auto opts = options_for(server);
        opts.base_url = "https://localhost:" + std::to_string(server.port()) + "/client/v4";
        return opts;
    };
    test_server good([](const request&, int) { return ok(); }, &good_cert());
    auto out = send_async(good, trusting(good_cert()), 1, by_name(good));
    BOOST_TEST(!out.ec, out.ec.message() << " / " << out.diag);
    BOOST_TEST(good.requests() == 1);

    const auto other = certificate::make("other", "DNS:other.example");
    test_server wrong([](const request&, int) { return ok(); }, &other);
    out = send_async(wrong, trusting(other), 1, by_name(wrong));
    BOOST_TEST(out.ec == cfmail::error::certificate_name_mismatch, out.ec.message());
    BOOST_TEST(wrong.requests() == 0);
    BOOST_TEST(out.diag.attempts == 1u);
}

BOOST_AUTO_TEST_CASE(trusted_roots_from_a_directory_and_with_the_system_ones) {
    test_server server([](const request&, int) { return ok(); }, &good_cert());
    // A hashed directory, as `openssl rehash` makes it.
    const auto dir = std::filesystem::path(good_cert().cert_file).parent_path() / "roots";
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(good_cert().cert_file, dir / "localhost.pem",
                               std::filesystem::copy_options::overwrite_existing);
    BOOST_TEST_REQUIRE(
        std::system(("openssl rehash " + dir.string() + " >/dev/null 2>&1").c_str()) == 0);
    cfmail::https_options https;
    https.tls.ca_directory = dir.string();
    auto out = send_async(server, https);
    BOOST_TEST(!out.ec, out.ec.message());

    // The given root and the system's together: the given one still verifies.
    https = trusting(good_cert());
    https.tls.use_system_roots = true;
    out = send_async(server, https);
    BOOST_TEST(!out.ec, out.ec.message());

    // An empty directory trusts nothing.
    const auto empty = dir.parent_path() / "no-roots";
    std::filesystem::create_directories(empty);
    https = {};
    https.tls.ca_directory = empty.string();
    out = send_async(server, https);
    BOOST_TEST(out.ec == cfmail::error::certificate_untrusted, out.ec.message());
}

BOOST_AUTO_TEST_CASE(servers_below_tls_1_2_are_refused) {
    // A raw TLS 1.1 server: OpenSSL's security level 0 lets it offer the old protocol.
    boost::asio::io_context server_ioc;
    tcp::acceptor acceptor(server_ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    boost::asio::ssl::context old(boost::asio::ssl::context::tls_server);
    SSL_CTX_set_security_level(old.native_handle(), 0);
    SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
    old.use_certificate_chain_file(good_cert().cert_file);
    old.use_private_key_file(good_cert().key_file, boost::asio::ssl::context::pem);
    std::atomic<bool> handshook{false};
    std::thread server([&] {
        tcp::socket socket(server_ioc);
        boost::system::error_code ec;
        acceptor.accept(socket, ec);
        if (ec)
            return;
        boost::asio::ssl::stream<tcp::socket&> stream(socket, old);
        stream.handshake(boost::asio::ssl::stream_base::server, ec);
        handshook = !ec;
    });
    cfmail::client_options opts;
    opts.base_url =
        "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/client/v4";
    opts.retry.max_retries = 0;
    boost::asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), trusting(good_cert())),
                          cfmail::api_token{"t"}, opts);
    cfmail::diagnostics diag;
    boost::system::error_code ec;
    bool done = false;
    auto req = message();
    client.async_send_raw(req, diag, [&](boost::system::error_code e, auto) {
        ec = e;
        done = true;
    });
    ioc.run_for(20s);
    server.join();
    BOOST_TEST(done);
    BOOST_TEST(ec);
    BOOST_TEST(!handshook);
    BOOST_TEST(!diag.unanswered_request);
    BOOST_TEST(!cfmail::may_have_been_sent(ec, diag));
}

BOOST_AUTO_TEST_CASE(connect_timeout_bounds_a_handshake_that_never_comes) {
    // Accepts TCP connections and never answers the TLS ClientHello.
    boost::asio::io_context server_ioc;
    tcp::acceptor acceptor(server_ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    std::vector<tcp::socket> held;
    std::atomic<bool> stop{false};
    acceptor.non_blocking(true);
    std::thread server([&] {
        while (!stop) {
            boost::system::error_code ec;
            tcp::socket s(server_ioc);
            acceptor.accept(s, ec);
            if (!ec)
                held.push_back(std::move(s));
            else
                std::this_thread::sleep_for(5ms);
        }
    });
    auto https = trusting(good_cert());
    https.connect_timeout = 300ms;
    https.attempt_timeout = 30s;
    cfmail::client_options opts;
    opts.base_url =
        "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/client/v4";
    opts.retry.max_retries = 1;
    opts.retry.initial_backoff = 1ms;
    boost::asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), https),
                          cfmail::api_token{"t"}, opts);
    cfmail::diagnostics diag;
    boost::system::error_code ec;
    bool done = false;
    auto req = message();
    const auto started = std::chrono::steady_clock::now();
    client.async_send_raw(req, diag, [&](boost::system::error_code e, auto) {
        ec = e;
        done = true;
    });
    ioc.run_for(20s);
    stop = true;
    server.join();
    BOOST_TEST(done);
    BOOST_TEST(ec == boost::asio::error::timed_out, ec.message());
    BOOST_TEST(diag.attempts == 2u); // nothing was written: retried
    BOOST_TEST(!cfmail::may_have_been_sent(ec, diag));
    BOOST_TEST((std::chrono::steady_clock::now() - started < 10s)); // not the attempt timeout
}

BOOST_AUTO_TEST_CASE(oversized_answer_is_refused) {
    for (bool chunked : {false, true}) {
        test_server server(
            [chunked](const request&, int) {
                auto r = answer(200, std::string(2 * 1024 * 1024, ' ') + ok_body);
                r.chunked = chunked;
                return r;
            },
            &good_cert());
        auto out = send_async(server, trusting(good_cert()));
        BOOST_TEST(out.ec == cfmail::error::response_too_large, "chunked " << chunked);
        BOOST_TEST(server.requests() == 1);
    }
}

BOOST_AUTO_TEST_CASE(connection_refused_is_retried_then_reported) {
    cfmail::client_options opts;
    opts.base_url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/client/v4";
    opts.retry.initial_backoff = 1ms;
    boost::asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor()), cfmail::api_token{"t"},
                          opts);
    cfmail::diagnostics diag;
    boost::system::error_code ec;
    auto req = message();
    client.async_send_raw(req, diag, [&](boost::system::error_code e, auto) { ec = e; });
    ioc.run_for(20s);
    BOOST_TEST(ec == boost::asio::error::connection_refused);
    BOOST_TEST(diag.attempts == 3u);
    BOOST_TEST(!cfmail::may_have_been_sent(ec, diag));
}

BOOST_AUTO_TEST_CASE(cancellation_closes_and_the_next_send_reconnects) {
    using namespace boost::asio::experimental::awaitable_operators;
    test_server server(
        [](const request&, int index) {
            return index == 1 ? answer(0, "", reply::kind::stall) : ok();
        },
        &good_cert());
    boost::asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), trusting(good_cert())),
                          cfmail::api_token{"t"}, options_for(server));
    std::size_t winner = 9;
    boost::system::error_code second_ec;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            auto req = message();
            cfmail::diagnostics diag;
            boost::asio::steady_timer timer(ioc, 200ms);
            auto which =
                co_await (client.async_send_raw(
                              req, diag, boost::asio::as_tuple(boost::asio::use_awaitable)) ||
                          timer.async_wait(boost::asio::use_awaitable));
            winner = which.index();
            auto [ec, result] = co_await client.async_send_raw(
                req, diag, boost::asio::as_tuple(boost::asio::use_awaitable));
            second_ec = ec;
        },
        boost::asio::detached);
    ioc.run_for(20s);
    BOOST_TEST(winner == 1u);
    BOOST_TEST(!second_ec);
    BOOST_TEST(server.connections() == 2);
}

BOOST_AUTO_TEST_CASE(blocking_client_sends_and_times_out) {
    test_server server(
        [](const request&, int index) {
            return index == 1 ? ok() : answer(0, "", reply::kind::stall);
        },
        &good_cert());
    auto https = trusting(good_cert());
    https.attempt_timeout = 300ms;
    cfmail::blocking_client client(cfmail::blocking_https_transport(https), cfmail::api_token{"t"},
                                   options_for(server));
    auto result = client.send_raw(message());
    BOOST_TEST(result.message_id == "<id@example.com>");

    boost::system::error_code ec;
    cfmail::diagnostics diag;
    const auto started = std::chrono::steady_clock::now();
    client.send_raw(message(), ec, diag);
    BOOST_TEST(ec == cfmail::error::outcome_unknown);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
    BOOST_TEST(server.requests() == 2);
}

BOOST_AUTO_TEST_CASE(plain_http_to_loopback) {
    test_server server([](const request&, int) { return ok(); });
    auto out = send_async(server, cfmail::https_options{});
    BOOST_TEST(!out.ec, out.ec.message() << " / " << out.diag);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Sends through one pooled client: `requests[i]` starts at once for every i, and each outcome
// lands in `outcomes[i]` with its completion rank in `order`.
struct pool_run {
    explicit pool_run(const test_server& server, cfmail::pool_options pool, std::size_t count)
        : client(cfmail::pooled_https_transport(ioc.get_executor(), std::move(pool)),
                 cfmail::api_token{"integration-token"}, options_for(server))
        , requests(count, message())
        , outcomes(count)
        , signals(count) {
        for (std::size_t i = 0; i < count; ++i)
            requests[i].recipients = {"r" + std::to_string(i) + "@example.com"};
    }

    void start(std::size_t i) {
        client.async_send_raw(requests[i], outcomes[i].diag,
                              boost::asio::bind_cancellation_slot(
                                  signals[i].slot(), [this, i](boost::system::error_code ec,
                                                               cfmail::send_raw_result result) {
                                      outcomes[i].ec = ec;
                                      outcomes[i].result = std::move(result);
                                      order.push_back(i);
                                  }));
    }

    // Runs the io_context until `done` holds, or fails the test after `limit`.
    template <class Predicate>
    void run_until(Predicate done, std::chrono::milliseconds limit = 20s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            ioc.restart();
            ioc.run_for(5ms);
        }
        BOOST_TEST_REQUIRE(done());
    }

    bool all_done() const { return order.size() == outcomes.size(); }

    boost::asio::io_context ioc;
    cfmail::pooled_client client;
    std::vector<cfmail::send_raw_request> requests;
    std::vector<outcome> outcomes;
    std::vector<boost::asio::cancellation_signal> signals;
    std::vector<std::size_t> order;
};

cfmail::pool_options pool_of(std::size_t connections, const certificate* cert = nullptr) {
    cfmail::pool_options o;
    o.max_connections = connections;
    if (cert)
        o.https = trusting(*cert);
    return o;
}

std::string recipient_of(const request& r) {
    auto json = boost::json::parse(r.body());
    return std::string(json.at("recipients").at(0).as_string());
}

} // namespace

BOOST_AUTO_TEST_SUITE(pool)

BOOST_AUTO_TEST_CASE(runs_n_sends_at_once_over_n_tls_connections) {
    // Answers come late, so all sends are in flight or waiting at the same time.
    test_server server(
        [](const request&, int) {
            auto r = ok();
            r.delay = 1500ms;
            return r;
        },
        &good_cert());
    pool_run run(server, pool_of(4, &good_cert()), 12);
    for (std::size_t i = 0; i < 12; ++i)
        run.start(i);
    run.run_until([&] { return server.requests() == 4; });
    BOOST_TEST(run.client.transport().waiting_exchanges() == 8u);
    run.ioc.restart();
    run.ioc.run_for(100ms);
    BOOST_TEST(server.requests() == 4); // never more than N in flight
    run.run_until([&] { return run.all_done(); });
    for (const auto& o : run.outcomes)
        BOOST_TEST(!o.ec, o.ec.message() << " / " << o.diag);
    BOOST_TEST(server.requests() == 12);
    BOOST_TEST(server.connections() == 4);
    BOOST_TEST(run.client.transport().open_connections() == 4u);
    BOOST_TEST(run.client.transport().waiting_exchanges() == 0u);
}

BOOST_AUTO_TEST_CASE(waiting_sends_go_first_in_first_out) {
    test_server server([](const request&, int) {
        auto r = ok();
        r.delay = 20ms;
        return r;
    });
    pool_run run(server, pool_of(1), 6);
    for (std::size_t i = 0; i < 6; ++i)
        run.start(i);
    run.run_until([&] { return run.all_done(); });
    const std::vector<std::size_t> expected = {0, 1, 2, 3, 4, 5};
    BOOST_TEST(run.order == expected, boost::test_tools::per_element());
    const auto received = server.received();
    BOOST_TEST_REQUIRE(received.size() == 6u);
    for (std::size_t i = 0; i < 6; ++i)
        BOOST_TEST(recipient_of(received[i]) == "r" + std::to_string(i) + "@example.com");
    BOOST_TEST(server.connections() == 1);
}

BOOST_AUTO_TEST_CASE(broken_connections_are_replaced) {
    // The first answer is followed by a close; the third request is dropped unanswered.
    test_server server(
        [](const request&, int index) {
            if (index == 1) {
                auto r = ok();
                r.what = reply::kind::respond_then_close;
                return r;
            }
            if (index == 3)
                return answer(0, "", reply::kind::drop);
            return ok();
        },
        &good_cert());
    pool_run run(server, pool_of(1, &good_cert()), 4);
    for (std::size_t i = 0; i < 4; ++i) {
        run.start(i);
        run.run_until([&] { return run.order.size() == i + 1; });
        // The server's close must have reached the client before the next send.
        server.wait_for_closes(i < 2 ? 1 : 2);
    }
    BOOST_TEST(!run.outcomes[0].ec);
    BOOST_TEST(!run.outcomes[1].ec,
               "a closed idle connection is replaced: " << run.outcomes[1].ec.message() << " / "
                                                        << run.outcomes[1].diag);
    BOOST_TEST(run.outcomes[2].ec == cfmail::error::outcome_unknown);
    BOOST_TEST(!run.outcomes[3].ec, "a dropped connection is replaced");
    BOOST_TEST(server.requests() == 4); // nothing sent twice
    BOOST_TEST(server.connections() == 3);
    BOOST_TEST(run.client.transport().open_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(cancelling_a_waiting_send_removes_it_from_the_queue) {
    test_server server([](const request&, int) {
        auto r = ok();
        r.delay = 1000ms;
        return r;
    });
    pool_run run(server, pool_of(1), 3);
    for (std::size_t i = 0; i < 3; ++i)
        run.start(i);
    run.run_until([&] { return server.requests() == 1; });
    BOOST_TEST(run.client.transport().waiting_exchanges() == 2u);
    run.signals[1].emit(boost::asio::cancellation_type::terminal);
    run.run_until([&] { return run.order.size() == 1; }, 200ms); // long before the answer
    BOOST_TEST(run.order.front() == 1u);
    BOOST_TEST(run.outcomes[1].ec == boost::asio::error::operation_aborted);
    BOOST_TEST(run.client.transport().waiting_exchanges() == 1u);
    run.run_until([&] { return run.all_done(); });
    BOOST_TEST(!run.outcomes[0].ec);
    BOOST_TEST(!run.outcomes[2].ec);
    const auto received = server.received();
    BOOST_TEST_REQUIRE(received.size() == 2u); // the cancelled send never reached the server
    BOOST_TEST(recipient_of(received[1]) == "r2@example.com");
}

BOOST_AUTO_TEST_CASE(idle_connections_time_out_and_run_returns) {
    test_server server([](const request&, int) { return ok(); });
    auto opts = pool_of(2);
    opts.idle_timeout = 100ms;
    pool_run run(server, opts, 2);
    run.start(0);
    const auto started = std::chrono::steady_clock::now();
    run.ioc.run(); // returns once the idle connection was closed
    BOOST_TEST(!run.outcomes[0].ec);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 10s));
    BOOST_TEST(run.client.transport().open_connections() == 0u);
    run.start(1);
    run.run_until([&] { return run.all_done(); });
    BOOST_TEST(!run.outcomes[1].ec);
    BOOST_TEST(server.connections() == 2);
}

BOOST_AUTO_TEST_CASE(a_pool_without_connections_is_refused) {
    boost::asio::io_context ioc;
    BOOST_CHECK_THROW(cfmail::pooled_https_transport(ioc.get_executor(), pool_of(0)),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(threads_through_a_strand) {
    test_server server([](const request&, int) { return ok(); }, &good_cert());
    boost::asio::io_context ioc(2);
    auto strand = boost::asio::make_strand(ioc);
    cfmail::pooled_client client(cfmail::pooled_https_transport(strand, pool_of(4, &good_cert())),
                                 cfmail::api_token{"integration-token"}, options_for(server));
    constexpr int total = 200;
    std::atomic<int> ok_count{0};
    std::atomic<int> finished{0};
    auto req = message();
    // Eight senders on the strand, each sending its share in sequence.
    for (int sender = 0; sender < 8; ++sender) {
        boost::asio::co_spawn(
            strand,
            [&]() -> boost::asio::awaitable<void> {
                for (int i = 0; i < total / 8; ++i) {
                    cfmail::diagnostics diag;
                    auto [ec, result] = co_await client.async_send_raw(
                        req, diag, boost::asio::as_tuple(boost::asio::use_awaitable));
                    ok_count += ec ? 0 : 1;
                    if (++finished == total)
                        client.transport().close(); // lets run() return without idling
                }
            },
            boost::asio::detached);
    }
    const auto started = std::chrono::steady_clock::now();
    std::thread second([&] { ioc.run_for(60s); });
    ioc.run_for(60s);
    second.join();
    BOOST_TEST((std::chrono::steady_clock::now() - started < 30s));
    BOOST_TEST(finished == total);
    BOOST_TEST(ok_count == total);
    BOOST_TEST(server.requests() == total);
    BOOST_TEST(server.connections() <= 4);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_https_test
