// The HTTPS transports against servers this test starts on 127.0.0.1, with certificates made
// at test time.
#define BOOST_TEST_MODULE cfmail integration tests
#include "test_server.hpp"

#include <cfmail.hpp>
#include <cfmail/transport/https.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>

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

cfmail::https_options trusting(const certificate& c) {
    cfmail::https_options o;
    o.tls.ca_pem = c.pem;
    o.connect_timeout = 5s;
    o.attempt_timeout = 10s;
    return o;
}

cfmail::client_options options_for(const test_server& server) {
    cfmail::client_options o;
    o.base_url = server.base_url();
    o.retry.initial_backoff = 10ms;
    o.retry.max_backoff = 20ms;
    return o;
}

struct outcome {
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    cfmail::send_raw_result result;
};

// Sends `count` messages in sequence, `pause` apart, from one coroutine client; returns the
// last outcome.
outcome send_async(const test_server& server, cfmail::https_options https, int count = 1,
                   cfmail::client_options opts = {},
                   std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
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
                if (i > 0 && pause.count() > 0) {
                    boost::asio::steady_timer timer(ioc, pause);
                    co_await timer.async_wait(boost::asio::use_awaitable);
                }
                auto [ec, result] = co_await client.async_send_raw(
                    req, out.diag, boost::asio::as_tuple(boost::asio::use_awaitable));
                out.ec = ec;
                out.result = std::move(result);
            }
        },
        boost::asio::detached);
    ioc.run_for(60s);
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
    auto out = send_async(server, trusting(good_cert()), 3, {}, 100ms);
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

BOOST_AUTO_TEST_CASE(unknown_ca_is_rejected_before_sending) {
    test_server server([](const request&, int) { return ok(); }, &good_cert());
    cfmail::https_options https; // system roots only
    auto out = send_async(server, https);
    BOOST_TEST(out.ec);
    BOOST_TEST(out.ec != cfmail::error::outcome_unknown);
    BOOST_TEST(server.requests() == 0);
    BOOST_TEST(!cfmail::may_have_been_sent(out.ec, out.diag));
}

BOOST_AUTO_TEST_CASE(wrong_host_name_is_rejected) {
    test_server server([](const request&, int) { return ok(); }, &wrong_host_cert());
    auto out = send_async(server, trusting(wrong_host_cert()));
    BOOST_TEST(out.ec);
    BOOST_TEST(server.requests() == 0);
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
