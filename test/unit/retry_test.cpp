// The interpretation and retry rules of the protocol core, stepped by hand: no transport, no
// clock, no waiting.
#include <cfmail/detail/send_algorithm.hpp>
#include <cfmail/error.hpp>
#include <cfmail/testing/mock_transport.hpp>

#include <boost/asio/error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace cfmail;
using namespace std::chrono_literals;
using detail::next_action;
using kind = next_action::kind;

namespace {

const std::string error_500 =
    R"({"success":false,"errors":[{"code":10002,"message":"Internal error"}],"result":null})";
const std::string error_429 =
    R"({"success":false,"errors":[{"code":10004,"message":"Throttled"}],"result":null})";

// A send whose attempts the test answers one by one.
struct stepper {
    detail::client_config config;
    detail::send_algorithm algo{config};
    diagnostics diag;
    send_raw_request req{"023e105f4ecef8ad9ca31a8372d0c353",
                         "sender@example.com",
                         {"recipient@example.com"},
                         "Subject: hi\r\n\r\nbody"};
    next_action action;

    explicit stepper(retry_policy policy = no_jitter())
        : config(api_token{"t"}, options_with(policy)) {
        action = algo.start(req, diag);
        BOOST_TEST_REQUIRE((action.what == kind::round_trip));
    }

    static retry_policy no_jitter() {
        retry_policy p;
        p.jitter = 0;
        return p;
    }
    static client_options options_with(retry_policy p) {
        client_options o;
        o.retry = p;
        return o;
    }

    next_action answer(unsigned status, std::string body, std::vector<http_header> headers = {}) {
        auto& resp = algo.response();
        resp.clear();
        resp.request_written = true;
        resp.status = status;
        resp.body = std::move(body);
        resp.headers = std::move(headers);
        action = algo.resume({});
        return action;
    }

    next_action fail(boost::system::error_code ec, bool written) {
        auto& resp = algo.response();
        resp.clear();
        resp.request_written = written;
        action = algo.resume(ec);
        return action;
    }

    // Ends a wait as the timer would.
    next_action waited(boost::system::error_code ec = {}) {
        BOOST_TEST_REQUIRE((action.what == kind::wait));
        action = algo.resume(ec);
        return action;
    }
};

const std::string ok_body = testing::mock_transport::success_body(
    {.delivered = {"recipient@example.com"}, .message_id = "<m@example.com>"});

} // namespace

BOOST_AUTO_TEST_SUITE(retry_rules)

BOOST_AUTO_TEST_CASE(success_on_first_attempt) {
    stepper s;
    auto a = s.answer(200, ok_body, {{"cf-ray", "8f00aa-LHR"}});
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(!a.ec);
    BOOST_TEST(s.algo.result().message_id == "<m@example.com>");
    BOOST_TEST(s.diag.attempts == 1u);
    BOOST_TEST(s.diag.cf_ray == "8f00aa-LHR");
    BOOST_TEST(s.diag.http_status == 200u);
}

BOOST_AUTO_TEST_CASE(success_false_is_an_error_even_at_200) {
    stepper s;
    auto a = s.answer(200, error_500);
    BOOST_TEST(a.ec == error::api_error);
    BOOST_TEST(s.diag.errors.at(0).code == 10002);
    BOOST_TEST(s.diag.attempts == 1u);
}

BOOST_AUTO_TEST_CASE(success_with_a_result_of_the_wrong_shape_is_bad_response) {
    for (const char* body : {R"({"success":true,"result":null})", R"({"success":true})",
                             R"({"success":true,"result":{"delivered":"x"}})", "<html>"}) {
        stepper s;
        auto a = s.answer(200, body);
        BOOST_TEST(a.ec == error::bad_response, body);
        BOOST_TEST(may_have_been_sent(a.ec, s.diag));
    }
}

BOOST_AUTO_TEST_CASE(failure_before_write_is_retried_with_backoff) {
    stepper s;
    auto a = s.fail(boost::asio::error::connection_refused, false);
    BOOST_TEST((a.what == kind::wait));
    BOOST_TEST(a.delay == 500ms);
    s.waited();
    BOOST_TEST((s.action.what == kind::round_trip));
    a = s.fail(boost::asio::error::connection_refused, false);
    BOOST_TEST(a.delay == 1000ms);
    s.waited();
    a = s.fail(boost::asio::error::connection_refused, false);
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(a.ec == boost::asio::error::connection_refused);
    BOOST_TEST(s.diag.attempts == 3u);
    BOOST_TEST(!may_have_been_sent(a.ec, s.diag));
}

BOOST_AUTO_TEST_CASE(failure_after_write_is_outcome_unknown_and_not_retried) {
    stepper s;
    auto a = s.fail(boost::asio::error::timed_out, true);
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(a.ec == error::outcome_unknown);
    BOOST_TEST(s.diag.transport_error == boost::asio::error::timed_out);
    BOOST_TEST(s.diag.attempts == 1u);
    BOOST_TEST(may_have_been_sent(a.ec, s.diag));
}

BOOST_AUTO_TEST_CASE(outcome_unknown_is_retried_only_when_opted_in) {
    auto policy = stepper::no_jitter();
    policy.retry_outcome_unknown = true;
    stepper s(policy);
    auto a = s.fail(boost::asio::error::connection_reset, true);
    BOOST_TEST((a.what == kind::wait));
    s.waited();
    a = s.answer(502, "<html>Bad gateway</html>");
    BOOST_TEST((a.what == kind::wait));
    s.waited();
    a = s.answer(200, ok_body);
    BOOST_TEST(!a.ec);
    BOOST_TEST(s.diag.attempts == 3u);
    BOOST_TEST(s.diag.unanswered_request);
}

BOOST_AUTO_TEST_CASE(gateway_errors_without_envelope_are_outcome_unknown) {
    for (unsigned status : {500u, 502u, 503u, 504u}) {
        stepper s;
        auto a = s.answer(status, "<html>upstream</html>");
        BOOST_TEST((a.what == kind::done));
        BOOST_TEST(a.ec == error::outcome_unknown, status);
        BOOST_TEST(s.diag.http_status == status);
        BOOST_TEST(s.diag.attempts == 1u);
    }
}

BOOST_AUTO_TEST_CASE(error_500_with_envelope_is_retried) {
    stepper s;
    auto a = s.answer(500, error_500);
    BOOST_TEST((a.what == kind::wait));
    BOOST_TEST(a.delay == 500ms);
    s.waited();
    a = s.answer(500, error_500);
    BOOST_TEST(a.delay == 1000ms);
    s.waited();
    a = s.answer(500, error_500);
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(a.ec == error::api_error);
    BOOST_TEST(s.diag.errors.at(0).code == 10002);
    BOOST_TEST(s.diag.attempts == 3u);
    BOOST_TEST(!may_have_been_sent(a.ec, s.diag));
}

BOOST_AUTO_TEST_CASE(error_503_with_envelope_is_not_retried) {
    stepper s;
    auto a = s.answer(
        503, R"({"success":false,"errors":[{"code":10100,"message":"auth unavailable"}]})");
    BOOST_TEST(a.ec == error::api_error);
    BOOST_TEST(s.diag.attempts == 1u);
}

BOOST_AUTO_TEST_CASE(rate_limit_honours_retry_after_seconds) {
    stepper s;
    auto a = s.answer(429, error_429, {{"Retry-After", "7"}});
    BOOST_TEST((a.what == kind::wait));
    BOOST_TEST(a.delay == 7000ms);
    BOOST_TEST(s.diag.retry_after.value_or(0ms) == 7000ms);
    s.waited();
    a = s.answer(200, ok_body);
    BOOST_TEST(!a.ec);
    BOOST_TEST(s.diag.attempts == 2u);
}

BOOST_AUTO_TEST_CASE(rate_limit_prefers_retry_after_ms) {
    stepper s;
    auto a = s.answer(429, error_429, {{"retry-after-ms", "1500.2"}, {"Retry-After", "9"}});
    BOOST_TEST(a.delay == 1501ms);
}

BOOST_AUTO_TEST_CASE(rate_limit_with_http_date) {
    http_response resp;
    resp.headers = {{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}};
    using namespace std::chrono;
    const auto when = sys_days{1994y / November / 6} + 8h + 49min + 37s;
    BOOST_TEST(detail::parse_retry_after(resp, when - 12s).value_or(0ms) == 12000ms);
    BOOST_TEST(detail::parse_retry_after(resp, when + 5s).value_or(1ms) == 0ms);
    resp.headers = {{"Retry-After", "Sunday, 06-Nov-94 08:49:37 GMT"}};
    BOOST_TEST(!detail::parse_retry_after(resp, when).has_value());
    resp.headers = {{"Retry-After", "-3"}};
    BOOST_TEST(!detail::parse_retry_after(resp, when).has_value());
    resp.headers = {{"Retry-After", "99999999999999999999999"}};
    BOOST_TEST(detail::parse_retry_after(resp, when).has_value());
}

BOOST_AUTO_TEST_CASE(rate_limit_without_retry_after_uses_backoff) {
    stepper s;
    auto a = s.answer(429, error_429);
    BOOST_TEST(a.delay == 500ms);
}

BOOST_AUTO_TEST_CASE(retry_after_above_the_cap_is_reported_at_once) {
    stepper s;
    auto a = s.answer(429, error_429, {{"Retry-After", "61"}});
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(a.ec == error::api_error);
    BOOST_TEST(is_rate_limited(a.ec, s.diag));
    BOOST_TEST(s.diag.retry_after.value_or(0ms) == 61000ms);
    BOOST_TEST(s.diag.attempts == 1u);
}

BOOST_AUTO_TEST_CASE(rate_limit_gives_up_after_max_retries) {
    stepper s;
    s.answer(429, error_429, {{"Retry-After", "1"}});
    s.waited();
    s.answer(429, error_429, {{"Retry-After", "1"}});
    s.waited();
    auto a = s.answer(429, "", {{"Retry-After", "1"}});
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(a.ec == error::unexpected_http_status);
    BOOST_TEST(is_rate_limited(a.ec, s.diag));
    BOOST_TEST(s.diag.attempts == 3u);
}

BOOST_AUTO_TEST_CASE(server_may_forbid_a_retry) {
    stepper s;
    auto a = s.answer(429, error_429, {{"x-should-retry", "false"}});
    BOOST_TEST((a.what == kind::done));
}

BOOST_AUTO_TEST_CASE(zero_retries_disables_retrying) {
    auto policy = stepper::no_jitter();
    policy.max_retries = 0;
    stepper s(policy);
    auto a = s.fail(boost::asio::error::connection_refused, false);
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(a.ec == boost::asio::error::connection_refused);
}

BOOST_AUTO_TEST_CASE(client_errors_are_not_retried) {
    struct row {
        unsigned status;
        const char* body;
        error expected;
    };
    const row rows[] = {
        {400,
         R"({"success":false,"errors":[{"code":"10001","message":"bad schema"}],"messages":["x"]})",
         error::api_error},
        {401, R"({"success":false,"errors":[{"code":10101,"message":"unauthorized"}]})",
         error::api_error},
        {403, R"({"success":false,"errors":[{"code":10203,"message":"sending disabled"}]})",
         error::api_error},
        {404, R"({"success":false,"errors":[{"code":10000,"message":"not found"}]})",
         error::api_error},
        {404, "<html>not found</html>", error::unexpected_http_status},
        {301, "", error::unexpected_http_status},
    };
    for (const auto& r : rows) {
        stepper s;
        auto a = s.answer(r.status, r.body);
        BOOST_TEST((a.what == kind::done));
        BOOST_TEST(a.ec == r.expected, r.status);
        BOOST_TEST(s.diag.attempts == 1u);
        BOOST_TEST(!may_have_been_sent(a.ec, s.diag));
    }
    stepper bad;
    bad.answer(400, rows[0].body);
    BOOST_TEST(is_bad_request(bad.action.ec, bad.diag));
    BOOST_TEST(bad.diag.errors.at(0).code == 10001);
    BOOST_TEST(bad.diag.messages.at(0).message == "x");
    stepper auth;
    auth.answer(401, rows[1].body);
    BOOST_TEST(is_auth_failure(auth.action.ec, auth.diag));
    BOOST_TEST(!is_rate_limited(auth.action.ec, auth.diag));
}

BOOST_AUTO_TEST_CASE(cancelled_wait_ends_the_send) {
    stepper s;
    s.answer(429, error_429, {{"Retry-After", "30"}});
    auto a = s.waited(boost::asio::error::operation_aborted);
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(a.ec == boost::asio::error::operation_aborted);
    BOOST_TEST(!may_have_been_sent(a.ec, s.diag));
}

BOOST_AUTO_TEST_CASE(cancelled_exchange_after_write_may_have_sent) {
    stepper s;
    auto a = s.fail(boost::asio::error::operation_aborted, true);
    BOOST_TEST(a.ec == boost::asio::error::operation_aborted);
    BOOST_TEST(may_have_been_sent(a.ec, s.diag));
}

BOOST_AUTO_TEST_CASE(oversized_answer_is_not_retried) {
    stepper s;
    auto a = s.fail(error::response_too_large, true);
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(a.ec == error::response_too_large);
}

BOOST_AUTO_TEST_CASE(backoff_doubles_caps_and_jitters) {
    retry_policy p;
    BOOST_TEST(detail::backoff_delay(p, 0, 0.0) == 500ms);
    BOOST_TEST(detail::backoff_delay(p, 1, 0.0) == 1000ms);
    BOOST_TEST(detail::backoff_delay(p, 4, 0.0) == 8000ms);
    BOOST_TEST(detail::backoff_delay(p, 10, 0.0) == 8000ms);
    BOOST_TEST(detail::backoff_delay(p, 1000, 0.0) == 8000ms);
    BOOST_TEST(detail::backoff_delay(p, 0, 1.0) == 375ms); // 25 % jitter at most
    BOOST_TEST(detail::backoff_delay(p, 0, 0.5) == 437ms);
}

BOOST_AUTO_TEST_CASE(diagnostics_describe_the_last_attempt) {
    stepper s;
    s.answer(500, error_500, {{"cf-ray", "first"}});
    s.waited();
    s.answer(200, ok_body, {{"cf-ray", "second"}});
    BOOST_TEST(s.diag.cf_ray == "second");
    BOOST_TEST(s.diag.errors.empty());
    BOOST_TEST(s.diag.attempts == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
