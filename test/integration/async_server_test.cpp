// Inside an async server, against servers this test starts on 127.0.0.1: a deadline per send
// over every HTTPS flavour, and the observer fed by the real transports.
#include "test_server.hpp"
#include "trusting.hpp"

#include <cfmail.hpp>
#include <cfmail/https_client.hpp>
#include <cfmail/observer.hpp>
#include <cfmail/testing/mock_transport.hpp>
#include <cfmail/testing/run.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <semaphore>
#include <sstream>
#include <thread>
#include <vector>

// The file's names in a namespace of their own: the build may compile test files together.
namespace integration_async_server_test {

using namespace cfmail_test;
using namespace std::chrono_literals;

namespace {

const std::string ok_answer = cfmail::testing::mock_transport::success_body(
    cfmail::send_raw_result{.delivered = {"recipient@example.com"}});

cfmail::send_raw_request a_message() {
    return {"023e105f4ecef8ad9ca31a8372d0c353",
            "sender@example.com",
            {"recipient@example.com"},
            "From: sender@example.com\r\nTo: recipient@example.com\r\nSubject: Hi\r\n\r\nHi\r\n"};
}

const certificate& localhost_cert() {
    static const certificate c = certificate::make("localhost", "DNS:localhost,IP:127.0.0.1");
    return c;
}

reply stalled() {
    reply r;
    r.what = reply::kind::stall;
    return r;
}

using clock_type = std::chrono::steady_clock;

// The send ended by the deadline, well before the transport's own 10 s attempt timeout.
void check_cut_by_deadline(boost::system::error_code ec, const cfmail::diagnostics& diag,
                           clock_type::time_point started, bool maybe_sent) {
    BOOST_TEST(ec == boost::asio::error::timed_out, ec.message() << " / " << diag);
    BOOST_TEST(cfmail::may_have_been_sent(ec, diag) == maybe_sent);
    BOOST_TEST((clock_type::now() - started < 8s));
}

} // namespace

BOOST_AUTO_TEST_SUITE(deadline_over_https)

BOOST_AUTO_TEST_CASE(a_server_that_never_answers_is_cut_at_the_deadline_in_every_flavour) {
    test_server server([](const request&, int) { return stalled(); }, &localhost_cert());
    cfmail::client_options opts;
    opts.base_url = server.base_url();
    opts.deadline = 300ms;
    const auto req = a_message();

    { // blocking, non-throwing
        cfmail::blocking_client client(cfmail::blocking_https_transport(trusting(localhost_cert())),
                                       cfmail::api_token{"t"}, opts);
        boost::system::error_code ec;
        cfmail::diagnostics diag;
        const auto started = clock_type::now();
        client.send_raw(req, ec, diag);
        check_cut_by_deadline(ec, diag, started, true);
    }
    { // blocking, throwing, the call's own deadline
        cfmail::client_options no_default = opts;
        no_default.deadline = cfmail::no_deadline;
        cfmail::blocking_client client(cfmail::blocking_https_transport(trusting(localhost_cert())),
                                       cfmail::api_token{"t"}, no_default);
        const auto started = clock_type::now();
        try {
            client.execute(cfmail::with_deadline(req, 300ms));
            BOOST_FAIL("no exception");
        } catch (const cfmail::error_with_diagnostics& e) {
            check_cut_by_deadline(e.code(), e.diag(), started, true);
        }
    }
    boost::asio::io_context ioc;
    { // coroutine, throwing
        cfmail::client client(
            cfmail::https_transport(ioc.get_executor(), trusting(localhost_cert())),
            cfmail::api_token{"t"}, opts);
        const auto started = clock_type::now();
        cfmail::testing::run(
            ioc,
            [&]() -> boost::asio::awaitable<void> {
                try {
                    co_await client.async_send_raw(req, boost::asio::use_awaitable);
                    BOOST_FAIL("no exception");
                } catch (const cfmail::error_with_diagnostics& e) {
                    check_cut_by_deadline(e.code(), e.diag(), started, true);
                }
            }(),
            20s);
    }
    { // asynchronous with diagnostics, over the pool
        cfmail::pool_options pool;
        pool.https = trusting(localhost_cert());
        cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                     cfmail::api_token{"t"}, opts);
        cfmail::diagnostics diag;
        boost::system::error_code ec;
        int completed = 0;
        const auto started = clock_type::now();
        client.async_send_raw(req, diag, [&](boost::system::error_code e, auto) {
            ec = e;
            ++completed;
        });
        ioc.restart();
        ioc.run_for(20s);
        BOOST_TEST_REQUIRE(completed == 1);
        check_cut_by_deadline(ec, diag, started, true);
    }
}

// A send waiting for a pooled connection is bounded too, and leaves the queue with nothing
// sent.
BOOST_AUTO_TEST_CASE(waiting_for_a_pooled_connection_counts_against_the_deadline) {
    test_server server([](const request&, int) { return stalled(); }, &localhost_cert());
    cfmail::client_options opts;
    opts.base_url = server.base_url();
    boost::asio::io_context ioc;
    cfmail::pool_options pool;
    pool.max_connections = 1;
    pool.https = trusting(localhost_cert());
    cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                 cfmail::api_token{"t"}, opts);
    const auto req = a_message();
    cfmail::diagnostics first_diag, second_diag;
    boost::system::error_code first_ec, second_ec;
    int completed = 0;
    client.async_execute(cfmail::with_deadline(req, 2s), first_diag,
                         [&](boost::system::error_code e, auto) {
                             first_ec = e;
                             ++completed;
                         });
    const auto started = clock_type::now();
    client.async_execute(cfmail::with_deadline(req, 200ms), second_diag,
                         [&](boost::system::error_code e, auto) {
                             second_ec = e;
                             ++completed;
                             // The first still holds the only connection.
                             BOOST_TEST((clock_type::now() - started < 1500ms));
                         });
    ioc.run_for(20s);
    BOOST_TEST_REQUIRE(completed == 2);
    check_cut_by_deadline(second_ec, second_diag, started, false);
    BOOST_TEST(second_diag.attempts == 1u);
    check_cut_by_deadline(first_ec, first_diag, started, true);
    BOOST_TEST(server.requests() == 1);
}

// A server that accepts the connection and never completes the TLS handshake: the deadline
// ends the send while connecting, so nothing was sent.
BOOST_AUTO_TEST_CASE(a_handshake_that_never_ends_is_cut_with_nothing_sent) {
    boost::asio::io_context server_ioc;
    boost::asio::ip::tcp::acceptor silent(server_ioc,
                                          {boost::asio::ip::make_address("127.0.0.1"), 0});
    cfmail::client_options opts;
    opts.base_url =
        "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/client/v4";
    opts.deadline = 300ms;
    cfmail::blocking_client client(cfmail::blocking_https_transport(trusting(localhost_cert())),
                                   cfmail::api_token{"t"}, opts);
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    const auto started = clock_type::now();
    client.send_raw(a_message(), ec, diag);
    check_cut_by_deadline(ec, diag, started, false);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(observer_over_https)

// The real transport reports the bytes it wrote and read, and the cf-ray of each answer; the
// token never appears in what the JSON observer writes.
BOOST_AUTO_TEST_CASE(events_carry_wire_figures_and_no_secret) {
    test_server server(
        [](const request&, int index) {
            reply r;
            r.headers = {{"cf-ray", "ray-" + std::to_string(index)}};
            if (index == 1) {
                r.status = 429;
                r.headers.emplace_back("Retry-After", "0");
                r.body = cfmail::testing::mock_transport::error_body(10004, "slow down");
            } else {
                r.body = ok_answer;
            }
            return r;
        },
        &localhost_cert());
    std::ostringstream lines;
    cfmail::attempt_metrics metrics;
    cfmail::client_options opts;
    opts.base_url = server.base_url();
    cfmail::json_lines_observer json(lines);
    opts.observer = [json, metrics](const cfmail::attempt_event& e) {
        json(e);
        metrics(e);
    };
    const std::string token = "secret-token-for-observer-9d2b";
    cfmail::blocking_client client(cfmail::blocking_https_transport(trusting(localhost_cert())),
                                   cfmail::api_token{token}, opts);
    const auto req = a_message();
    client.send_raw(req);

    std::vector<boost::json::object> events;
    std::istringstream in(lines.str());
    for (std::string line; std::getline(in, line);)
        events.push_back(boost::json::parse(line).as_object());
    BOOST_TEST_REQUIRE(events.size() == 4u);
    BOOST_TEST(events[1].at("http_status").as_int64() == 429);
    BOOST_TEST(events[1].at("cf_ray").as_string() == "ray-1");
    BOOST_TEST(events[1].at("decision").as_string() == "retry");
    BOOST_TEST(events[3].at("cf_ray").as_string() == "ray-2");
    BOOST_TEST(events[3].at("decision").as_string() == "finish");
    // The whole request went out: head, JSON and the message inside it.
    BOOST_TEST(events[3].at("bytes_written").as_int64() >
               static_cast<std::int64_t>(req.mime_message.size() + 200));
    BOOST_TEST(events[3].at("bytes_read").as_int64() > static_cast<std::int64_t>(ok_answer.size()));
    BOOST_TEST(lines.str().find(token) == std::string::npos);

    const auto totals = metrics.snapshot();
    BOOST_TEST(totals.attempts_ended == 2u);
    BOOST_TEST(totals.retries == 1u);
    BOOST_TEST(totals.operations_succeeded == 1u);
    BOOST_TEST(totals.bytes_written ==
               static_cast<std::uint64_t>(events[1].at("bytes_written").as_int64() +
                                          events[3].at("bytes_written").as_int64()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(thread_safe_pool)

// One io_context run by four threads, and four other threads starting sends through one
// pooled client at once: every send completes, delivered, and the server never sees more
// connections than the pool allows. TSan runs this in test/run.sh.
BOOST_AUTO_TEST_CASE(four_threads_send_through_one_pooled_client) {
    test_server server(
        [](const request&, int) {
            reply r;
            r.body = ok_answer;
            return r;
        },
        &localhost_cert());
    boost::asio::io_context ioc(4);
    cfmail::pool_options pool;
    pool.max_connections = 4;
    pool.thread_safe = true;
    pool.https = trusting(localhost_cert());
    cfmail::client_options opts;
    opts.base_url = server.base_url();
    cfmail::attempt_metrics metrics;
    opts.observer = metrics;
    cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                 cfmail::api_token{"t"}, opts);
    const auto req = a_message();

    constexpr int starters = 4;
    constexpr int per_starter = 2000;
    constexpr int in_flight_per_starter = 4; // 16 in flight: most wait for a connection
    std::atomic<int> delivered{0}, failed{0};
    auto guard = boost::asio::make_work_guard(ioc);
    std::vector<std::thread> runners;
    for (int i = 0; i < 4; ++i)
        runners.emplace_back([&] { ioc.run(); });
    std::vector<std::thread> senders;
    for (int s = 0; s < starters; ++s) {
        senders.emplace_back([&] {
            std::counting_semaphore<in_flight_per_starter> room(in_flight_per_starter);
            for (int i = 0; i < per_starter; ++i) {
                room.acquire();
                client.async_send_raw(
                    req, [&](std::exception_ptr failure, cfmail::send_raw_result result) {
                        if (!failure && result.delivered.size() == 1)
                            ++delivered;
                        else
                            ++failed;
                        room.release();
                    });
            }
            for (int i = 0; i < in_flight_per_starter; ++i) // the last sends have completed
                room.acquire();
        });
    }
    for (auto& t : senders)
        t.join();
    guard.reset();
    ioc.stop();
    for (auto& t : runners)
        t.join();

    BOOST_TEST(delivered.load() == starters * per_starter);
    BOOST_TEST(failed.load() == 0);
    BOOST_TEST(server.requests() == starters * per_starter);
    BOOST_TEST(server.peak_open_connections() <= 4);
    BOOST_TEST(metrics.snapshot().operations_succeeded ==
               static_cast<std::uint64_t>(starters * per_starter));
}

// A send in flight and a send waiting for the only connection, each cancelled from another
// thread through its coroutine's strand, complete with operation_aborted.
BOOST_AUTO_TEST_CASE(sends_cancelled_from_another_thread_end_aborted) {
    test_server server([](const request&, int) { return stalled(); }, &localhost_cert());
    boost::asio::io_context ioc(2);
    cfmail::pool_options pool;
    pool.max_connections = 1;
    pool.thread_safe = true;
    pool.https = trusting(localhost_cert());
    cfmail::client_options opts;
    opts.base_url = server.base_url();
    cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                 cfmail::api_token{"t"}, opts);
    const auto req = a_message();

    struct sender {
        boost::asio::strand<boost::asio::io_context::executor_type> strand;
        boost::asio::cancellation_signal signal;
        std::atomic<bool> done{false};
        boost::system::error_code ec;
        cfmail::diagnostics diag;
    };
    sender in_flight{boost::asio::make_strand(ioc)}, waiting{boost::asio::make_strand(ioc)};
    auto spawn = [&](sender& s) {
        boost::asio::co_spawn(
            s.strand,
            [&]() -> boost::asio::awaitable<void> {
                auto [ec, result] = co_await client.async_send_raw(
                    req, s.diag, boost::asio::as_tuple(boost::asio::use_awaitable));
                s.ec = ec;
                s.done = true;
            },
            boost::asio::bind_cancellation_slot(s.signal.slot(), boost::asio::detached));
    };
    spawn(in_flight);
    std::vector<std::thread> runners;
    for (int i = 0; i < 2; ++i)
        runners.emplace_back([&] { ioc.run_for(20s); });
    // The first holds the connection once the server has its request.
    const auto give_up = clock_type::now() + 10s;
    while (server.requests() < 1 && clock_type::now() < give_up)
        std::this_thread::sleep_for(1ms);
    BOOST_TEST_REQUIRE(server.requests() == 1);
    spawn(waiting);
    std::this_thread::sleep_for(50ms);

    // The waiting one first: cancelling the other first would hand it the connection.
    std::thread canceller([&] {
        for (sender* s : {&waiting, &in_flight}) {
            boost::asio::post(s->strand,
                              [s] { s->signal.emit(boost::asio::cancellation_type::terminal); });
            while (!s->done && clock_type::now() < give_up + 10s)
                std::this_thread::sleep_for(1ms);
        }
    });
    canceller.join();
    while (!(in_flight.done && waiting.done) && clock_type::now() < give_up + 10s)
        std::this_thread::sleep_for(1ms);
    ioc.stop();
    for (auto& t : runners)
        t.join();
    BOOST_TEST_REQUIRE(in_flight.done.load());
    BOOST_TEST_REQUIRE(waiting.done.load());
    BOOST_TEST(in_flight.ec == boost::asio::error::operation_aborted);
    BOOST_TEST(cfmail::may_have_been_sent(in_flight.ec, in_flight.diag));
    BOOST_TEST(waiting.ec == boost::asio::error::operation_aborted);
    BOOST_TEST(!cfmail::may_have_been_sent(waiting.ec, waiting.diag));
    BOOST_TEST(server.requests() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_async_server_test
