// The operations beside send_raw: `send` and the suppression list. Each descriptor stepped by
// hand (request built and parsed back, result read, retry rules), every operation through the
// four flavours on the mock, and paging.
#include <cfmail.hpp>
#include <cfmail/testing/mock_transport.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_operations_test {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace cfmail;
using namespace std::chrono_literals;
using client_type = basic_client<testing::mock_transport>;
using detail::next_action;

namespace {

const std::string account = "023e105f4ecef8ad9ca31a8372d0c353";
const std::string base = "/client/v4/accounts/" + account + "/email/sending";

client_options fast_retries() {
    client_options opts;
    opts.retry.initial_backoff = 1ms;
    opts.retry.max_backoff = 2ms;
    return opts;
}

// One operation stepped by hand through the exchange machine.
template <class Op>
struct stepped {
    explicit stepped(const typename Op::request_type& req, client_options opts = fast_retries(),
                     bool streaming = false)
        : config(api_token{"t"}, std::move(opts)) {
        config.stream_body = streaming;
        action = algo.start(req, diag);
    }
    next_action answer(unsigned status, std::string body) {
        algo.response().status = status;
        algo.response().body = std::move(body);
        algo.response().request_written = true;
        return action = algo.resume({});
    }
    next_action fail_after_write(boost::system::error_code ec) {
        algo.response().request_written = true;
        return action = algo.resume(ec);
    }
    json::value body() { return json::parse(algo.request().full_body()); }

    detail::client_config config;
    detail::operation_algorithm<Op> algo{config};
    diagnostics diag;
    next_action action;
};

send_request valid_send() {
    send_request req;
    req.account_id = account;
    req.from = {"sender@example.com", "Jürgen Müller"};
    req.to = {{"a@example.org"}, {"b@example.org", "B \"quoted\""}};
    req.bcc = {{"audit@example.com"}};
    req.reply_to = mailbox{"reply@example.com"};
    req.subject = "Grüße – your report";
    req.text = "plain\r\nbody";
    req.html = "<p>hi <img src=\"cid:logo\"></p>";
    req.headers = {{"X-Campaign", "december"}, {"List-Unsubscribe", "<mailto:u@example.com>"}};
    std::string pdf;
    for (int i = 0; i < 1000; ++i)
        pdf += static_cast<char>(i * 7);
    req.attachments = {
        {"report ü.pdf", "application/pdf", pdf},
        {"logo.png", "image/png", "\x89PNG\r\n", content_disposition::inline_content, "logo"}};
    return req;
}

std::string base64_of(std::string_view bytes) {
    request_body b;
    b.stream_base64(bytes);
    return std::string(b.text());
}

json::value mailbox_json(const mailbox& m) {
    if (!m.name)
        return json::value(m.address);
    return json::object{{"address", m.address}, {"name", *m.name}};
}

suppression entry(std::string id, std::string email, std::string reason = "manual") {
    suppression s;
    s.id = std::move(id);
    s.email = std::move(email);
    s.reason = std::move(reason);
    s.created_at = "2026-12-01T10:00:00Z";
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(send_operation)

// The body, parsed back, is exactly the request in the API's documented shape, whether the
// transport streams it or takes it whole.
BOOST_AUTO_TEST_CASE(request_round_trips_through_json) {
    const auto req = valid_send();
    for (bool streaming : {false, true}) {
        stepped<send_op> s(req, fast_retries(), streaming);
        BOOST_TEST_REQUIRE((s.action.what == next_action::kind::round_trip));
        const auto& http = s.algo.request();
        BOOST_TEST(http.method == "POST");
        BOOST_TEST(http.target == base + "/send");
        BOOST_TEST(http.header("Content-Type") == "application/json");
        BOOST_TEST(http.body.contiguous() == !streaming);
        json::object expected{
            {"from", mailbox_json(req.from)},
            {"to", json::array{mailbox_json(req.to[0]), mailbox_json(req.to[1])}},
            {"bcc", json::array{"audit@example.com"}},
            {"reply_to", "reply@example.com"},
            {"subject", req.subject},
            {"text", req.text},
            {"html", req.html},
            {"headers", json::object{{"X-Campaign", "december"},
                                     {"List-Unsubscribe", "<mailto:u@example.com>"}}},
            {"attachments",
             json::array{json::object{{"content", base64_of(req.attachments[0].content)},
                                      {"filename", "report ü.pdf"},
                                      {"type", "application/pdf"},
                                      {"disposition", "attachment"}},
                         json::object{{"content", base64_of(req.attachments[1].content)},
                                      {"filename", "logo.png"},
                                      {"type", "image/png"},
                                      {"disposition", "inline"},
                                      {"content_id", "logo"}}}}};
        BOOST_TEST(s.body() == json::value(expected), json::serialize(s.body()));
        BOOST_TEST(http.body_size() == http.full_body().size());
    }
    // The base64 is the standard encoding: "Man" is "TWFu", padding included.
    BOOST_TEST(base64_of("Man") == "TWFu");
    BOOST_TEST(base64_of("Ma") == "TWE=");
}

// Nothing the schema forbids is sent: no empty arrays, no empty bodies, no null name.
BOOST_AUTO_TEST_CASE(absent_fields_are_left_out) {
    send_request req;
    req.account_id = account;
    req.from = {"sender@example.com"};
    req.cc = {{"c@example.org"}};
    req.subject = "s";
    req.html = "<p>x</p>";
    stepped<send_op> s(req);
    BOOST_TEST_REQUIRE((s.action.what == next_action::kind::round_trip));
    BOOST_TEST(s.body() == json::parse(R"({"from":"sender@example.com","cc":["c@example.org"],
                                          "subject":"s","html":"<p>x</p>"})"));
}

// Every rule is checked before anything is sent, and the reason names the field.
BOOST_AUTO_TEST_CASE(invalid_requests_send_nothing) {
    struct row {
        const char* what;
        std::function<void(send_request&)> change;
        const char* field;
    };
    const std::vector<row> rows = {
        {"no recipient", [](auto& r) { r.to.clear(), r.bcc.clear(); }, "to, cc, bcc"},
        {"51 recipients",
         [](auto& r) {
             for (int i = 0; i < 48; ++i)
                 r.cc.push_back({"c" + std::to_string(i) + "@example.org"});
         },
         "to, cc, bcc"},
        {"bad address", [](auto& r) { r.to[0].address = "Ann <a@example.org>"; }, "to[0].address"},
        {"name with LF", [](auto& r) { r.to[1].name = "B\nBcc: x@y.z"; }, "to[1].name"},
        {"bad from", [](auto& r) { r.from.address = "nobody"; }, "from.address"},
        {"bad reply_to", [](auto& r) { r.reply_to->address = "a@-x.org"; }, "reply_to.address"},
        {"empty subject", [](auto& r) { r.subject.clear(); }, "subject"},
        {"subject CRLF", [](auto& r) { r.subject = "a\r\nBcc: x@y.z"; }, "subject"},
        {"subject 999", [](auto& r) { r.subject = std::string(999, 's'); }, "subject"},
        {"no body", [](auto& r) { r.text.clear(), r.html.clear(); }, "text, html"},
        {"bad UTF-8", [](auto& r) { r.text = "caf\xe9"; }, "text"},
        {"owned header",
         [](auto& r) {
             r.headers.push_back({"subject", "x"});
         },
         "headers[2]"},
        {"header name",
         [](auto& r) {
             r.headers.push_back({"X Bad", "x"});
         },
         "headers[2]"},
        {"header value CRLF",
         [](auto& r) {
             r.headers.push_back({"X-A", "1\r\nBcc: x@y.z"});
         },
         "headers[2].value"},
        {"duplicate header",
         [](auto& r) {
             r.headers.push_back({"x-campaign", "2"});
         },
         "headers[2]"},
        {"16 KB of headers",
         [](auto& r) {
             r.headers.push_back({"X-Big", std::string(16 * 1024, 'h')});
         },
         "headers"},
        {"filename CR", [](auto& r) { r.attachments[0].filename = "a\r.pdf"; },
         "attachments[0].filename"},
        {"filename NUL", [](auto& r) { r.attachments[0].filename = std::string("a\0b", 3); },
         "attachments[0].filename"},
        {"no type", [](auto& r) { r.attachments[0].content_type = "pdf"; },
         "attachments[0].content_type"},
        {"inline without id", [](auto& r) { r.attachments[1].content_id.clear(); },
         "attachments[1].content_id"},
        {"too large", [](auto& r) { r.attachments[0].content.assign(5 * 1024 * 1024, 'x'); },
         "text, html, attachments"},
        {"bad account", [](auto& r) { r.account_id = "../x"; }, "account_id"},
    };
    for (const auto& row : rows) {
        auto req = valid_send();
        row.change(req);
        stepped<send_op> s(req);
        BOOST_TEST((s.action.what == next_action::kind::done), row.what);
        BOOST_TEST(s.action.ec == error::invalid_request, row.what);
        BOOST_TEST(s.diag.detail.rfind(row.field, 0) == 0u, row.what << ": " << s.diag.detail);
        BOOST_TEST(s.diag.attempts == 0u, row.what);
    }
}

// A send is not idempotent: a 504 or a reset after writing is an unknown outcome, never
// retried; a 429 is.
BOOST_AUTO_TEST_CASE(send_never_repeats_an_unknown_outcome) {
    stepped<send_op> s(valid_send());
    BOOST_TEST((s.answer(504, "gateway timeout").what == next_action::kind::done));
    BOOST_TEST(s.action.ec == error::outcome_unknown);
    stepped<send_op> reset(valid_send());
    BOOST_TEST(
        (reset.fail_after_write(asio::error::connection_reset).what == next_action::kind::done));
    BOOST_TEST(reset.action.ec == error::outcome_unknown);
    stepped<send_op> throttled(valid_send());
    BOOST_TEST((throttled.answer(429, testing::mock_transport::error_body(10004, "slow")).what ==
                next_action::kind::wait));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(suppression_operations)

// Method, path, query and body of each operation.
BOOST_AUTO_TEST_CASE(requests_have_the_documented_shape) {
    list_suppressions_request list{account,       25u,
                                   "c/1+2",       "a@example.com",
                                   "hard_bounce", sending_domain_scope{"mail.example.com"},
                                   "user@"};
    stepped<list_suppressions_op> l(list);
    BOOST_TEST(l.algo.request().method == "GET");
    BOOST_TEST(l.algo.request().target ==
               base + "/suppressions?per_page=25&cursor=c%2F1%2B2&email=a%40example.com&"
                      "reason=hard_bounce&scope_type=sending_domain&"
                      "scope_value=mail.example.com&search=user%40");
    BOOST_TEST(l.algo.request().body.text().empty());
    BOOST_TEST(l.algo.request().header("Content-Type").empty());

    stepped<get_suppression_op> g(get_suppression_request{account, "id:1@x"});
    BOOST_TEST(g.algo.request().method == "GET");
    BOOST_TEST(g.algo.request().target == base + "/suppressions/id:1@x");

    stepped<create_suppression_op> c(create_suppression_request{
        account, "a@example.com", std::nullopt, "from a complaint", account_scope{}});
    BOOST_TEST(c.algo.request().method == "POST");
    BOOST_TEST(c.algo.request().target == base + "/suppressions");
    BOOST_TEST(c.body() == json::parse(R"({"email":"a@example.com","expires_at":null,
                                          "note":"from a complaint","scope":{"type":"account"}})"));

    edit_suppression_request edit{account, "abc", std::optional<std::string>{}, ""};
    stepped<edit_suppression_op> e(edit);
    BOOST_TEST(e.algo.request().method == "PATCH");
    BOOST_TEST(e.algo.request().target == base + "/suppressions/abc");
    BOOST_TEST(e.body() == json::parse(R"({"expires_at":null,"note":""})"));
    edit.expires_at.reset();
    edit.note.reset();
    stepped<edit_suppression_op> unchanged(edit);
    BOOST_TEST(unchanged.body() == json::parse("{}"));

    stepped<delete_suppression_op> d(delete_suppression_request{account, "abc"});
    BOOST_TEST(d.algo.request().method == "DELETE");
    BOOST_TEST(d.algo.request().target == base + "/suppressions/abc");

    import_suppressions_request bulk{account,
                                     {{"a@example.com"},
                                      {"b@example.com", sending_domain_scope{"example.org"},
                                       "2027-01-01T00:00:00Z", std::nullopt}}};
    stepped<import_suppressions_op> b(bulk);
    BOOST_TEST(b.algo.request().target == base + "/suppressions/bulk");
    BOOST_TEST(b.body() == json::parse(R"({"items":[{"email":"a@example.com"},
        {"email":"b@example.com","scope":{"type":"sending_domain","value":"example.org"},
         "expires_at":"2027-01-01T00:00:00Z"}]})"));
}

// An id that could leave its path segment, and imports of 0 or 1001 entries, send nothing.
BOOST_AUTO_TEST_CASE(unsafe_ids_and_import_sizes_are_refused) {
    const std::vector<std::string> ids = {
        "",           "a/b",   "a?b", "a#b",  "..",
        "a..b",       "a%2Fb", "a b", "a\nb", std::string("a\0b", 3),
        "caf\xc3\xa9"};
    for (const auto& id : ids) {
        stepped<get_suppression_op> g(get_suppression_request{account, id});
        BOOST_TEST(g.action.ec == error::invalid_request, id);
        stepped<delete_suppression_op> d(delete_suppression_request{account, id});
        BOOST_TEST(d.action.ec == error::invalid_request, id);
        stepped<edit_suppression_op> e(edit_suppression_request{account, id, {}, "n"});
        BOOST_TEST(e.action.ec == error::invalid_request, id);
    }
    stepped<import_suppressions_op> none(import_suppressions_request{account, {}});
    BOOST_TEST(none.action.ec == error::invalid_request);
    import_suppressions_request many{account, std::vector<import_item>(1001, {"a@example.com"})};
    stepped<import_suppressions_op> too_many(many);
    BOOST_TEST(too_many.action.ec == error::invalid_request);
    many.items.resize(1000);
    stepped<import_suppressions_op> most(many);
    BOOST_TEST((most.action.what == next_action::kind::round_trip));
    stepped<create_suppression_op> bad_email(
        create_suppression_request{account, "not an address", {}, {}, account_scope{}});
    BOOST_TEST(bad_email.diag.detail.rfind("email", 0) == 0u, bad_email.diag.detail);
    stepped<list_suppressions_op> zero(list_suppressions_request{account, 0u});
    BOOST_TEST(zero.action.ec == error::invalid_request);
}

// Repeating is safe: a 504 and a reset after writing are retried, unlike a send's.
BOOST_AUTO_TEST_CASE(safe_operations_retry_unknown_outcomes) {
    const std::string page =
        testing::mock_transport::success_body(suppression_page{{entry("1", "a@example.com")}});
    stepped<list_suppressions_op> l(list_suppressions_request{account});
    BOOST_TEST((l.answer(504, "gateway timeout").what == next_action::kind::wait));
    BOOST_TEST((l.algo.resume({}).what == next_action::kind::round_trip));
    BOOST_TEST((l.fail_after_write(asio::error::connection_reset).what == next_action::kind::wait));
    BOOST_TEST((l.algo.resume({}).what == next_action::kind::round_trip));
    BOOST_TEST((l.answer(200, page).what == next_action::kind::done));
    BOOST_TEST(!l.action.ec);
    BOOST_TEST(l.diag.attempts == 3u);
    BOOST_TEST(l.algo.result().items.size() == 1u);

    stepped<delete_suppression_op> d(delete_suppression_request{account, "x"});
    BOOST_TEST((d.answer(502, "").what == next_action::kind::wait));
    BOOST_TEST((d.algo.resume({}).what == next_action::kind::round_trip));
    BOOST_TEST((d.answer(503, "").what == next_action::kind::wait));
    BOOST_TEST((d.algo.resume({}).what == next_action::kind::round_trip));
    BOOST_TEST((d.answer(504, "").what == next_action::kind::done)); // retries spent
    BOOST_TEST(d.action.ec == error::outcome_unknown);
    // A 501 is no transient failure; a 400 is a refusal: neither is repeated.
    stepped<get_suppression_op> not_implemented(get_suppression_request{account, "x"});
    BOOST_TEST((not_implemented.answer(501, "").what == next_action::kind::done));
    BOOST_TEST(not_implemented.action.ec == error::outcome_unknown);
    stepped<get_suppression_op> g(get_suppression_request{account, "x"});
    BOOST_TEST((g.answer(400, testing::mock_transport::error_body(10001, "bad")).what ==
                next_action::kind::done));
    BOOST_TEST(g.action.ec == error::api_rejected);
}

// Bulk import past its 10-a-minute limit: the 429's Retry-After is waited for, as for sends,
// and one longer than retry_policy::max_retry_after is reported at once.
BOOST_AUTO_TEST_CASE(bulk_import_waits_out_its_rate_limit) {
    const import_suppressions_request bulk{account, {{"a@example.com"}}};
    stepped<import_suppressions_op> s(bulk);
    s.algo.response().headers = {{"Retry-After", "7"}};
    BOOST_TEST((s.answer(429, testing::mock_transport::error_body(10004, "slow")).what ==
                next_action::kind::wait));
    BOOST_TEST(s.action.delay == 7000ms);
    stepped<import_suppressions_op> far(bulk);
    far.algo.response().headers = {{"Retry-After", "3600"}};
    BOOST_TEST((far.answer(429, testing::mock_transport::error_body(10004, "slow")).what ==
                next_action::kind::done));
    BOOST_TEST(far.action.ec == error::api_rejected);
    BOOST_TEST((far.diag.retry_after.value_or(0ms) == 3600s));
}

// Results: unknown reasons and statuses are kept as text; a wrong shape is bad_response.
BOOST_AUTO_TEST_CASE(results_are_read_tolerantly) {
    stepped<get_suppression_op> g(get_suppression_request{account, "x"});
    g.answer(200, R"({"success":true,"errors":[],"messages":[],"result":{"id":"x",
        "email":"a@example.com","reason":"future_reason","created_at":"2026-01-01T00:00:00Z",
        "expires_at":null,"read_only":true,"note":null,"extra":1,
        "scope":{"type":"sending_domain","value":"example.org"}}})");
    BOOST_TEST_REQUIRE(!g.action.ec);
    const auto& s = g.algo.result();
    BOOST_TEST(s.reason == "future_reason");
    BOOST_TEST(s.read_only);
    BOOST_TEST(!s.expires_at);
    BOOST_TEST((s.scope == suppression_scope{sending_domain_scope{"example.org"}}));

    stepped<get_suppression_op> wrong(get_suppression_request{account, "x"});
    wrong.answer(200, R"({"success":true,"errors":[],"messages":[],"result":{"id":7}})");
    BOOST_TEST(wrong.action.ec == error::bad_response);

    stepped<import_suppressions_op> b(import_suppressions_request{account, {{"a@example.com"}}});
    b.answer(200, R"({"success":true,"errors":[],"messages":[],"result":{"total":2,
        "processed":1,"invalid":0,"errors":0,"skipped":0,"deduplicated":1,
        "items":[{"index":0,"status":"processed","id":"i1","email":"a@example.com",
                  "scope":{"type":"account"}}]}})");
    BOOST_TEST_REQUIRE(!b.action.ec);
    BOOST_TEST(b.algo.result().deduplicated == 1);
    BOOST_TEST(b.algo.result().items.at(0).id.value_or("") == "i1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(every_operation_every_flavour)

// Runs one request through the four flavours on the mock; each answers the same result.
template <class Request>
void run_four_flavours(const Request& req,
                       const typename operation_of<Request>::result_type& expected,
                       const std::string& expected_method) {
    using result_type = typename operation_of<Request>::result_type;
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    for (int i = 0; i < 4; ++i)
        mock.respond_success(expected);
    mock.respond_error(400, 10001, "refused");
    client_type client(mock, api_token{"t"}, fast_retries());

    BOOST_TEST((client.execute(req) == expected));
    boost::system::error_code ec;
    diagnostics diag;
    BOOST_TEST((client.execute(req, ec, diag) == expected));
    BOOST_TEST(!ec);
    result_type from_coroutine{}, from_tuple{};
    boost::system::error_code tuple_ec = error::bad_response;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            from_coroutine = co_await client.async_execute(req);
            auto [e, r] = co_await client.async_execute(req, diag, asio::as_tuple(asio::deferred));
            tuple_ec = e;
            from_tuple = std::move(r);
        },
        asio::detached);
    ioc.run();
    BOOST_TEST((from_coroutine == expected));
    BOOST_TEST(!tuple_ec);
    BOOST_TEST((from_tuple == expected));
    // The failure reaches the throwing flavour as an exception with every diagnostic.
    try {
        client.execute(req);
        BOOST_FAIL("no exception");
    } catch (const error_with_diagnostics& e) {
        BOOST_TEST(e.code() == error::api_rejected);
        BOOST_TEST(e.diag().errors.at(0).code == 10001);
    }
    BOOST_TEST_REQUIRE(mock.requests().size() == 5u);
    for (const auto& r : mock.requests())
        BOOST_TEST(r.method == expected_method);
}

BOOST_AUTO_TEST_CASE(send_and_every_suppression_operation) {
    run_four_flavours(valid_send(), send_result{{"a@example.org"}, {}, {}, {}, "<m@x>"}, "POST");
    suppression_page page{{entry("1", "a@example.com"), entry("2", "b@example.com", "policy")}};
    run_four_flavours(list_suppressions_request{account}, page, "GET");
    run_four_flavours(get_suppression_request{account, "1"}, entry("1", "a@example.com"), "GET");
    run_four_flavours(create_suppression_request{account, "a@example.com", {}, {}, {}},
                      suppression_ref{"1", account_scope{}}, "POST");
    run_four_flavours(edit_suppression_request{account, "1", {}, "note"},
                      entry("1", "a@example.com"), "PATCH");
    run_four_flavours(delete_suppression_request{account, "1"}, suppression_ref{"1", {}}, "DELETE");
    run_four_flavours(import_suppressions_request{account, {{"a@example.com"}}},
                      import_result{1, 1, 0, 0, 0, 0, {{0, "processed", "i", {}, {}, {}}}}, "POST");
}

// The named members are the same operations.
BOOST_AUTO_TEST_CASE(named_members_forward) {
    testing::mock_transport mock;
    mock.respond_success(suppression_ref{"9", {}});
    client_type client(mock, api_token{"t"});
    BOOST_TEST(client.delete_suppression({account, "9"}).id == "9");
    BOOST_TEST(mock.requests().at(0).target == base + "/suppressions/9");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(paging)

result_info with_cursor(std::string cursor) {
    result_info info;
    info.count = 1;
    info.per_page = 1;
    info.cursor = std::move(cursor);
    return info;
}

// Three pages, then an empty last one: every page keeps the first call's filters, and each
// asks for the cursor of the one before.
BOOST_AUTO_TEST_CASE(blocking_pages_keep_filters_and_follow_cursors) {
    testing::mock_transport mock;
    mock.respond_success(suppression_page{{entry("1", "a@x.org")}}, with_cursor("c1"));
    mock.respond_success(suppression_page{{entry("2", "b@x.org")}}, with_cursor("c 2/+"));
    mock.respond_success(suppression_page{{entry("3", "c@x.org")}}, with_cursor("c3"));
    mock.respond_success(suppression_page{}, with_cursor(""));
    client_type client(mock, api_token{"t"});
    list_suppressions_request first{account, 1u};
    first.reason = "hard_bounce";
    std::vector<std::string> ids;
    for_each_suppression(client, first, [&](const suppression& s) { ids.push_back(s.id); });
    BOOST_TEST((ids == std::vector<std::string>{"1", "2", "3"}));
    BOOST_TEST_REQUIRE(mock.requests().size() == 4u);
    BOOST_TEST(mock.requests()[0].target == base + "/suppressions?per_page=1&reason=hard_bounce");
    BOOST_TEST(mock.requests()[1].target ==
               base + "/suppressions?per_page=1&cursor=c1&reason=hard_bounce");
    BOOST_TEST(mock.requests()[2].target ==
               base + "/suppressions?per_page=1&cursor=c%202%2F%2B&reason=hard_bounce");
    BOOST_TEST(mock.requests()[3].target ==
               base + "/suppressions?per_page=1&cursor=c3&reason=hard_bounce");
}

// A page without result_info is the last; a failed page can be asked for again.
BOOST_AUTO_TEST_CASE(missing_result_info_ends_and_failures_stay) {
    testing::mock_transport mock;
    mock.respond_error(400, 10001, "bad filter");
    mock.respond_success(suppression_page{{entry("1", "a@x.org")}});
    client_type client(mock, api_token{"t"});
    suppression_pages<client_type> pages(client, {account});
    boost::system::error_code ec;
    diagnostics diag;
    pages.next(ec, diag);
    BOOST_TEST(ec == error::api_rejected);
    BOOST_TEST(!pages.done());
    BOOST_TEST(pages.next_request().cursor.empty()); // the failed page is asked for again
    BOOST_TEST(pages.next().items.size() == 1u);
    BOOST_TEST(pages.done());
}

// A coroutine drives the pages one by one with async_next.
BOOST_AUTO_TEST_CASE(coroutine_pages) {
    asio::io_context ioc;
    testing::mock_transport mock(ioc.get_executor());
    mock.respond_success(suppression_page{{entry("1", "a@x.org")}}, with_cursor("c1"));
    mock.respond_success(suppression_page{{entry("2", "b@x.org")}}, with_cursor("c2"));
    mock.respond_success(suppression_page{{entry("3", "c@x.org")}});
    client_type client(mock, api_token{"t"});
    std::vector<std::string> ids;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            list_suppressions_request first{account};
            first.search = "user@";
            suppression_pages<client_type> pages(client, first);
            while (!pages.done()) {
                for (const auto& s : (co_await pages.async_next()).items)
                    ids.push_back(s.id);
            }
        },
        asio::detached);
    ioc.run();
    BOOST_TEST((ids == std::vector<std::string>{"1", "2", "3"}));
    BOOST_TEST_REQUIRE(mock.requests().size() == 3u);
    BOOST_TEST(mock.requests()[2].target == base + "/suppressions?cursor=c2&search=user%40");
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_operations_test
