// The client against cfmail-emulator with a fault injected per request: the outcome, and how
// many requests the emulator received (no retry where the outcome was unknown, the documented
// number where it was safe). Then a bounded soak: many concurrent sends with random faults,
// where nothing may be lost or stored twice.
#include "fast_retries.hpp"
#include "processes.hpp"

#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <random>
#include <set>

// The file's names in a namespace of their own: the build may compile test files together.
namespace integration_fault_test {

using namespace cfmail_test;
using namespace std::chrono_literals;

namespace {

struct fault_case {
    const char* account;
    boost::system::error_code expected;
    int requests; // received by the emulator
    int accepted; // stored by the emulator
};

cfmail::client_options fast_options(const emulator_process& e) {
    return fast_retries(e.base_url(), 5ms);
}

cfmail::https_options short_timeouts() {
    cfmail::https_options o;
    o.connect_timeout = 2s;
    o.attempt_timeout = 1500ms;
    return o;
}

std::string mime(const std::string& id) {
    return "From: sender@example.com\r\nTo: r@example.com\r\nX-Soak-Id: " + id +
           "\r\nSubject: soak\r\n\r\nbody of " + id + "\r\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(each_fault_gives_its_outcome_and_request_count) {
    using cfmail::error;
    const fault_case cases[] = {
        {"ok-account", {}, 1, 1},
        {"fault-429-a", error::api_rejected, 3, 0}, // Retry-After: 1, retried twice
        {"fault-500-a", error::api_rejected, 3, 0}, // envelope: nothing sent, retried twice
        {"fault-502-a", error::outcome_unknown, 1, 1},
        {"fault-503-a", error::outcome_unknown, 1, 1},
        {"fault-successfalse-a", error::api_rejected, 1, 0},
        {"fault-malformed-a", error::bad_response, 1, 1},
        {"fault-wrongshape-a", error::bad_response, 1, 1},
        {"fault-short-a", error::outcome_unknown, 1, 1},
        {"fault-drop-a", error::outcome_unknown, 1, 1},
        {"fault-slow-a", error::outcome_unknown, 1, 1}, // attempt timeout 1.5 s < 3 s
        {"fault-oversize-a", error::response_too_large, 1, 1},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.account) {
            emulator_process e(false);
            boost::asio::io_context ioc;
            cfmail::client client(cfmail::https_transport(ioc.get_executor(), short_timeouts()),
                                  cfmail::api_token{"cli-SECRET-token"}, fast_options(e));
            cfmail::send_raw_request req{
                c.account, "sender@example.com", {"r@example.com"}, mime(c.account)};
            cfmail::diagnostics diag;
            boost::system::error_code ec;
            client.async_send_raw(req, diag, [&](boost::system::error_code r, auto) { ec = r; });
            ioc.run_for(30s);
            BOOST_TEST(ec == c.expected, ec.message() << " / " << diag);
            auto [requests, accepted] = e.stats();
            BOOST_TEST(requests == c.requests);
            BOOST_TEST(accepted == c.accepted);
            BOOST_TEST(e.stored().size() == static_cast<std::size_t>(c.accepted));
            BOOST_TEST(diag.attempts == static_cast<unsigned>(c.requests));
            BOOST_TEST(diag.to_string().find("SECRET") == std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(idle_close_is_recovered_without_a_duplicate) {
    emulator_process e(false);
    boost::asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), short_timeouts()),
                          cfmail::api_token{"cli-SECRET-token"}, fast_options(e));
    int ok = 0;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            for (int i = 0; i < 3; ++i) {
                // The next send comes once the server has closed the idle connection, as
                // after a server's idle timeout.
                if (i > 0)
                    e.wait_for_closes(i);
                cfmail::send_raw_request req{"fault-idleclose-a",
                                             "sender@example.com",
                                             {"r@example.com"},
                                             mime(std::to_string(i))};
                co_await client.async_send_raw(req);
                ++ok;
            }
        },
        boost::asio::detached);
    ioc.run_for(30s);
    BOOST_TEST(ok == 3);
    auto [requests, accepted] = e.stats();
    BOOST_TEST(requests == 3);
    BOOST_TEST(accepted == 3);
}

// Many concurrent coroutine sends, faults at random, for a bounded time (CFMAIL_SOAK_SECONDS,
// default 60). Every send ends in exactly one of success, API error or unknown outcome; the
// stored messages are the successes plus some of the unknown outcomes, none twice.
BOOST_AUTO_TEST_CASE(soak_nothing_lost_nothing_twice) {
    const char* env_seconds = std::getenv("CFMAIL_SOAK_SECONDS");
    const auto duration = std::chrono::seconds(env_seconds ? std::atoi(env_seconds) : 60);
    emulator_process e(false);
    boost::asio::io_context ioc;
    const char* prefixes[] = {"ok-",
                              "ok-",
                              "ok-",
                              "ok-",
                              "fault-429-",
                              "fault-500-",
                              "fault-502-",
                              "fault-successfalse-",
                              "fault-malformed-",
                              "fault-short-",
                              "fault-drop-",
                              "fault-idleclose-",
                              "fault-oversize-"};
    enum class outcome { success, api_error, unknown };
    std::map<std::string, outcome> outcomes; // soak id -> how the send ended
    std::set<std::string> success_message_ids;
    int in_flight = 0, sends = 0, faults = 0;
    const auto deadline = std::chrono::steady_clock::now() + duration;

    auto options = fast_options(e);
    options.retry.max_backoff = 5ms;
    auto worker = [&](int worker_id) -> boost::asio::awaitable<void> {
        ++in_flight;
        std::mt19937 rng(static_cast<unsigned>(worker_id) * 7919u + 1u);
        cfmail::client client(cfmail::https_transport(ioc.get_executor(), short_timeouts()),
                              cfmail::api_token{"cli-SECRET-token"}, options);
        for (int n = 0; std::chrono::steady_clock::now() < deadline; ++n) {
            const std::string prefix = prefixes[rng() % std::size(prefixes)];
            const std::string id = "w" + std::to_string(worker_id) + "n" + std::to_string(n);
            faults += prefix != "ok-";
            cfmail::send_raw_request req{
                prefix + id, "sender@example.com", {"r@example.com"}, mime(id)};
            cfmail::diagnostics diag;
            auto [ec, result] = co_await client.async_send_raw(
                req, diag, boost::asio::as_tuple(boost::asio::use_awaitable));
            ++sends;
            if (!ec) {
                outcomes[id] = outcome::success;
                success_message_ids.insert(result.message_id);
            } else if (cfmail::may_have_been_sent(ec, diag)) {
                outcomes[id] = outcome::unknown;
            } else {
                outcomes[id] = outcome::api_error;
            }
        }
        --in_flight;
    };
    constexpr int workers = 16;
    for (int w = 0; w < workers; ++w)
        boost::asio::co_spawn(ioc, worker(w), boost::asio::detached);
    ioc.run_for(duration + 60s);
    BOOST_TEST_REQUIRE(in_flight == 0, "sends still running: a hang");

    // What the emulator stored, by soak id.
    std::map<std::string, int> stored_count;
    for (const auto& file : e.stored()) {
        const auto text = read_file(file);
        const auto at = text.find("X-Soak-Id: ");
        BOOST_TEST_REQUIRE(at != std::string::npos);
        const auto id = text.substr(at + 11, text.find("\r\n", at) - at - 11);
        ++stored_count[id];
    }
    int successes = 0, unknown = 0, api_errors = 0, unknown_stored = 0;
    for (const auto& [id, how] : outcomes) {
        const int stored = stored_count.count(id) ? stored_count[id] : 0;
        BOOST_TEST(stored <= 1, id << " stored " << stored << " times");
        switch (how) {
        case outcome::success:
            ++successes;
            BOOST_TEST(stored == 1, id << " succeeded but was not stored");
            break;
        case outcome::api_error:
            ++api_errors;
            BOOST_TEST(stored == 0, id << " failed but was stored");
            break;
        case outcome::unknown:
            ++unknown;
            unknown_stored += stored;
            break;
        }
    }
    for (const auto& [id, count] : stored_count)
        BOOST_TEST(outcomes.count(id) == 1u, id << " stored but never sent");
    BOOST_TEST(static_cast<int>(e.stored().size()) == successes + unknown_stored);
    BOOST_TEST(static_cast<int>(success_message_ids.size()) == successes);
    BOOST_TEST(sends == static_cast<int>(outcomes.size())); // every id ended once
    // Every send reached the emulator, and none more often than its attempts allow.
    const int requests = e.stats().first;
    BOOST_TEST(requests >= sends);
    BOOST_TEST(requests <= sends * static_cast<int>(options.retry.max_retries + 1));
    // The token never reaches a file the emulator wrote, nor its output.
    for (const auto& entry : fs::recursive_directory_iterator(e.dir())) {
        if (entry.is_regular_file())
            BOOST_TEST(read_file(entry.path()).find("cli-SECRET-token") == std::string::npos,
                       entry.path());
    }
    BOOST_TEST_MESSAGE("soak: " << sends << " sends in " << duration.count() << " s, " << faults
                                << " faults injected; " << successes << " succeeded, " << api_errors
                                << " API errors, " << unknown << " unknown outcomes ("
                                << unknown_stored << " of them stored)");
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_fault_test
