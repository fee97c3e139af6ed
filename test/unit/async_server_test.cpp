// What a client inside an async server relies on, on the mock transport: a deadline per
// operation in every flavour, and the observer's events.
#include <cfmail.hpp>
#include <cfmail/observer.hpp>
#include <cfmail/testing/mock_transport.hpp>
#include <cfmail/testing/run.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <vector>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_async_server_test {

namespace asio = boost::asio;
using namespace cfmail;
using namespace std::chrono_literals;
using client_type = basic_client<testing::mock_transport>;

namespace {

const std::string account = "023e105f4ecef8ad9ca31a8372d0c353";
const std::string token = "observer-test-token-3f9a1c";

send_raw_request valid_request() {
    return {account,
            "sender@example.com",
            {"recipient@example.com"},
            "From: sender@example.com\r\nSubject: Hello\r\n\r\nHello, World!"};
}

std::string ok_body() {
    return testing::mock_transport::success_body(
        send_raw_result{.delivered = {"recipient@example.com"}});
}

client_options fast_options() {
    client_options opts;
    opts.retry.initial_backoff = 1ms;
    opts.retry.max_backoff = 2ms;
    return opts;
}

// Every event, copied out of the call (its views die with it).
struct recorded_event {
    attempt_phase phase;
    std::string operation;
    unsigned attempt;
    unsigned http_status;
    std::string cf_ray;
    std::vector<std::int64_t> codes;
    std::size_t bytes_written, bytes_read;
    bool request_written;
    boost::system::error_code transport_error;
    bool retrying;
    std::chrono::milliseconds retry_delay;
    boost::system::error_code outcome;
    bool may_have_been_sent;
    std::string json_line;
};

struct recorder {
    std::shared_ptr<std::vector<recorded_event>> events =
        std::make_shared<std::vector<recorded_event>>();

    void operator()(const attempt_event& e) const {
        std::vector<std::int64_t> codes;
        for (const auto& m : e.errors)
            codes.push_back(m.code);
        events->push_back({e.phase, std::string(e.operation), e.attempt, e.http_status,
                           std::string(e.cf_ray), codes, e.bytes_written, e.bytes_read,
                           e.request_written, e.transport_error, e.retrying, e.retry_delay,
                           e.outcome, e.may_have_been_sent, json_lines_observer::format(e)});
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(deadline)

// A server that throttles with a long Retry-After: the deadline cannot fit the wait, so the
// send ends at once with timed_out, and it is known that nothing was sent.
BOOST_AUTO_TEST_CASE(a_wait_longer_than_the_deadline_ends_the_send_at_once_in_every_flavour) {
    asio::io_context ioc;
    auto script = [](testing::mock_transport& mock) {
        mock.respond(429, testing::mock_transport::error_body(10004, "slow down"),
                     {{"Retry-After", "30"}});
    };
    const auto req = valid_request();
    auto check = [](boost::system::error_code ec, const diagnostics& diag) {
        BOOST_TEST(ec == asio::error::timed_out);
        BOOST_TEST(diag.attempts == 1u);
        BOOST_TEST(diag.http_status == 429u);
        BOOST_TEST(!may_have_been_sent(ec, diag));
        BOOST_TEST(diag.detail.find("deadline") != std::string::npos);
    };
    { // blocking, non-throwing, with the client's default
        testing::mock_transport mock;
        script(mock);
        auto opts = fast_options();
        opts.deadline = 2s;
        client_type client(mock, api_token{token}, opts);
        boost::system::error_code ec;
        diagnostics diag;
        client.send_raw(req, ec, diag);
        check(ec, diag);
    }
    { // blocking, throwing, with a deadline for the call only
        testing::mock_transport mock;
        script(mock);
        client_type client(mock, api_token{token}, fast_options());
        try {
            client.execute(with_deadline(req, 2s));
            BOOST_FAIL("no exception");
        } catch (const error_with_diagnostics& e) {
            check(e.code(), e.diag());
            BOOST_TEST(!e.may_have_been_sent());
        }
    }
    { // coroutine, throwing
        testing::mock_transport mock(ioc.get_executor());
        script(mock);
        client_type client(mock, api_token{token}, fast_options());
        testing::run(
            ioc,
            [&]() -> asio::awaitable<void> {
                try {
                    co_await client.async_execute(with_deadline(req, 2s), asio::use_awaitable);
                    BOOST_FAIL("no exception");
                } catch (const error_with_diagnostics& e) {
                    check(e.code(), e.diag());
                }
            }(),
            10s);
    }
    { // asynchronous, with diagnostics
        testing::mock_transport mock(ioc.get_executor());
        script(mock);
        auto opts = fast_options();
        opts.deadline = 2s;
        client_type client(mock, api_token{token}, opts);
        diagnostics diag;
        boost::system::error_code ec;
        int completed = 0;
        client.async_send_raw(req, diag, [&](boost::system::error_code e, send_raw_result) {
            ec = e;
            ++completed;
        });
        ioc.restart();
        ioc.run_for(10s);
        BOOST_TEST(completed == 1);
        check(ec, diag);
    }
}

// The deadline cuts an attempt that was written and never answered: timed_out, and the email
// may have been sent.
BOOST_AUTO_TEST_CASE(a_stalled_attempt_ends_at_the_deadline_as_maybe_sent_in_every_flavour) {
    asio::io_context ioc;
    const auto req = valid_request();
    auto check = [](boost::system::error_code ec, const diagnostics& diag) {
        BOOST_TEST(ec == asio::error::timed_out);
        BOOST_TEST(diag.attempts == 1u);
        BOOST_TEST(diag.unanswered_request);
        BOOST_TEST(may_have_been_sent(ec, diag));
        BOOST_TEST((what_now(ec, diag).step == next_step::reconcile));
    };
    {
        testing::mock_transport mock;
        mock.stall();
        client_type client(mock, api_token{token});
        boost::system::error_code ec;
        diagnostics diag;
        client.execute(with_deadline(req, 50ms), ec, diag);
        check(ec, diag);
    }
    {
        testing::mock_transport mock;
        mock.stall();
        auto opts = client_options{};
        opts.deadline = 50ms;
        client_type client(mock, api_token{token}, opts);
        BOOST_CHECK_EXCEPTION(client.send_raw(req), error_with_diagnostics,
                              [&](const error_with_diagnostics& e) {
                                  check(e.code(), e.diag());
                                  return true;
                              });
    }
    {
        testing::mock_transport mock(ioc.get_executor());
        mock.stall();
        client_type client(mock, api_token{token});
        ioc.restart();
        testing::run(
            ioc,
            [&]() -> asio::awaitable<void> {
                try {
                    co_await client.async_execute(with_deadline(req, 50ms), asio::use_awaitable);
                    BOOST_FAIL("no exception");
                } catch (const error_with_diagnostics& e) {
                    check(e.code(), e.diag());
                }
            }(),
            10s);
    }
    {
        testing::mock_transport mock(ioc.get_executor());
        mock.stall();
        auto opts = client_options{};
        opts.deadline = 50ms;
        client_type client(mock, api_token{token}, opts);
        diagnostics diag;
        boost::system::error_code ec;
        int completed = 0;
        client.async_send_raw(req, diag, [&](boost::system::error_code e, send_raw_result) {
            ec = e;
            ++completed;
        });
        ioc.restart();
        ioc.run_for(10s);
        BOOST_TEST(completed == 1);
        check(ec, diag);
    }
}

// Retries that fit in the deadline are made; the one that does not is not.
BOOST_AUTO_TEST_CASE(retries_that_fit_are_made_and_the_per_call_deadline_wins) {
    testing::mock_transport mock;
    mock.fail_before_write(asio::error::connection_refused);
    mock.respond(200, ok_body());
    auto opts = fast_options();
    opts.deadline = 1ms; // would leave no room: the call's own deadline replaces it
    client_type client(mock, api_token{token}, opts);
    boost::system::error_code ec;
    diagnostics diag;
    const auto req = valid_request();
    client.execute(with_deadline(req, 10s), ec, diag);
    BOOST_TEST(!ec);
    BOOST_TEST(diag.attempts == 2u);

    // A deadline of zero or less sends nothing.
    for (auto limit : {0ms, -5ms}) {
        testing::mock_transport empty;
        client_type c(empty, api_token{token});
        c.execute(with_deadline(req, limit), ec, diag);
        BOOST_TEST(ec == asio::error::timed_out);
        BOOST_TEST(empty.requests().empty());
        BOOST_TEST(!may_have_been_sent(ec, diag));
    }
    // An invalid request is reported as such, whatever the deadline.
    testing::mock_transport untouched;
    client_type c(untouched, api_token{token});
    auto bad = valid_request();
    bad.from = "not an address";
    c.execute(with_deadline(bad, 0ms), ec, diag);
    BOOST_TEST(ec == error::invalid_request);
}

// A proxy's refusal: a 4xx is final, a 5xx is retried like any failure before writing.
BOOST_AUTO_TEST_CASE(a_proxy_refusal_is_retried_only_when_the_gateway_failed) {
    for (unsigned status : {407u, 403u, 502u, 503u}) {
        testing::mock_transport mock;
        testing::scripted_exchange refusal;
        refusal.error = error::proxy_refused;
        refusal.proxy_status = status;
        mock.push(refusal).push(refusal).push(refusal);
        client_type client(mock, api_token{token}, fast_options());
        boost::system::error_code ec;
        diagnostics diag;
        client.send_raw(valid_request(), ec, diag);
        BOOST_TEST(ec == error::proxy_refused);
        BOOST_TEST(diag.proxy_status == status);
        BOOST_TEST(diag.attempts == (status >= 500 ? 3u : 1u));
        BOOST_TEST(!may_have_been_sent(ec, diag));
        BOOST_TEST(diag.to_string().find("proxy answered HTTP " + std::to_string(status)) !=
                   std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(observer)

BOOST_AUTO_TEST_CASE(a_throttled_then_accepted_send_reports_each_attempt_and_the_retry) {
    testing::mock_transport mock;
    mock.respond(429, testing::mock_transport::error_body(10004, "slow down"),
                 {{"Retry-After", "0"}, {"cf-ray", "ray-429"}});
    mock.respond(200, ok_body(), {{"cf-ray", "ray-200"}});
    recorder rec;
    auto opts = fast_options();
    opts.observer = rec;
    client_type client(mock, api_token{token}, opts);
    client.send_raw(valid_request());

    const auto& ev = *rec.events;
    BOOST_TEST_REQUIRE(ev.size() == 4u);
    BOOST_TEST((ev[0].phase == attempt_phase::started));
    BOOST_TEST(ev[0].attempt == 1u);
    BOOST_TEST(ev[0].operation == "send_raw");
    BOOST_TEST((ev[1].phase == attempt_phase::ended));
    BOOST_TEST(ev[1].attempt == 1u);
    BOOST_TEST(ev[1].http_status == 429u);
    BOOST_TEST(ev[1].cf_ray == "ray-429");
    BOOST_TEST(ev[1].codes == std::vector<std::int64_t>{10004}, boost::test_tools::per_element());
    BOOST_TEST(ev[1].retrying);
    BOOST_TEST(ev[1].retry_delay.count() == 0);
    BOOST_TEST(ev[1].request_written);
    BOOST_TEST(ev[1].bytes_written == mock.requests()[0].body_size()); // the mock counts bodies
    BOOST_TEST(ev[1].bytes_read > 0u);
    BOOST_TEST((ev[2].phase == attempt_phase::started));
    BOOST_TEST(ev[2].attempt == 2u);
    BOOST_TEST(ev[3].attempt == 2u);
    BOOST_TEST(ev[3].http_status == 200u);
    BOOST_TEST(ev[3].cf_ray == "ray-200");
    BOOST_TEST(!ev[3].retrying);
    BOOST_TEST(!ev[3].outcome);
    BOOST_TEST(!ev[3].may_have_been_sent);

    // The JSON line says the same, and parses.
    auto line = boost::json::parse(ev[1].json_line).as_object();
    BOOST_TEST(line.at("event").as_string() == "attempt_ended");
    BOOST_TEST(line.at("http_status").as_int64() == 429);
    BOOST_TEST(line.at("decision").as_string() == "retry");
    BOOST_TEST(line.at("error_codes").as_array().at(0).as_int64() == 10004);
    BOOST_TEST(line.at("cf_ray").as_string() == "ray-429");
    auto last = boost::json::parse(ev[3].json_line).as_object();
    BOOST_TEST(last.at("decision").as_string() == "finish");
    BOOST_TEST(last.at("outcome").is_null());
}

BOOST_AUTO_TEST_CASE(an_outcome_unknown_send_ends_with_maybe_sent) {
    testing::mock_transport mock;
    mock.fail_after_write(asio::error::connection_reset);
    recorder rec;
    auto opts = fast_options();
    opts.observer = rec;
    client_type client(mock, api_token{token}, opts);
    boost::system::error_code ec;
    diagnostics diag;
    client.send_raw(valid_request(), ec, diag);
    BOOST_TEST(ec == error::outcome_unknown);
    const auto& ev = *rec.events;
    BOOST_TEST_REQUIRE(ev.size() == 2u);
    BOOST_TEST(ev[1].http_status == 0u);
    BOOST_TEST(ev[1].transport_error == asio::error::connection_reset);
    BOOST_TEST(ev[1].request_written);
    BOOST_TEST(!ev[1].retrying);
    BOOST_TEST(ev[1].outcome == error::outcome_unknown);
    BOOST_TEST(ev[1].may_have_been_sent);
    auto line = boost::json::parse(ev[1].json_line).as_object();
    BOOST_TEST(line.at("may_have_been_sent").as_bool());
    BOOST_TEST(line.at("transport_error").as_object().at("value").as_int64() ==
               asio::error::connection_reset);
}

BOOST_AUTO_TEST_CASE(a_cancelled_send_ends_with_operation_aborted) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    mock.stall();
    recorder rec;
    auto opts = fast_options();
    opts.observer = rec;
    client_type client(mock, api_token{token}, opts);
    asio::cancellation_signal signal;
    diagnostics diag;
    boost::system::error_code ec;
    const auto req = valid_request();
    client.async_send_raw(req, diag,
                          asio::bind_cancellation_slot(
                              signal.slot(), [&](boost::system::error_code e, auto) { ec = e; }));
    ioc.poll();
    BOOST_TEST_REQUIRE(rec.events->size() == 1u);
    signal.emit(asio::cancellation_type::terminal);
    ioc.run_for(5s);
    BOOST_TEST(ec == asio::error::operation_aborted);
    const auto& ev = *rec.events;
    BOOST_TEST_REQUIRE(ev.size() == 2u);
    BOOST_TEST(ev[1].transport_error == asio::error::operation_aborted);
    BOOST_TEST(ev[1].outcome == asio::error::operation_aborted);
    BOOST_TEST(ev[1].request_written);
    BOOST_TEST(ev[1].may_have_been_sent);
}

// Cancelled during the wait before a retry: the last attempt said "retrying", and the
// operation's end is reported as abandoned, so totals add up.
BOOST_AUTO_TEST_CASE(a_send_cancelled_between_attempts_is_reported_abandoned) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    mock.respond(429, testing::mock_transport::error_body(10004, "slow down"),
                 {{"Retry-After", "30"}});
    recorder rec;
    attempt_metrics metrics;
    auto opts = fast_options();
    opts.observer = [rec, metrics](const attempt_event& e) {
        rec(e);
        metrics(e);
    };
    client_type client(mock, api_token{token}, opts);
    asio::cancellation_signal signal;
    diagnostics diag;
    boost::system::error_code ec;
    const auto req = valid_request();
    client.async_send_raw(req, diag,
                          asio::bind_cancellation_slot(
                              signal.slot(), [&](boost::system::error_code e, auto) { ec = e; }));
    for (int i = 0; i < 100 && rec.events->size() < 2; ++i)
        ioc.poll();
    BOOST_TEST_REQUIRE(rec.events->size() == 2u);
    BOOST_TEST(rec.events->at(1).retrying);
    signal.emit(asio::cancellation_type::terminal);
    ioc.run_for(5s);
    BOOST_TEST(ec == asio::error::operation_aborted);
    const auto& ev = *rec.events;
    BOOST_TEST_REQUIRE(ev.size() == 3u);
    BOOST_TEST((ev[2].phase == attempt_phase::abandoned));
    BOOST_TEST(ev[2].attempt == 1u);
    BOOST_TEST(ev[2].outcome == asio::error::operation_aborted);
    BOOST_TEST(!ev[2].may_have_been_sent);
    auto line = boost::json::parse(ev[2].json_line).as_object();
    BOOST_TEST(line.at("event").as_string() == "operation_abandoned");
    const auto totals = metrics.snapshot();
    BOOST_TEST(totals.attempts_started == totals.attempts_ended);
    BOOST_TEST(totals.operations_failed == 1u);
}

// Nothing the observer sees or writes holds a credential or the message.
BOOST_AUTO_TEST_CASE(no_event_carries_a_credential_or_the_body) {
    const std::string key = "global-api-key-77c1e0";
    for (int scheme = 0; scheme < 2; ++scheme) {
        testing::mock_transport mock;
        mock.respond(429, testing::mock_transport::error_body(10004, "slow"),
                     {{"Retry-After", "0"}});
        mock.respond(500, testing::mock_transport::error_body(10002, "internal"));
        mock.fail_before_write(asio::error::connection_refused);
        mock.fail_after_write(asio::error::connection_reset);
        std::ostringstream out;
        auto opts = fast_options();
        opts.retry.max_retries = 5;
        opts.observer = json_lines_observer(out);
        credentials creds = scheme == 0 ? credentials(api_token{token})
                                        : credentials(api_key{"ops@example.com", key});
        client_type client(mock, creds, opts);
        boost::system::error_code ec;
        diagnostics diag;
        client.send_raw(valid_request(), ec, diag);
        const std::string text = out.str();
        BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 8);
        BOOST_TEST(text.find(token) == std::string::npos);
        BOOST_TEST(text.find(key) == std::string::npos);
        BOOST_TEST(text.find("ops@example.com") == std::string::npos);
        BOOST_TEST(text.find("Hello, World!") == std::string::npos);
        BOOST_TEST(text.find("recipient@example.com") == std::string::npos);
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);)
            BOOST_TEST(boost::json::parse(line).is_object());
    }
}

BOOST_AUTO_TEST_CASE(metrics_count_attempts_outcomes_and_durations) {
    attempt_metrics metrics;
    auto opts = fast_options();
    opts.observer = metrics;
    {
        testing::mock_transport mock;
        mock.respond(429, testing::mock_transport::error_body(10004, "slow"),
                     {{"Retry-After", "0"}});
        mock.respond(200, ok_body());
        mock.fail_after_write(asio::error::connection_reset);
        mock.respond(403, testing::mock_transport::error_body(10102, "forbidden"));
        client_type client(mock, api_token{token}, opts);
        boost::system::error_code ec;
        diagnostics diag;
        client.send_raw(valid_request(), ec, diag); // 429, 200
        client.send_raw(valid_request(), ec, diag); // reset after writing
        client.send_raw(valid_request(), ec, diag); // 403
    }
    const auto t = metrics.snapshot();
    BOOST_TEST(t.attempts_started == 4u);
    BOOST_TEST(t.attempts_ended == 4u);
    BOOST_TEST(t.answered_2xx == 1u);
    BOOST_TEST(t.answered_429 == 1u);
    BOOST_TEST(t.answered_4xx == 1u);
    BOOST_TEST(t.answered_5xx == 0u);
    BOOST_TEST(t.transport_errors == 1u);
    BOOST_TEST(t.retries == 1u);
    BOOST_TEST(t.operations_succeeded == 1u);
    BOOST_TEST(t.operations_failed == 2u);
    BOOST_TEST(t.outcomes_unknown == 1u);
    BOOST_TEST(t.api_errors == 2u);
    BOOST_TEST(t.bytes_written > 0u);
    std::uint64_t bucketed = 0;
    for (auto n : t.duration_buckets)
        bucketed += n;
    BOOST_TEST(bucketed == 4u);
}

// An observer that throws does not change the send.
BOOST_AUTO_TEST_CASE(a_throwing_observer_changes_nothing) {
    testing::mock_transport mock;
    mock.respond(200, ok_body());
    auto opts = fast_options();
    opts.observer = [](const attempt_event&) { throw std::runtime_error("observer failed"); };
    client_type client(mock, api_token{token}, opts);
    boost::system::error_code ec;
    diagnostics diag;
    client.send_raw(valid_request(), ec, diag);
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_async_server_test
