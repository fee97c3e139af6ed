// The structured send and the suppression list end to end: every client flavour's code path
// against the emulator over TLS, paging included.
#include "processes.hpp"

#include <cfmail.hpp>
#include <cfmail/any_client.hpp>
#include <cfmail/https_client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>

// The file's names in a namespace of their own: the build may compile test files together.
namespace integration_operations_e2e_test {

using namespace cfmail_test;
using namespace std::chrono_literals;

namespace {

const std::string account = "023e105f4ecef8ad9ca31a8372d0c353";

cfmail::https_options trusting_emulator(const emulator_process& e) {
    cfmail::https_options https;
    https.tls.ca_file = e.cert().cert_file;
    return https;
}

cfmail::client_options options_for(const emulator_process& e) {
    cfmail::client_options opts;
    opts.base_url = e.base_url();
    opts.retry.initial_backoff = 1ms;
    opts.retry.max_backoff = 2ms;
    return opts;
}

} // namespace

BOOST_AUTO_TEST_SUITE(operations_end_to_end)

// A coroutine sends a structured message with an attachment; the emulator composes and stores
// it. A suppressed recipient then makes the same send fail with the API's 400.
BOOST_AUTO_TEST_CASE(structured_send_and_suppressed_recipient) {
    emulator_process e;
    boost::asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), trusting_emulator(e)),
                          cfmail::api_token{"cli-SECRET-token"}, options_for(e));
    cfmail::send_request req;
    req.account_id = account;
    req.from = {"sender@example.com", "Jürgen"};
    req.to = {{"recipient@example.com"}};
    req.subject = "Grüße";
    req.text = "plain";
    req.html = "<p>html</p>";
    req.attachments.push_back({"a.bin", "application/octet-stream", std::string(100000, '\x01')});
    cfmail::send_result first;
    boost::system::error_code second_ec;
    cfmail::diagnostics second_diag;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            first = co_await client.async_send(req);
            // A named request: GCC 12 destroys some temporaries of a co_await expression twice.
            const cfmail::create_suppression_request suppress{
                account, "recipient@example.com", {}, {}, cfmail::account_scope{}};
            co_await client.async_create_suppression(suppress);
            auto [ec, r] = co_await client.async_send(req, second_diag,
                                                      boost::asio::as_tuple(boost::asio::deferred));
            second_ec = ec;
        },
        [](std::exception_ptr failure) { BOOST_TEST(!failure, "the coroutine threw"); });
    ioc.run_for(60s);
    BOOST_TEST(first.delivered == std::vector<std::string>{"recipient@example.com"});
    BOOST_TEST(!first.message_id.empty());
    BOOST_TEST(second_ec == cfmail::error::api_rejected);
    BOOST_TEST(second_diag.http_status == 400u);
    BOOST_TEST_REQUIRE(!second_diag.errors.empty());
    BOOST_TEST(second_diag.errors[0].message.find("suppressed") != std::string::npos);
    BOOST_TEST(e.stats().second == 1); // only the first send was accepted
}

// The blocking client adds entries, walks every page with the filters kept, edits and removes
// one; a missing id is the API's 404.
BOOST_AUTO_TEST_CASE(suppression_list_round_trip_with_paging) {
    emulator_process e(true, {"--page-size", "2"});
    cfmail::blocking_client client(cfmail::blocking_https_transport(trusting_emulator(e)),
                                   cfmail::api_token{"cli-SECRET-token"}, options_for(e));
    cfmail::import_suppressions_request bulk{account, {}};
    for (int i = 0; i < 5; ++i)
        bulk.items.push_back({"user" + std::to_string(i) + "@example.com"});
    bulk.items.push_back({"other@example.org"});
    const auto imported = client.import_suppressions(bulk);
    BOOST_TEST(imported.processed == 6);

    cfmail::list_suppressions_request first{account};
    first.search = "user0@";
    std::set<std::string> one;
    cfmail::for_each_suppression(client, first,
                                 [&](const cfmail::suppression& s) { one.insert(s.email); });
    BOOST_TEST(one == std::set<std::string>{"user0@example.com"});

    cfmail::suppression_pages<cfmail::blocking_client> pages(client, {account});
    std::vector<std::string> emails;
    int page_count = 0;
    while (!pages.done()) {
        ++page_count;
        for (const auto& s : pages.next().items)
            emails.push_back(s.email);
    }
    BOOST_TEST(emails.size() == 6u);
    BOOST_TEST(page_count == 3);

    const auto created = client.create_suppression({account, "new@example.com", {}, "first", {}});
    auto edited = client.edit_suppression({account, created.id, {}, "second"});
    BOOST_TEST(edited.note.value_or("") == "second");
    BOOST_TEST(client.get_suppression({account, created.id}).email == "new@example.com");
    BOOST_TEST(client.delete_suppression({account, created.id}).id == created.id);
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    client.get_suppression({account, created.id}, ec, diag);
    BOOST_TEST(ec == cfmail::error::api_rejected);
    BOOST_TEST(diag.http_status == 404u);
}

// Application code that takes cfmail::any_client runs over the pool with the pool's
// concurrency: eight coroutines send at once over four connections, none refused.
BOOST_AUTO_TEST_CASE(any_client_over_the_pool_keeps_its_concurrency) {
    emulator_process e;
    boost::asio::io_context ioc;
    cfmail::pool_options pool;
    pool.max_connections = 4;
    pool.https = trusting_emulator(e);
    cfmail::any_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                              cfmail::api_token{"cli-SECRET-token"}, options_for(e));
    int delivered = 0, finished = 0;
    auto send_one = [&](int i) -> boost::asio::awaitable<void> {
        const cfmail::send_raw_request req{
            account,
            "sender@example.com",
            {"r" + std::to_string(i) + "@example.com"},
            "From: sender@example.com\r\nSubject: " + std::to_string(i) + "\r\n\r\nhi\r\n"};
        cfmail::send_raw_result result = co_await client.async_send_raw(req);
        delivered += static_cast<int>(result.delivered.size());
    };
    for (int i = 0; i < 8; ++i)
        boost::asio::co_spawn(ioc, send_one(i), [&](std::exception_ptr failure) {
            BOOST_TEST(!failure, "a send through any_client failed");
            if (++finished == 8)
                client.transport().close(); // no idle connection keeps run() going
        });
    ioc.run_for(60s);
    BOOST_TEST(delivered == 8);
    BOOST_TEST(e.stats().second == 8);
    BOOST_TEST(client.transport().target<cfmail::pooled_https_transport>() != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_operations_e2e_test
