// The interpretation and retry rules of the protocol core, stepped by hand: no transport, no
// clock, no waiting.
#include <cfmail/detail/saturate.hpp>
#include <cfmail/detail/send_algorithm.hpp>
#include <cfmail/error.hpp>
#include <cfmail/testing/mock_transport.hpp>

#include <boost/asio/error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <limits>
#include <random>
#include <set>
#include <string>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_retry_test {

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
    BOOST_TEST(a.ec == error::api_rejected);
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
    BOOST_TEST(a.ec == error::api_rejected);
    BOOST_TEST(s.diag.errors.at(0).code == 10002);
    BOOST_TEST(s.diag.attempts == 3u);
    BOOST_TEST(!may_have_been_sent(a.ec, s.diag));
}

BOOST_AUTO_TEST_CASE(only_documented_5xx_envelopes_prove_nothing_was_sent) {
    const auto envelope = [](int code) {
        return R"({"success":false,"errors":[{"code":)" + std::to_string(code) +
               R"(,"message":"m"}],"result":null})";
    };
    struct row {
        unsigned status;
        int code;
        bool retried; // transient and documented as "nothing sent"
        error expected;
    };
    const row rows[] = {
        {500, 10002, true, error::api_rejected},     {503, 10100, true, error::api_rejected},
        {500, 10003, false, error::api_rejected},    {500, 10001, false, error::outcome_unknown},
        {502, 10002, false, error::outcome_unknown}, {503, 10002, false, error::outcome_unknown},
        {504, 10100, false, error::outcome_unknown}, {501, 10003, false, error::outcome_unknown},
        {599, 10002, false, error::outcome_unknown},
    };
    // A documented code beside an undocumented one proves nothing.
    {
        stepper s;
        auto a = s.answer(500, R"({"success":false,"errors":[{"code":10002,"message":"a"},)"
                               R"({"code":12345,"message":"b"}]})");
        BOOST_TEST(a.ec == error::outcome_unknown);
        BOOST_TEST(s.diag.errors.size() == 2u);
        BOOST_TEST(may_have_been_sent(a.ec, s.diag));
    }
    for (const auto& r : rows) {
        stepper s;
        auto a = s.answer(r.status, envelope(r.code));
        BOOST_TEST((a.what == (r.retried ? kind::wait : kind::done)), r.status << "/" << r.code);
        while (s.action.what == kind::wait) {
            s.waited();
            s.answer(r.status, envelope(r.code));
        }
        BOOST_TEST(s.action.ec == r.expected, r.status << "/" << r.code);
        BOOST_TEST(s.diag.attempts == (r.retried ? 3u : 1u), r.status << "/" << r.code);
        // The envelope's codes are kept whatever the classification.
        BOOST_TEST(s.diag.errors.at(0).code == r.code);
        const bool unknown = r.expected == error::outcome_unknown;
        BOOST_TEST(may_have_been_sent(s.action.ec, s.diag) == unknown, r.status << "/" << r.code);
        BOOST_TEST(s.diag.unanswered_request == unknown);
    }
}

BOOST_AUTO_TEST_CASE(an_unknown_outcome_is_never_forgotten) {
    auto policy = stepper::no_jitter();
    policy.retry_outcome_unknown = true;
    {
        // A timeout after the write, then connections refused: the first may have sent.
        stepper s(policy);
        s.fail(boost::asio::error::timed_out, true);
        s.waited();
        s.fail(boost::asio::error::connection_refused, false);
        s.waited();
        auto a = s.fail(boost::asio::error::connection_refused, false);
        BOOST_TEST((a.what == kind::done));
        BOOST_TEST(a.ec == boost::asio::error::connection_refused);
        BOOST_TEST(s.diag.unanswered_request);
        BOOST_TEST(may_have_been_sent(a.ec, s.diag));
        BOOST_TEST(error_with_diagnostics(a.ec, s.diag).may_have_been_sent());
    }
    {
        // A 504 without an envelope, then two documented "nothing sent" 500s.
        stepper s(policy);
        s.answer(504, "<html>gateway timeout</html>");
        s.waited();
        s.answer(500, error_500);
        s.waited();
        auto a = s.answer(500, error_500);
        BOOST_TEST(a.ec == error::api_rejected);
        BOOST_TEST(s.diag.http_status == 500u);
        BOOST_TEST(may_have_been_sent(a.ec, s.diag));
    }
    {
        // Then a cancellation of a wait, and an answer that itself proves nothing.
        stepper s(policy);
        s.answer(502, "");
        auto a = s.waited(boost::asio::error::operation_aborted);
        BOOST_TEST(a.ec == boost::asio::error::operation_aborted);
        BOOST_TEST(may_have_been_sent(a.ec, s.diag));
    }
    {
        stepper s(policy);
        s.fail(boost::asio::error::connection_reset, true);
        s.waited();
        s.answer(429, error_429, {{"Retry-After", "1"}});
        s.waited();
        auto a = s.answer(400, R"({"success":false,"errors":[{"code":10001,"message":"x"}]})");
        BOOST_TEST(a.ec == error::api_rejected);
        BOOST_TEST(may_have_been_sent(a.ec, s.diag));
    }
}

BOOST_AUTO_TEST_CASE(certificate_failures_are_final_at_once) {
    for (error e : {error::certificate_untrusted, error::certificate_name_mismatch,
                    error::certificate_expired, error::certificate_rejected}) {
        auto policy = stepper::no_jitter();
        policy.retry_outcome_unknown = true;
        stepper s(policy);
        auto a = s.fail(e, false);
        BOOST_TEST((a.what == kind::done), e);
        BOOST_TEST(a.ec == e);
        BOOST_TEST(s.diag.attempts == 1u);
        BOOST_TEST(is_certificate_failure(a.ec));
        BOOST_TEST(!may_have_been_sent(a.ec, s.diag));
        BOOST_TEST(error_with_diagnostics(a.ec, s.diag).what() ==
                   std::string("cfmail: ") + make_error_code(e).message() +
                       ": transport: " + make_error_code(e).message());
    }
    BOOST_TEST(!is_certificate_failure(boost::asio::error::connection_refused));
}

BOOST_AUTO_TEST_CASE(an_unreadable_answer_after_the_write_is_final) {
    // A transport reports a 101 or an endless run of 1xx as bad_response / response_too_large.
    for (error e : {error::bad_response, error::response_too_large}) {
        auto policy = stepper::no_jitter();
        policy.retry_outcome_unknown = true;
        stepper s(policy);
        auto a = s.fail(e, true);
        BOOST_TEST((a.what == kind::done));
        BOOST_TEST(a.ec == e);
        BOOST_TEST(s.diag.attempts == 1u);
        BOOST_TEST(s.diag.unanswered_request);
        BOOST_TEST(may_have_been_sent(a.ec, s.diag));
    }
}

BOOST_AUTO_TEST_CASE(far_future_and_absurd_delays_saturate) {
    using namespace std::chrono;
    // A Retry-After date past the year 2262 overflows nanoseconds since 1970.
    for (const char* date : {"Sun, 06 Nov 2300 08:49:37 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                             "Tue, 01 Jan 2263 00:00:00 GMT"}) {
        stepper s;
        auto a = s.answer(429, error_429, {{"Retry-After", date}});
        BOOST_TEST((a.what == kind::done), date);
        BOOST_TEST(a.ec == error::api_rejected);
        BOOST_TEST(s.diag.retry_after.value_or(0ms) > hours(24 * 365 * 30), date);
        BOOST_TEST(s.diag.detail.find("max_retry_after") != std::string::npos);
        BOOST_TEST(s.diag.attempts == 1u);
    }
    http_response resp;
    resp.headers = {{"Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT"}};
    BOOST_TEST(detail::parse_retry_after(resp, system_clock::now()).value_or(1ms) == 0ms);
    resp.headers = {{"retry-after-ms", "1e300"}};
    BOOST_TEST(detail::parse_retry_after(resp, system_clock::now()).value_or(0ms) > 0ms);

    // Backoff settings meaning "never", a huge retry number, NaN jitter: never negative.
    retry_policy p;
    p.initial_backoff = milliseconds::max();
    p.max_backoff = milliseconds::max();
    for (unsigned retry : {0u, 1u, 60u, 1000u, ~0u})
        BOOST_TEST(detail::backoff_delay(p, retry, 0.0) == milliseconds::max(), retry);
    p.initial_backoff = 500ms;
    BOOST_TEST(detail::backoff_delay(p, 60, 0.0) == milliseconds::max());
    BOOST_TEST(detail::backoff_delay(p, 60, 0.5) > hours(24 * 365 * 1000));
    p.jitter = std::numeric_limits<double>::quiet_NaN();
    BOOST_TEST(detail::backoff_delay(p, 0, 0.5) == 500ms);
    p.jitter = 0.25;
    BOOST_TEST(detail::backoff_delay(p, 0, std::numeric_limits<double>::quiet_NaN()) == 500ms);
    p.initial_backoff = -5ms;
    BOOST_TEST(detail::backoff_delay(p, 3, 0.0) == 0ms);

    // The saturating helpers themselves, at the clocks' ends.
    const auto now = steady_clock::now();
    BOOST_TEST(
        (detail::saturating_add(now, milliseconds::max()) == steady_clock::time_point::max()));
    BOOST_TEST((detail::saturating_add(now, hours::max()) == steady_clock::time_point::max()));
    BOOST_TEST((detail::saturating_add(now, -5s) == now));
    BOOST_TEST((detail::saturating_add(now, 5s) == now + 5s));
    BOOST_TEST(detail::saturating_sum(milliseconds::max(), 1s) == milliseconds::max());
    BOOST_TEST(detail::saturating_milliseconds(1e300) == milliseconds::max());
    BOOST_TEST(detail::saturating_milliseconds(-1.0) == 0ms);
}

BOOST_AUTO_TEST_CASE(a_never_policy_waits_instead_of_spinning) {
    // max_retry_after = "never" lets any Retry-After through; the wait must be that long, not
    // a wrapped "now".
    auto policy = stepper::no_jitter();
    policy.max_retry_after = std::chrono::milliseconds::max();
    stepper s(policy);
    auto a = s.answer(429, error_429, {{"Retry-After", "Sun, 06 Nov 2300 08:49:37 GMT"}});
    BOOST_TEST((a.what == kind::wait));
    BOOST_TEST(a.delay > std::chrono::hours(24 * 365 * 30));
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
    BOOST_TEST(a.ec == error::api_rejected);
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
    {
        stepper s;
        auto a = s.answer(429, error_429, {{"x-should-retry", "false"}});
        BOOST_TEST((a.what == kind::done));
        BOOST_TEST(a.ec == error::api_rejected);
        BOOST_TEST(s.diag.attempts == 1u);
        BOOST_TEST(is_rate_limited(a.ec, s.diag));
    }
    for (const char* value : {"false", "FALSE", "False"}) {
        stepper s;
        auto a = s.answer(500, error_500, {{"X-Should-Retry", value}});
        BOOST_TEST((a.what == kind::done), value);
        BOOST_TEST(a.ec == error::api_rejected);
        BOOST_TEST(s.diag.attempts == 1u);
        BOOST_TEST(!may_have_been_sent(a.ec, s.diag));
    }
    // Any other value leaves the rule as it is.
    stepper s;
    auto a = s.answer(500, error_500, {{"x-should-retry", "true"}});
    BOOST_TEST((a.what == kind::wait));
}

BOOST_AUTO_TEST_CASE(retry_delays_as_users_see_them_with_jitter) {
    // The default policy: jitter 0.25. Server-requested delays are used as given; backoffs are
    // shortened by at most the jitter fraction, never lengthened.
    for (std::uint32_t seed : {1u, 2u, 3u, 42u, 1000u}) {
        stepper s(retry_policy{});
        s.algo.seed(seed);
        auto a = s.answer(429, error_429, {{"Retry-After", "2"}});
        BOOST_TEST(a.delay == 2000ms);
        s.waited();
        a = s.answer(429, error_429, {{"retry-after-ms", "750"}});
        BOOST_TEST(a.delay == 750ms);

        stepper b(retry_policy{});
        b.algo.seed(seed);
        a = b.fail(boost::asio::error::connection_refused, false);
        BOOST_TEST((a.delay >= 375ms && a.delay <= 500ms), a.delay.count());
        b.waited();
        a = b.fail(boost::asio::error::connection_refused, false);
        BOOST_TEST((a.delay >= 750ms && a.delay <= 1000ms), a.delay.count());
    }
    // Over many draws the jitter really varies the delay.
    std::set<std::int64_t> seen;
    for (std::uint32_t seed = 0; seed < 50; ++seed) {
        stepper s(retry_policy{});
        s.algo.seed(seed);
        seen.insert(s.fail(boost::asio::error::connection_refused, false).delay.count());
    }
    BOOST_TEST(seen.size() > 10u);
}

BOOST_AUTO_TEST_CASE(jitter_follows_std_minstd_rand_seed_for_seed) {
    // The machine keeps its engine as a seed between draws; the draws must still be those of
    // one std::minstd_rand, so that a seeded test sees the delays it always saw.
    retry_policy policy;
    policy.max_retries = 6;
    for (std::uint32_t seed : {0u, 1u, 42u, 2147483647u, 4294967295u}) {
        stepper s(policy);
        s.algo.seed(seed);
        std::minstd_rand reference(seed);
        for (unsigned retry = 0; retry < policy.max_retries; ++retry) {
            const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(reference);
            const auto a = s.fail(boost::asio::error::connection_refused, false);
            BOOST_TEST_REQUIRE((a.what == kind::wait));
            BOOST_TEST(a.delay == detail::backoff_delay(policy, retry, unit),
                       "seed " << seed << ", retry " << retry);
            s.waited();
        }
    }
}

BOOST_AUTO_TEST_CASE(a_retried_500_honours_retry_after_within_the_cap) {
    stepper s;
    auto a = s.answer(500, error_500, {{"Retry-After", "3"}});
    BOOST_TEST((a.what == kind::wait));
    BOOST_TEST(a.delay == 3000ms);
    s.waited();
    // Above max_retry_after the backoff is used instead of giving up.
    a = s.answer(500, error_500, {{"Retry-After", "3600"}});
    BOOST_TEST((a.what == kind::wait));
    BOOST_TEST(a.delay == 1000ms);
    s.waited();
    a = s.answer(200, ok_body);
    BOOST_TEST(!a.ec);
    BOOST_TEST(s.diag.attempts == 3u);
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
         error::api_rejected},
        {401, R"({"success":false,"errors":[{"code":10101,"message":"unauthorized"}]})",
         error::api_rejected},
        {403, R"({"success":false,"errors":[{"code":10203,"message":"sending disabled"}]})",
         error::api_rejected},
        {404, R"({"success":false,"errors":[{"code":10000,"message":"not found"}]})",
         error::api_rejected},
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

BOOST_AUTO_TEST_CASE(an_answer_does_not_describe_a_later_attempt_that_got_none) {
    stepper s;
    s.answer(500, error_500, {{"cf-ray", "first"}, {"retry-after", "1"}});
    BOOST_TEST_REQUIRE(!s.diag.errors.empty());
    s.waited();
    auto a = s.fail(boost::asio::error::connection_reset, true);
    BOOST_TEST((a.what == kind::done));
    BOOST_TEST(a.ec == error::outcome_unknown);
    BOOST_TEST(s.diag.http_status == 0u);
    BOOST_TEST(s.diag.cf_ray.empty());
    BOOST_TEST(s.diag.errors.empty());
    BOOST_TEST(s.diag.messages.empty());
    BOOST_TEST(!s.diag.retry_after.has_value());
    BOOST_TEST(s.diag.transport_error == boost::asio::error::connection_reset);
    BOOST_TEST(s.diag.attempts == 2u);
    BOOST_TEST(may_have_been_sent(a.ec, s.diag));
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_retry_test
