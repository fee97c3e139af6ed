// What a new user reaches for first: one decision after any failure (what_now), a default
// account id, running a coroutine to completion in a test (cfmail::testing::run), and one
// client type for application code (any_client).
#include <cfmail.hpp>
#include <cfmail/any_client.hpp>
#include <cfmail/testing/mock_transport.hpp>
#include <cfmail/testing/run.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_first_hour_test {

namespace asio = boost::asio;
using namespace cfmail;
using namespace std::chrono_literals;
using client_type = basic_client<testing::mock_transport>;

namespace {

const std::string account = "023e105f4ecef8ad9ca31a8372d0c353";

send_raw_request valid_request(std::string account_id = account) {
    return {std::move(account_id),
            "sender@example.com",
            {"recipient@example.com"},
            "From: sender@example.com\r\nSubject: Hello\r\n\r\nHello, World!"};
}

// One blocking send, without retries, against one scripted answer.
struct attempt {
    boost::system::error_code ec;
    diagnostics diag;
};

attempt send_once(const std::function<void(testing::mock_transport&)>& script,
                  send_raw_request req = valid_request(),
                  credentials creds = api_token{"test-token"}) {
    testing::mock_transport mock;
    script(mock);
    client_options opts;
    opts.retry.max_retries = 0;
    client_type client(mock, std::move(creds), opts);
    attempt out;
    client.send_raw(req, out.ec, out.diag);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(what_now_decides)

// One row per documented Cloudflare code and per kind of failure, each through the client so
// that the error and diagnostics are the ones a caller sees.
BOOST_AUTO_TEST_CASE(every_documented_answer_lands_where_an_operator_expects) {
    struct row {
        const char* what;
        std::function<void(testing::mock_transport&)> script;
        next_step expected;
    };
    auto answer = [](unsigned status, std::int64_t code) {
        return [=](testing::mock_transport& m) { m.respond_error(status, code, "refused"); };
    };
    auto raw = [](unsigned status, std::string body) {
        return [=](testing::mock_transport& m) { m.respond(status, body); };
    };
    const row rows[] = {
        {"success", [](auto& m) { m.respond_success({.delivered = {"recipient@example.com"}}); },
         next_step::done},
        {"400 10001 invalid schema", answer(400, 10001), next_step::fix_request},
        {"400 10200 invalid email", answer(400, 10200), next_step::fix_request},
        {"400 10201 no content length", answer(400, 10201), next_step::fix_request},
        {"400 10202 too big", answer(400, 10202), next_step::fix_request},
        {"400 suppressed recipient", answer(400, 10001), next_step::fix_request},
        {"401 10101 unauthorized", answer(401, 10101), next_step::fix_configuration},
        {"401 10103 bad token type", answer(401, 10103), next_step::fix_configuration},
        {"403 10102 forbidden", answer(403, 10102), next_step::fix_configuration},
        {"403 10105 not entitled", answer(403, 10105), next_step::fix_configuration},
        {"403 10203 sending disabled", answer(403, 10203), next_step::fix_configuration},
        {"403 10204 domain not configured", answer(403, 10204), next_step::fix_configuration},
        {"400 6003 token as key", answer(400, 6003), next_step::fix_configuration},
        {"403 6103 token as key", answer(403, 6103), next_step::fix_configuration},
        {"404 10000 unknown account", answer(404, 10000), next_step::fix_configuration},
        {"429 10004 throttled", answer(429, 10004), next_step::retry_later},
        {"500 10002 internal error", answer(500, 10002), next_step::retry_later},
        {"500 10003 not implemented", answer(500, 10003), next_step::fix_request},
        {"503 10100 auth service down", answer(503, 10100), next_step::retry_later},
        {"500 with another code", answer(500, 1234), next_step::reconcile},
        {"502 without an envelope", raw(502, "<html>bad gateway</html>"), next_step::reconcile},
        {"504 without an envelope", raw(504, ""), next_step::reconcile},
        {"404 without an envelope (base URL)", raw(404, "<html/>"), next_step::fix_configuration},
        {"301 redirect (base URL)", raw(301, ""), next_step::fix_configuration},
        {"413 without an envelope", raw(413, ""), next_step::fix_request},
        {"200 that is not JSON", raw(200, "not json"), next_step::reconcile},
        {"refused before writing",
         [](auto& m) { m.fail_before_write(asio::error::connection_refused); },
         next_step::retry_later},
        {"timed out before writing", [](auto& m) { m.fail_before_write(asio::error::timed_out); },
         next_step::retry_later},
        {"reset after writing", [](auto& m) { m.fail_after_write(asio::error::connection_reset); },
         next_step::reconcile},
    };
    for (const auto& r : rows) {
        const auto a = send_once(r.script);
        const auto d = what_now(a.ec, a.diag);
        BOOST_TEST(to_string(d.step) == to_string(r.expected), r.what << ": " << a.ec.message());
    }

    // A 403 that names the account's setup is not a credentials problem.
    const auto disabled = send_once(answer(403, 10203));
    BOOST_TEST(!is_auth_failure(disabled.ec, disabled.diag));
    const auto forbidden = send_once(answer(403, 10102));
    BOOST_TEST(is_auth_failure(forbidden.ec, forbidden.diag));
}

BOOST_AUTO_TEST_CASE(retry_later_carries_the_servers_delay) {
    const auto a = send_once([](auto& m) {
        m.respond_error(429, 10004, "Throttled", {{"Retry-After", "7"}});
    });
    const auto d = what_now(a.ec, a.diag);
    BOOST_TEST(to_string(d.step) == std::string("retry_later"));
    BOOST_TEST_REQUIRE(d.retry_after.has_value());
    BOOST_TEST(d.retry_after->count() == 7000);
    const auto plain = send_once([](auto& m) { m.respond_error(500, 10002, "internal"); });
    BOOST_TEST(!what_now(plain.ec, plain.diag).retry_after.has_value());
}

BOOST_AUTO_TEST_CASE(local_failures_and_every_cfmail_error) {
    const auto invalid = send_once([](auto&) {}, valid_request(""));
    BOOST_TEST((what_now(invalid.ec, invalid.diag).step == next_step::fix_request));
    const auto no_creds = send_once([](auto&) {}, valid_request(), credentials{});
    BOOST_TEST((no_creds.ec == error::missing_credentials));
    BOOST_TEST((what_now(no_creds.ec, no_creds.diag).step == next_step::fix_configuration));

    const diagnostics none;
    const std::pair<boost::system::error_code, next_step> rows[] = {
        {error::certificate_untrusted, next_step::fix_configuration},
        {error::certificate_name_mismatch, next_step::fix_configuration},
        {error::certificate_expired, next_step::fix_configuration},
        {error::certificate_rejected, next_step::fix_configuration},
        {error::outcome_unknown, next_step::reconcile},
        {error::bad_response, next_step::reconcile},
        {error::response_too_large, next_step::reconcile},
        {error::operation_in_progress, next_step::retry_later},
        {error::invalid_request, next_step::fix_request},
        {error::missing_credentials, next_step::fix_configuration},
        {asio::error::operation_aborted, next_step::retry_later},
        {asio::error::host_not_found, next_step::retry_later},
        {asio::error::connection_refused, next_step::retry_later},
        {error::proxy_refused, next_step::fix_configuration},
    };
    for (const auto& [ec, expected] : rows)
        BOOST_TEST(to_string(what_now(ec, none).step) == to_string(expected), ec.message());

    // A proxy that refuses the tunnel: its credentials or policy are for the operator to fix,
    // a failing gateway may recover.
    for (const auto& [status, expected] :
         std::initializer_list<std::pair<unsigned, next_step>>{{407, next_step::fix_configuration},
                                                               {401, next_step::fix_configuration},
                                                               {403, next_step::fix_configuration},
                                                               {502, next_step::retry_later},
                                                               {503, next_step::retry_later}}) {
        diagnostics refused;
        refused.proxy_status = status;
        BOOST_TEST(to_string(what_now(error::proxy_refused, refused).step) == to_string(expected),
                   status);
    }

    // Once any attempt may have reached the API, a later refusal cannot take that back.
    diagnostics earlier;
    earlier.unanswered_request = true;
    earlier.http_status = 429;
    BOOST_TEST((what_now(error::api_rejected, earlier).step == next_step::reconcile));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(default_account_id)

BOOST_AUTO_TEST_CASE(a_request_without_an_account_takes_the_clients) {
    testing::mock_transport mock;
    client_options opts;
    opts.account_id = "0123456789abcdef0123456789abcdef";
    client_type client(mock, api_token{"t"}, opts);
    mock.respond_success({}).respond_success({});
    mock.respond_success(suppression_page{});
    client.send_raw(valid_request(""));
    client.send_raw(valid_request(account)); // the request's own wins
    client.list_suppressions(list_suppressions_request{});
    BOOST_TEST_REQUIRE(mock.requests().size() == 3u);
    BOOST_TEST(mock.requests()[0].target.find("/accounts/0123456789abcdef0123456789abcdef/") !=
               std::string::npos);
    BOOST_TEST(mock.requests()[1].target.find("/accounts/" + account + "/") != std::string::npos);
    BOOST_TEST(mock.requests()[2].target.find("/accounts/0123456789abcdef0123456789abcdef/") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(without_either_nothing_is_sent) {
    testing::mock_transport mock;
    client_type client(mock, api_token{"t"});
    boost::system::error_code ec;
    diagnostics diag;
    client.send_raw(valid_request(""), ec, diag);
    BOOST_TEST((ec == error::invalid_request));
    BOOST_TEST(diag.detail.rfind("account_id: empty", 0) == 0);
    BOOST_TEST(mock.requests().empty());

    // The default obeys the same rules as a request's own.
    client_options opts;
    opts.account_id = "../other";
    client_type strict(mock, api_token{"t"}, opts);
    strict.send_raw(valid_request(""), ec, diag);
    BOOST_TEST((ec == error::invalid_request));
    BOOST_TEST(diag.detail.rfind("account_id", 0) == 0);
    BOOST_TEST(mock.requests().empty());
}

BOOST_AUTO_TEST_CASE(options_from_the_environment) {
    ::setenv("CLOUDFLARE_ACCOUNT_ID", "fedcba9876543210fedcba9876543210", 1);
    ::setenv("CLOUDFLARE_BASE_URL", "http://127.0.0.1:9/client/v4", 1);
    const auto opts = client_options::from_environment();
    BOOST_TEST(opts.account_id == "fedcba9876543210fedcba9876543210");
    BOOST_TEST(opts.base_url == "http://127.0.0.1:9/client/v4");
    ::unsetenv("CLOUDFLARE_ACCOUNT_ID");
    ::setenv("CLOUDFLARE_BASE_URL", "", 1);
    const auto defaults = client_options::from_environment();
    BOOST_TEST(defaults.account_id.empty());
    BOOST_TEST(defaults.base_url == client_options{}.base_url);
    ::unsetenv("CLOUDFLARE_BASE_URL");

    client_options limits;
    limits.account_id = account;
    mime::message m;
    m.from({"s@example.com"}).to({"r@example.org"}).text("t");
    BOOST_TEST(m.to_send_raw("", limits).account_id == account);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(testing_run)

asio::awaitable<int> forty_two() {
    co_return 42;
}

asio::awaitable<void> throws() {
    throw std::logic_error("boom");
    co_return;
}

asio::awaitable<void> waits_an_hour() {
    asio::steady_timer timer(co_await asio::this_coro::executor, 1h);
    co_await timer.async_wait(asio::use_awaitable);
}

BOOST_AUTO_TEST_CASE(runs_to_completion_rethrows_and_times_out) {
    asio::io_context ioc;
    BOOST_TEST(testing::run(ioc, forty_two()) == 42);
    BOOST_CHECK_THROW(testing::run(ioc, throws()), std::logic_error);
    const auto start = std::chrono::steady_clock::now();
    BOOST_CHECK_THROW(testing::run(ioc, waits_an_hour(), 50ms), testing::run_timed_out);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
    BOOST_TEST(testing::run(ioc, forty_two()) == 42); // the io_context serves again
}

// The guide's pattern: a coroutine under test, run on the mock.
asio::awaitable<std::string> send_welcome(client_type& client, std::string to) {
    send_raw_request req = valid_request();
    req.recipients = {std::move(to)};
    send_raw_result result = co_await client.async_send_raw(req);
    co_return result.message_id;
}

BOOST_AUTO_TEST_CASE(a_coroutine_send_on_the_mock) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    client_type client(mock, api_token{"t"});
    mock.respond_success({.delivered = {"new@example.org"}, .message_id = "<1@example.com>"});
    BOOST_TEST(testing::run(ioc, send_welcome(client, "new@example.org")) == "<1@example.com>");
    mock.respond_error(400, 10001, "bad");
    BOOST_CHECK_THROW(testing::run(ioc, send_welcome(client, "new@example.org")),
                      error_with_diagnostics);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(any_client_erases_the_transport)

// A transport with asynchronous exchanges only, as the HTTPS transports are.
struct async_only {
    using executor_type = asio::any_io_executor;
    testing::mock_transport mock;
    executor_type get_executor() const { return mock.get_executor(); }
    template <class CompletionToken>
    auto async_round_trip(const http_request& req, http_response& resp, CompletionToken&& token) {
        return mock.async_round_trip(req, resp, std::forward<CompletionToken>(token));
    }
};

// Application code takes the erased client; the test builds one over the mock.
asio::awaitable<std::string> welcome(any_client& client, std::string to) {
    send_raw_request req = valid_request();
    req.recipients = {std::move(to)};
    send_raw_result result = co_await client.async_send_raw(req);
    co_return result.message_id;
}

BOOST_AUTO_TEST_CASE(over_the_mock_every_flavour_works) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    any_client client(mock, api_token{"t"});
    mock.respond_success({.message_id = "<1@example.com>"});
    BOOST_TEST(testing::run(ioc, welcome(client, "new@example.org")) == "<1@example.com>");
    mock.respond_success({.message_id = "<2@example.com>"});
    BOOST_TEST(client.send_raw(valid_request()).message_id == "<2@example.com>");
    BOOST_TEST_REQUIRE(mock.requests().size() == 2u);
    BOOST_TEST(mock.requests()[0].header("Authorization") == "Bearer t");
    BOOST_TEST(client.transport().target<testing::mock_transport>() != nullptr);
    BOOST_TEST(client.transport().target<async_only>() == nullptr);
}

BOOST_AUTO_TEST_CASE(capabilities_are_the_transports) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    any_client client(mock, api_token{"t"});
    // The mock carries one exchange at a time, and so does the erased client over it.
    mock.stall();
    boost::system::error_code first = asio::error::would_block, second;
    diagnostics first_diag, second_diag;
    client.async_send_raw(valid_request(), first_diag,
                          [&](boost::system::error_code ec, send_raw_result) { first = ec; });
    client.async_send_raw(valid_request(), second_diag,
                          [&](boost::system::error_code ec, send_raw_result) { second = ec; });
    ioc.run_for(100ms);
    BOOST_TEST((second == error::operation_in_progress));
    client.transport().close(); // ends the stalled exchange
    ioc.restart();
    ioc.run_for(1s);
    BOOST_TEST((first == asio::error::operation_aborted));

    // Without a blocking exchange underneath, the blocking members say so before any I/O.
    testing::mock_transport inner(ioc.get_executor());
    any_client async_client(async_only{inner}, api_token{"t"});
    boost::system::error_code ec;
    diagnostics diag;
    async_client.send_raw(valid_request(), ec, diag);
    BOOST_TEST((ec == asio::error::operation_not_supported));
    BOOST_TEST(inner.requests().empty());
    BOOST_TEST((what_now(ec, diag).step == next_step::fix_request));
    inner.respond_success({.message_id = "<3@example.com>"});
    BOOST_TEST(testing::run(ioc, welcome(async_client, "x@example.org")) == "<3@example.com>");
}

// The wrapper's own exchange members, for code that drives the transport without a client.
BOOST_AUTO_TEST_CASE(the_wrapper_forwards_exchanges) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    any_transport erased(mock);
    http_request req;
    req.method = "GET";
    req.target = "/x";
    http_response resp;
    boost::system::error_code ec;
    mock.respond(200, "blocking").respond(201, "async");
    erased.round_trip(req, resp, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(resp.status == 200u);
    boost::system::error_code async_ec = asio::error::would_block;
    http_response async_resp;
    erased.async_round_trip(req, async_resp, [&](boost::system::error_code e) { async_ec = e; });
    BOOST_TEST((async_ec == asio::error::would_block)); // never inline
    ioc.run_for(1s);
    BOOST_TEST(!async_ec);
    BOOST_TEST(async_resp.status == 201u);
    BOOST_TEST(mock.requests().size() == 2u);
    BOOST_TEST((erased.get_executor() == asio::any_io_executor(ioc.get_executor())));

    testing::mock_transport inner(ioc.get_executor());
    any_transport async_erased(async_only{inner});
    http_response none;
    async_erased.round_trip(req, none, ec);
    BOOST_TEST((ec == asio::error::operation_not_supported));
    BOOST_TEST(!none.request_written);
    BOOST_TEST(inner.requests().empty());
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_first_hour_test
