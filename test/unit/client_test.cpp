// The client through every flavour (blocking, coroutine, callback, future, as_tuple) on the
// mock transport, with one table of cases, plus cancellation and one-operation-at-a-time.
#include <cfmail.hpp>
#include <cfmail/testing/mock_transport.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <string>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_client_test {

namespace asio = boost::asio;
using namespace cfmail;
using namespace std::chrono_literals;
using client_type = basic_client<testing::mock_transport>;

namespace {

send_raw_request valid_request() {
    return {"023e105f4ecef8ad9ca31a8372d0c353",
            "sender@example.com",
            {"recipient@example.com", "bounce@example.com"},
            "From: sender@example.com\r\nSubject: Hello\r\n\r\nHello, World!"};
}

client_options fast_retries() {
    client_options opts;
    opts.retry.initial_backoff = 1ms;
    opts.retry.max_backoff = 2ms;
    return opts;
}

struct outcome {
    boost::system::error_code ec;
    diagnostics diag;
    send_raw_result result;
    bool threw_api_error = false;
};

// Each flavour sends one request through the client and reports the same outcome.
using flavour = std::function<outcome(asio::io_context&, client_type&, const send_raw_request&)>;

outcome from_exception(std::exception_ptr failure) {
    outcome out;
    try {
        if (failure)
            std::rethrow_exception(failure);
    } catch (const error_with_diagnostics& e) {
        out.ec = e.code();
        out.diag = e.diag();
        out.threw_api_error = true;
    }
    return out;
}

struct named_flavour {
    const char* name;
    bool has_diagnostics; // false: diagnostics arrive only inside a thrown api_error
    flavour run;
};

const named_flavour flavours[] = {
    {"blocking, throwing", false,
     [](asio::io_context&, client_type& c, const send_raw_request& req) {
         outcome out;
         try {
             out.result = c.send_raw(req);
         } catch (const error_with_diagnostics& e) {
             out.ec = e.code();
             out.diag = e.diag();
             out.threw_api_error = true;
         }
         return out;
     }},
    {"blocking, error_code", true,
     [](asio::io_context&, client_type& c, const send_raw_request& req) {
         outcome out;
         out.result = c.send_raw(req, out.ec, out.diag);
         return out;
     }},
    {"coroutine, default token, throwing", false,
     [](asio::io_context& ioc, client_type& c, const send_raw_request& req) {
         outcome out;
         asio::co_spawn(
             ioc,
             [&]() -> asio::awaitable<void> {
                 try {
                     out.result = co_await c.async_send_raw(req);
                 } catch (const error_with_diagnostics& e) {
                     out.ec = e.code();
                     out.diag = e.diag();
                     out.threw_api_error = true;
                 }
             },
             asio::detached);
         ioc.restart();
         ioc.run();
         return out;
     }},
    {"coroutine, diagnostics, as_tuple", true,
     [](asio::io_context& ioc, client_type& c, const send_raw_request& req) {
         outcome out;
         asio::co_spawn(
             ioc,
             [&]() -> asio::awaitable<void> {
                 auto [ec, result] =
                     co_await c.async_send_raw(req, out.diag, asio::as_tuple(asio::deferred));
                 out.ec = ec;
                 out.result = std::move(result);
             },
             asio::detached);
         ioc.restart();
         ioc.run();
         return out;
     }},
    {"callback, diagnostics", true,
     [](asio::io_context& ioc, client_type& c, const send_raw_request& req) {
         outcome out;
         bool called = false;
         c.async_send_raw(req, out.diag, [&](boost::system::error_code ec, send_raw_result result) {
             called = true;
             out.ec = ec;
             out.result = std::move(result);
         });
         BOOST_TEST(!called); // never completes inline
         ioc.restart();
         ioc.run();
         BOOST_TEST(called);
         return out;
     }},
    {"callback, exception_ptr", false,
     [](asio::io_context& ioc, client_type& c, const send_raw_request& req) {
         outcome out;
         c.async_send_raw(req, [&](std::exception_ptr failure, send_raw_result result) {
             out = from_exception(failure);
             out.result = std::move(result);
         });
         ioc.restart();
         ioc.run();
         return out;
     }},
    {"use_future", false,
     [](asio::io_context& ioc, client_type& c, const send_raw_request& req) {
         auto future = c.async_send_raw(req, asio::use_future);
         ioc.restart();
         ioc.run();
         outcome out;
         try {
             out.result = future.get();
         } catch (...) {
             out = from_exception(std::current_exception());
         }
         return out;
     }},
};

struct case_row {
    const char* name;
    std::function<void(testing::mock_transport&)> script;
    std::function<void(send_raw_request&)> edit_request;
    boost::system::error_code expected;
    std::size_t expected_requests;
    unsigned expected_status;
};

const std::string ok_body =
    testing::mock_transport::success_body({.delivered = {"recipient@example.com"},
                                           .permanent_bounces = {"bounce@example.com"},
                                           .message_id = "<id@example.com>"});

const case_row cases[] = {
    {"success",
     [](auto& m) {
         m.respond(200, ok_body, {{"cf-ray", "ray-1"}});
     },
     nullptr,
     {},
     1,
     200},
    {"bad request", [](auto& m) { m.respond_error(400, 10001, "Invalid request schema"); }, nullptr,
     error::api_rejected, 1, 400},
    {"success false at 200", [](auto& m) { m.respond_error(200, 10002, "Internal error"); },
     nullptr, error::api_rejected, 1, 200},
    {"429 then success",
     [](auto& m) {
         m.respond_error(429, 10004, "Throttled", {{"Retry-After", "0"}});
         m.respond(200, ok_body);
     },
     nullptr,
     {},
     2,
     200},
    {"500 envelope then success",
     [](auto& m) {
         m.respond_error(500, 10002, "Internal error");
         m.respond(200, ok_body);
     },
     nullptr,
     {},
     2,
     200},
    {"502 without envelope", [](auto& m) { m.respond(502, "<html>bad gateway</html>"); }, nullptr,
     error::outcome_unknown, 1, 502},
    {"reset after write", [](auto& m) { m.fail_after_write(asio::error::connection_reset); },
     nullptr, error::outcome_unknown, 1, 0},
    {"refused three times",
     [](auto& m) {
         for (int i = 0; i < 3; ++i)
             m.fail_before_write(asio::error::connection_refused);
     },
     nullptr, asio::error::connection_refused, 3, 0},
    {"invalid request sends nothing", [](auto&) {},
     [](send_raw_request& r) { r.recipients.push_back("bad\r\naddress@example.com"); },
     error::invalid_request, 0, 0},
};

} // namespace

BOOST_AUTO_TEST_SUITE(client)

BOOST_AUTO_TEST_CASE(every_case_through_every_flavour) {
    for (const auto& [flavour_name, has_diagnostics, run] : flavours) {
        for (const auto& row : cases) {
            BOOST_TEST_CONTEXT(flavour_name << " / " << row.name) {
                asio::io_context ioc;
                testing::mock_transport mock(ioc.get_executor());
                client_type c(mock, api_token{"tok"}, fast_retries());
                row.script(mock);
                auto req = valid_request();
                if (row.edit_request)
                    row.edit_request(req);

                outcome out = run(ioc, c, req);

                BOOST_TEST(out.ec == row.expected, out.ec.message() << " / " << out.diag);
                BOOST_TEST(mock.requests().size() == row.expected_requests);
                BOOST_TEST(mock.pending() == 0u);
                if (has_diagnostics || row.expected) {
                    BOOST_TEST(out.diag.http_status == row.expected_status);
                    BOOST_TEST(out.diag.attempts == row.expected_requests);
                }
                if (!row.expected) {
                    BOOST_TEST(out.result.delivered ==
                               std::vector<std::string>{"recipient@example.com"});
                    BOOST_TEST(out.result.permanent_bounces ==
                               std::vector<std::string>{"bounce@example.com"});
                    BOOST_TEST(out.result.message_id == "<id@example.com>");
                } else {
                    BOOST_TEST(out.result.delivered.empty());
                }
                if (row.expected == error::api_rejected)
                    BOOST_TEST(!out.diag.errors.empty());
                if (std::string(row.name) == "success" && has_diagnostics)
                    BOOST_TEST(out.diag.cf_ray == "ray-1");
                if (!has_diagnostics && row.expected)
                    BOOST_TEST(out.threw_api_error);
                for (const auto& sent : mock.requests())
                    BOOST_TEST(sent.header("Authorization") == "Bearer tok");
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(missing_credentials_fail_in_every_flavour_without_io) {
    for (const auto& [flavour_name, has_diagnostics, run] : flavours) {
        BOOST_TEST_CONTEXT(flavour_name) {
            asio::io_context ioc;
            testing::mock_transport mock(ioc.get_executor());
            client_type c(mock, credentials{});
            outcome out = run(ioc, c, valid_request());
            BOOST_TEST(out.ec == error::missing_credentials);
            BOOST_TEST(mock.requests().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(cancel_during_retry_wait_completes_promptly) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    client_type c(mock, api_token{"tok"});
    mock.respond_error(429, 10004, "Throttled", {{"Retry-After", "30"}});

    asio::cancellation_signal signal;
    diagnostics diag;
    boost::system::error_code result_ec;
    bool done = false;
    c.async_send_raw(
        valid_request(), diag,
        asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, auto) {
            result_ec = ec;
            done = true;
        }));
    asio::steady_timer timer(ioc, 20ms);
    timer.async_wait([&](auto) { signal.emit(asio::cancellation_type::terminal); });

    const auto started = std::chrono::steady_clock::now();
    ioc.run_for(10s);
    BOOST_TEST(done);
    BOOST_TEST(result_ec == asio::error::operation_aborted);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
    BOOST_TEST(mock.requests().size() == 1u);
    BOOST_TEST(!may_have_been_sent(result_ec, diag));
}

BOOST_AUTO_TEST_CASE(cancel_while_an_answer_is_completing_is_not_lost) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    client_type c(mock, api_token{"tok"});
    mock.respond_error(429, 10004, "Throttled", {{"Retry-After", "30"}});

    asio::cancellation_signal signal;
    diagnostics diag;
    boost::system::error_code result_ec;
    c.async_send_raw(valid_request(), diag,
                     asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec,
                                                                     auto) { result_ec = ec; }));
    // The mock's answer is already queued: the cancellation lands before it is processed.
    signal.emit(asio::cancellation_type::terminal);
    const auto started = std::chrono::steady_clock::now();
    ioc.run_for(10s);
    BOOST_TEST(result_ec == asio::error::operation_aborted);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
}

BOOST_AUTO_TEST_CASE(awaitable_or_timer_cancels_a_stalled_exchange) {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    client_type c(mock, api_token{"tok"});
    mock.stall();
    mock.respond(200, ok_body);

    int winner = -1;
    send_raw_result second;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer timer(ioc, 20ms);
            auto req = valid_request();
            auto which = co_await (c.async_send_raw(req, asio::use_awaitable) ||
                                   timer.async_wait(asio::use_awaitable));
            winner = static_cast<int>(which.index());
            // The client is usable again after the cancellation.
            second = co_await c.async_send_raw(req);
        },
        asio::detached);
    ioc.run_for(10s);
    BOOST_TEST(winner == 1);
    BOOST_TEST(second.message_id == "<id@example.com>");
    BOOST_TEST(mock.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(one_operation_at_a_time) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    client_type c(mock, api_token{"tok"});
    mock.stall();

    asio::cancellation_signal signal;
    boost::system::error_code first_ec;
    diagnostics first_diag;
    auto req = valid_request();
    c.async_send_raw(req, first_diag,
                     asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec,
                                                                     auto) { first_ec = ec; }));
    ioc.poll();

    boost::system::error_code sync_ec;
    diagnostics sync_diag;
    c.send_raw(req, sync_ec, sync_diag);
    BOOST_TEST(sync_ec == error::operation_in_progress);

    std::exception_ptr second_failure;
    c.async_send_raw(req, [&](std::exception_ptr e, auto) { second_failure = e; });
    ioc.poll();
    BOOST_TEST(from_exception(second_failure).ec == error::operation_in_progress);
    BOOST_TEST(mock.requests().size() == 1u);

    signal.emit(asio::cancellation_type::terminal);
    ioc.run_for(5s);
    BOOST_TEST(first_ec == asio::error::operation_aborted);
    BOOST_TEST(may_have_been_sent(first_ec, first_diag)); // the stalled request was written
}

BOOST_AUTO_TEST_CASE(destroying_the_client_mid_send_aborts_and_frees_nothing_in_use) {
    // An exchange in flight, and a send waiting to retry: both end with operation_aborted once
    // the client is gone, and nothing they touch is freed under them (ASan checks the rest).
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    mock.stall();
    mock.respond_error(429, 10004, "slow down", {{"Retry-After", "30"}});
    auto req = valid_request();
    boost::system::error_code in_flight_ec, waiting_ec;
    diagnostics in_flight_diag, waiting_diag;
    int completions = 0;
    {
        auto c = std::make_unique<basic_client<testing::mock_transport>>(mock, api_token{"tok"});
        c->async_send_raw(req, in_flight_diag, [&](boost::system::error_code ec, auto) {
            in_flight_ec = ec;
            ++completions;
        });
        ioc.poll();
        BOOST_TEST_REQUIRE(mock.requests().size() == 1u);
        c.reset();
    }
    ioc.run_for(5s);
    BOOST_TEST(completions == 1);
    BOOST_TEST(in_flight_ec == asio::error::operation_aborted);
    BOOST_TEST(may_have_been_sent(in_flight_ec, in_flight_diag));

    // Over a concurrent transport too: each send's own slot and timer stay alive.
    ioc.restart();
    std::exception_ptr waiting_failure;
    bool waiting_done = false;
    {
        client_type c(mock, api_token{"tok"});
        c.async_send_raw(req, waiting_diag, [&](boost::system::error_code ec, auto) {
            waiting_ec = ec;
            waiting_done = true;
        });
        ioc.run_for(100ms); // the 429 arrives; the 30 s wait begins
        BOOST_TEST_REQUIRE(mock.requests().size() == 2u);
        BOOST_TEST(!waiting_done);
    }
    const auto start = std::chrono::steady_clock::now();
    ioc.run_for(5s);
    BOOST_TEST(waiting_done);
    BOOST_TEST(waiting_ec == asio::error::operation_aborted);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 5s)); // not the 30 s wait
}

BOOST_AUTO_TEST_CASE(a_send_started_after_its_client_is_gone_is_aborted) {
    // A deferred operation keeps the client's state; started later, it must not send.
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    mock.respond_success({.delivered = {"recipient@example.com"}});
    auto req = valid_request();
    diagnostics diag;
    auto c = std::make_unique<client_type>(mock, api_token{"tok"});
    auto op = c->async_send_raw(req, diag, asio::deferred);
    // Keep the state shared, as an operation not yet started does, then destroy the client.
    c.reset();
    boost::system::error_code ec;
    bool done = false;
    std::move(op)([&](boost::system::error_code e, auto) {
        ec = e;
        done = true;
    });
    ioc.run_for(5s);
    BOOST_TEST(done);
    BOOST_TEST(ec == asio::error::operation_aborted);
    BOOST_TEST(mock.requests().empty());
}

BOOST_AUTO_TEST_CASE(a_wait_meant_as_never_does_not_wrap_into_now) {
    // With max_retry_after = milliseconds::max(), a Retry-After in 2300 is honoured: the send
    // waits (until cancelled) instead of retrying at once.
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    mock.respond_error(429, 10004, "slow down", {{"Retry-After", "Sun, 06 Nov 2300 08:49:37 GMT"}});
    mock.respond_success({.delivered = {"recipient@example.com"}});
    client_options opts;
    opts.retry.max_retry_after = std::chrono::milliseconds::max();
    opts.retry.max_backoff = std::chrono::milliseconds::max();
    client_type c(mock, api_token{"tok"}, opts);
    asio::cancellation_signal signal;
    boost::system::error_code ec;
    bool done = false;
    auto req = valid_request();
    diagnostics diag;
    c.async_send_raw(
        req, diag,
        asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code e, auto) {
            ec = e;
            done = true;
        }));
    ioc.run_for(300ms);
    BOOST_TEST(!done);
    BOOST_TEST(mock.requests().size() == 1u);
    signal.emit(asio::cancellation_type::terminal);
    ioc.run_for(5s);
    BOOST_TEST(done);
    BOOST_TEST(ec == asio::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(mock_records_the_whole_request) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    client_options opts;
    opts.base_url = "http://127.0.0.1:8787/client/v4/";
    client_type c(mock, api_key{"me@example.com", "global"}, opts);
    mock.respond(200, ok_body);
    c.send_raw(valid_request());
    BOOST_TEST_REQUIRE(mock.requests().size() == 1u);
    const auto& sent = mock.requests()[0];
    BOOST_TEST(sent.method == "POST");
    BOOST_TEST(sent.scheme == "http");
    BOOST_TEST(sent.port == "8787");
    BOOST_TEST(sent.target ==
               "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/email/sending/send_raw");
    BOOST_TEST(sent.header("x-auth-email") == "me@example.com");
    BOOST_TEST(sent.header("authorization").empty());
}

BOOST_AUTO_TEST_CASE(exhausted_script_fails_cleanly) {
    testing::mock_transport mock;
    client_options opts = fast_retries();
    client_type c(mock, api_token{"tok"}, opts);
    boost::system::error_code ec;
    diagnostics diag;
    c.send_raw(valid_request(), ec, diag);
    BOOST_TEST(ec == asio::error::no_data);
    BOOST_TEST(mock.requests().size() == 3u); // failed before writing: retried
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_client_test
