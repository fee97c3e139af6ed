// Compiles every ```cpp block of doc/guide.md and doc/transports.md, so the documentation
// cannot drift from the API. Each block appears verbatim (check_guide_snippets.py verifies
// that), inside the declarations it relies on. Nothing here is ever called: the translation
// unit only has to compile.
//
// Some blocks are sketches whose handlers or transport members leave a parameter unused;
// -Wunused-parameter is silenced around those blocks only, never for the whole file.
// The cfmail headers and the alias `asio` come from the first block of the guide, below.
// The blocks keep the layout they have in the guide, so the formatter leaves this file alone.
// clang-format off

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/error_code.hpp>

#include <cassert>
#include <chrono>
#include <exception>
#include <future>
#include <iostream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>
#include <thread>

// guide.md, section 1: what every example assumes.
#include <cfmail.hpp>                        // everything but the HTTPS transport and the mock
#include <cfmail/https_client.hpp>           // cfmail::client, blocking_client, pooled_client
#include <cfmail/testing/mock_transport.hpp> // cfmail::testing::mock_transport, for tests
#include <cfmail/testing/run.hpp>            // cfmail::testing::run, for coroutine tests
#include <cfmail/any_client.hpp>             // cfmail::any_client
namespace asio = boost::asio; // used in every example below

namespace guide_snippets {

using mock_client = cfmail::basic_client<cfmail::testing::mock_transport>;

// guide.md, section 2: a request.
void describe_request() {
    cfmail::send_raw_request req{
        .account_id = "023e105f4ecef8ad9ca31a8372d0c353",
        .from = "sender@example.com",                        // SMTP envelope sender, bare address
        .recipients = {"alice@example.org", "bob@example.org"}, // To, Cc and Bcc together
        .mime_message = "From: Sender <sender@example.com>\r\n"
                        "To: alice@example.org\r\n"
                        "Cc: bob@example.org\r\n"
                        "Subject: Hello\r\n"
                        "\r\n"
                        "Hello, World!\r\n",
    };
    static_cast<void>(req);
}

// guide.md, section 2: a client.
void build_client(cfmail::https_transport transport) {
    using Transport = cfmail::https_transport;
    cfmail::client_options opts;  // the defaults fit the public API
    opts.retry.max_retries = 3;

    // Transport is any type satisfying cfmail::transport: the HTTPS transport, your own (section 10),
    // or cfmail::testing::mock_transport in tests (section 9).
    cfmail::basic_client<Transport> client(std::move(transport),
                                           cfmail::credentials::from_environment(), opts);
    static_cast<void>(client);
}

// guide.md, section 2: credentials.
void build_credentials() {
    cfmail::credentials token = cfmail::api_token{"..."};  // Authorization: Bearer <token>
    cfmail::credentials key = cfmail::api_key{"me@example.com", "global-api-key"}; // X-Auth-Email/-Key
    cfmail::credentials env = cfmail::credentials::from_environment();
    static_cast<void>(token);
    static_cast<void>(key);
    static_cast<void>(env);
}

// guide.md, section 2: the account id from the environment.
void account_from_environment(const std::string& mime) {
    cfmail::blocking_client client(cfmail::blocking_https_transport(),
                                   cfmail::credentials::from_environment(),
                                   cfmail::client_options::from_environment());
    client.send_raw({.from = "sender@example.com", // no account_id: CLOUDFLARE_ACCOUNT_ID's
                     .recipients = {"alice@example.org"},
                     .mime_message = mime});
}

// guide.md, section 3: blocking sends.
void send_blocking(cfmail::blocking_client& client, const cfmail::send_raw_request& req) {
    try {
        cfmail::send_raw_result r = client.send_raw(req);
    } catch (const cfmail::error_with_diagnostics& e) {
        std::cerr << e.what() << '\n';  // error, HTTP status, cf-ray, Cloudflare errors
    }

    boost::system::error_code ec;
    cfmail::diagnostics diag;
    cfmail::send_raw_result r = client.send_raw(req, ec, diag);
    if (ec)
        std::cerr << ec.message() << ": " << diag << '\n';
    static_cast<void>(r);
}

// guide.md, section 3: coroutines.
namespace coroutine_send {
template <class Client>
asio::awaitable<void> send(Client& client, const cfmail::send_raw_request& req) {
    try {
        cfmail::send_raw_result r = co_await client.async_send_raw(req); // throws on failure
    } catch (const cfmail::error_with_diagnostics& e) {
        std::cerr << e.what() << '\n';
    }

    cfmail::diagnostics diag;
    auto [ec, r] = co_await client.async_send_raw(req, diag, asio::as_tuple(asio::deferred));
    if (ec)
        std::cerr << ec.message() << ": " << diag << '\n';
}

template asio::awaitable<void> send(cfmail::client&, const cfmail::send_raw_request&);
template asio::awaitable<void> send(mock_client&, const cfmail::send_raw_request&);
} // namespace coroutine_send

// guide.md, section 3: callbacks (the handlers leave the result unused).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
void send_with_callbacks(cfmail::client& client, const cfmail::send_raw_request& req) {
    cfmail::diagnostics diag; // must outlive the operation, like req
    client.async_send_raw(req, diag, [&](boost::system::error_code ec, cfmail::send_raw_result r) {
        if (ec)
            std::cerr << ec.message() << ": " << diag << '\n';
    });

    client.async_send_raw(req, [](std::exception_ptr failure, cfmail::send_raw_result r) {
        try {
            if (failure)
                std::rethrow_exception(failure);
        } catch (const cfmail::error_with_diagnostics& e) {
            std::cerr << e.what() << '\n';
        }
    });
}
#pragma GCC diagnostic pop

// guide.md, section 3: futures.
void send_with_future(cfmail::client& client, const cfmail::send_raw_request& req) {
    std::future<cfmail::send_raw_result> f = client.async_send_raw(req, asio::use_future);
    cfmail::send_raw_result r = f.get(); // throws cfmail::error_with_diagnostics
    static_cast<void>(r);
}

// guide.md, section 3: any operation through execute.
namespace generic {
// Runs whichever operation `req` describes; logs a failure and returns an empty result.
template <class Client, class Request>
auto run_logged(Client& client, const Request& req) {
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    auto result = client.execute(req, ec, diag);
    if (ec)
        std::cerr << ec.message() << ": " << diag << '\n';
    return result;
}

void use_run_logged(cfmail::blocking_client& client, const cfmail::send_raw_request& req,
                    const cfmail::delete_suppression_request& removal) {
    cfmail::send_raw_result sent = run_logged(client, req);
    cfmail::suppression_ref removed = run_logged(client, removal);
    static_cast<void>(sent);
    static_cast<void>(removed);
}
} // namespace generic

// guide.md, section 5: error_with_diagnostics.
void handle_api_error(cfmail::blocking_client& client, const cfmail::send_raw_request& req) {
    try {
        client.send_raw(req);
    } catch (const cfmail::error_with_diagnostics& e) {
        if (e.rate_limited() && e.diag().retry_after)
            std::cerr << "try again in " << e.diag().retry_after->count() << " ms\n";
        else if (e.may_have_been_sent())
            std::cerr << "do not resend blindly; cf-ray " << e.diag().cf_ray << '\n';
    }
}

// guide.md, section 8: a cancellation signal (the handler leaves the result unused).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
void cancel_with_signal(cfmail::client& client, const cfmail::send_raw_request& req) {
    asio::cancellation_signal cancel;
    cfmail::diagnostics diag;
    client.async_send_raw(req, diag,
        asio::bind_cancellation_slot(cancel.slot(),
            [&](boost::system::error_code ec, cfmail::send_raw_result r) {
                if (ec == asio::error::operation_aborted && cfmail::may_have_been_sent(ec, diag))
                    std::cerr << "cancelled, the email may have been sent\n";
            }));
    // later:
    cancel.emit(asio::cancellation_type::terminal);
}
#pragma GCC diagnostic pop

// guide.md, section 8: a deadline in a coroutine.
namespace deadline {
using namespace asio::experimental::awaitable_operators;

template <class Client>
asio::awaitable<void> send_with_deadline(Client& client, const cfmail::send_raw_request& req) {
    cfmail::diagnostics diag;
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::seconds(30));
    auto which = co_await (client.async_send_raw(req, diag, asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::use_awaitable));
    if (which.index() == 1) {
        // the deadline passed and the send was cancelled
        co_return;
    }
    auto [ec, result] = std::get<0>(std::move(which));
    // ...
}

template asio::awaitable<void> send_with_deadline(cfmail::client&, const cfmail::send_raw_request&);
template asio::awaitable<void> send_with_deadline(mock_client&, const cfmail::send_raw_request&);
} // namespace deadline

// guide.md, section 5: what now? (a job queue's placeholder interface)
namespace what_now {
struct job_id {};
struct job_queue {
    void retry(job_id, std::chrono::milliseconds) {}
    void fail(job_id, const std::string&) {}
    void pause_all(const std::string&) {}
    void hold_for_review(job_id, const std::string&) {}
};

void after_send(job_queue& queue, job_id job, const boost::system::error_code& ec,
                const cfmail::diagnostics& diag) {
    cfmail::decision d = cfmail::what_now(ec, diag);
    switch (d.step) {
    case cfmail::next_step::done:
        break;
    case cfmail::next_step::retry_later: // nothing was sent; try again
        queue.retry(job, d.retry_after.value_or(std::chrono::seconds(30)));
        break;
    case cfmail::next_step::fix_request: // nothing was sent; never retry this request as it is
        queue.fail(job, diag.to_string());
        break;
    case cfmail::next_step::fix_configuration: // nothing was sent; no request can succeed
        queue.pause_all(diag.to_string());
        break;
    case cfmail::next_step::reconcile: // the email may have gone out: do not resend blindly
        queue.hold_for_review(job, diag.cf_ray);
        break;
    }
}
} // namespace what_now

// guide.md, section 9: testing with the mock transport.
void test_with_mock(const cfmail::send_raw_request& req) {
    asio::io_context ioc;
    cfmail::testing::mock_transport mock(ioc.get_executor());
    cfmail::client_options opts;
    opts.retry.initial_backoff = std::chrono::milliseconds(1); // keep tests fast
    cfmail::basic_client<cfmail::testing::mock_transport> client(mock, cfmail::api_token{"test"},
                                                                 opts);

    mock.respond_error(429, 10004, "Throttled", {{"Retry-After", "0"}});
    mock.respond_success({.delivered = {"user@example.com"}, .message_id = "<1@example.com>"});

    cfmail::send_raw_result result = client.send_raw(req); // retried after the 429
    assert(result.message_id == "<1@example.com>");
    assert(mock.requests().size() == 2);
    assert(mock.requests()[0].header("Authorization") == "Bearer test");
    assert(mock.pending() == 0);
}

// guide.md, section 9: application code over any_client, run to completion in a test.
namespace run_coroutine {
// welcome.cpp: application code, compiled once.
asio::awaitable<std::string> send_welcome(cfmail::any_client& client, std::string to) {
    cfmail::send_raw_request req{.account_id = "023e105f4ecef8ad9ca31a8372d0c353",
                                 .from = "sender@example.com",
                                 .recipients = {std::move(to)},
                                 .mime_message = "Subject: Welcome\r\n\r\nWelcome!\r\n"};
    cfmail::send_raw_result result = co_await client.async_send_raw(req);
    co_return result.message_id;
}

void build_both(asio::io_context& ioc, cfmail::testing::mock_transport& mock) {
    // In the server: the pool.
    cfmail::any_client production(cfmail::pooled_https_transport(ioc.get_executor()),
                                  cfmail::credentials::from_environment());
    // In the test: the mock.
    cfmail::any_client tested(mock, cfmail::api_token{"test"});
}

void test_send_welcome() {
    asio::io_context ioc;
    cfmail::testing::mock_transport mock(ioc.get_executor());
    cfmail::any_client client(mock, cfmail::api_token{"test"});
    mock.respond_success({.message_id = "<1@example.com>"});

    std::string id = cfmail::testing::run(ioc, send_welcome(client, "new@example.org"));
    assert(id == "<1@example.com>");
}
} // namespace run_coroutine

// guide.md, section 10: transport skeletons (their parameters are placeholders).
namespace own_transport {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
// Blocking: satisfies cfmail::sync_transport.
struct my_transport {
    void round_trip(const cfmail::http_request& req, cfmail::http_response& resp,
                    boost::system::error_code& ec) {
        // connect, set resp.request_written = true before sending the first byte,
        // send req, read the answer into resp; on failure set ec
    }
};

// Asynchronous: satisfies cfmail::async_transport.
struct my_async_transport {
    using executor_type = asio::any_io_executor;
    executor_type executor;
    executor_type get_executor() const { return executor; }

    // Completes with void(boost::system::error_code); accepts any completion token.
    template <class CompletionToken>
    auto async_round_trip(const cfmail::http_request& req, cfmail::http_response& resp,
                          CompletionToken&& token) {
        return asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [](auto handler, const cfmail::http_request* request, cfmail::http_response* response) {
                // start the exchange; later fill *response and invoke std::move(handler)(ec),
                // never inside this call
            },
            token, &req, &resp);
    }
};

static_assert(cfmail::sync_transport<my_transport>);
static_assert(cfmail::async_transport<my_async_transport>);
#pragma GCC diagnostic pop
} // namespace own_transport

// guide.md, section 12: a structured send.
void structured_send(cfmail::blocking_client& client, const std::string& pdf,
                     const std::string& png) {
    cfmail::send_request req{
        .account_id = "023e105f4ecef8ad9ca31a8372d0c353",
        .from = {"sender@example.com", "Example Shop"}, // an address and, optionally, a name
        .to = {{"alice@example.org"}},
        .bcc = {{"audit@example.com"}},                 // never shown in the message
        .subject = "Your invoice",
        .text = "Your invoice is attached.",
        .html = "<p><img src=\"cid:logo\"> Your invoice is attached.</p>",
        .headers = {{"X-Campaign", "invoices"}},
        .attachments = {
            {.filename = "invoice.pdf", .content_type = "application/pdf", .content = pdf},
            {.filename = "logo.png", .content_type = "image/png", .content = png,
             .disposition = cfmail::content_disposition::inline_content, .content_id = "logo"},
        },
    };
    cfmail::send_result result = client.send(req);
    static_cast<void>(result);
}

// guide.md, section 13: a suppression for one sending domain.
void suppress_address(cfmail::blocking_client& client, const std::string& account_id) {
    cfmail::suppression_ref ref = client.create_suppression({
        .account_id = account_id,
        .email = "bounced@example.org",
        .note = "asked by phone to be removed",
        .scope = cfmail::sending_domain_scope{"mail.example.com"}, // only mail from this domain
    });
    static_cast<void>(ref);
}

// guide.md, section 13: paging, blocking.
void page_through(cfmail::blocking_client& client, const std::string& account_id) {
    cfmail::list_suppressions_request first{.account_id = account_id, .reason = "hard_bounce"};
    cfmail::suppression_pages pages(client, first);
    while (!pages.done()) {
        for (const cfmail::suppression& s : pages.next().items) // throws on failure
            std::cout << s.email << '\n';
    }

    cfmail::for_each_suppression(client, first, [](const cfmail::suppression& s) {
        std::cout << s.email << '\n';
    });
}

// guide.md, section 13: paging in a coroutine.
namespace paging {
template <class Client>
asio::awaitable<void> print_all(Client& client, cfmail::list_suppressions_request first) {
    cfmail::suppression_pages pages(client, std::move(first));
    while (!pages.done()) {
        cfmail::suppression_page page = co_await pages.async_next(); // throws on failure
        for (const cfmail::suppression& s : page.items)
            std::cout << s.email << '\n';
    }
}

template asio::awaitable<void> print_all(cfmail::client&, cfmail::list_suppressions_request);
template asio::awaitable<void> print_all(mock_client&, cfmail::list_suppressions_request);
} // namespace paging

// transports.md: the two HTTPS clients.
asio::awaitable<void> https_clients(const cfmail::send_raw_request& req) {
    asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor()),
                          cfmail::credentials::from_environment());
    // in a coroutine:
    auto result = co_await client.async_send_raw(req);

    cfmail::blocking_client blocking(cfmail::blocking_https_transport{},
                                     cfmail::credentials::from_environment());
    auto result2 = blocking.send_raw(req);
    static_cast<void>(result);
    static_cast<void>(result2);
}

// transports.md: the connection pool.
asio::awaitable<void> pooled_sends(asio::io_context& ioc, const cfmail::send_raw_request& req) {
    cfmail::pool_options pool;
    pool.max_connections = 32;
    cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                 cfmail::credentials::from_environment());
    // from as many coroutines as you like:
    auto result = co_await client.async_send_raw(req);
    static_cast<void>(result);
}

static_assert(cfmail::concurrent_transport<cfmail::pooled_https_transport>);
static_assert(!cfmail::concurrent_transport<cfmail::https_transport>);
// The network transports stream the message; the mock, like a transport written from the
// guide, receives the whole body.
static_assert(cfmail::streaming_transport<cfmail::pooled_https_transport>);
static_assert(cfmail::streaming_transport<cfmail::blocking_https_transport>);
static_assert(!cfmail::streaming_transport<cfmail::testing::mock_transport>);

// transports.md, cancellation: a deadline.
asio::awaitable<void> https_deadline(asio::io_context& ioc, cfmail::client& client,
                                     const cfmail::send_raw_request& req) {
    using namespace boost::asio::experimental::awaitable_operators;
    cfmail::diagnostics diag;
    asio::steady_timer timer(ioc, std::chrono::seconds(5));
    auto which = co_await (client.async_send_raw(req, diag, asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::use_awaitable));
    if (which.index() == 1 && cfmail::may_have_been_sent(asio::error::operation_aborted, diag)) {
        // cancelled after the request was written: the email may have been sent
    }
}

// transports.md, cancellation: an explicit signal.
void https_signal(cfmail::client& client, const cfmail::send_raw_request& req) {
    cfmail::diagnostics diag;
    auto handler = [](boost::system::error_code, cfmail::send_raw_result) {};
    asio::cancellation_signal signal;
    client.async_send_raw(req, diag, asio::bind_cancellation_slot(signal.slot(), handler));
    signal.emit(asio::cancellation_type::terminal);
}

// guide.md, section 14: composing a message.
void compose_newsletter(cfmail::blocking_client& client, const std::string& account_id,
                        const std::vector<cfmail::mailbox>& readers, const std::string& pdf,
                        const std::string& png) {
    cfmail::mime::message m;
    m.from({"sender@example.com", "Jürgen Müller"})
        .to(readers)                                  // a std::vector<cfmail::mailbox>
        .bcc({"audit@example.com"})                   // in the envelope, never in a header
        .subject("Grüße – your report")
        .text("Your report is attached.")
        .html("<p><img src=\"cid:logo\"> Your report is attached.</p>")
        .attach_file("report.pdf", pdf, "application/pdf")
        .inline_image("logo", png, "image/png");
    cfmail::send_raw_request req = m.to_send_raw(account_id); // throws when a field is invalid
    cfmail::send_raw_result result = client.send_raw(req);
    static_cast<void>(result);
}

// transports.md, the request body: a transport that streams writes either form.
namespace body_writing {
void write_all(std::string_view bytes) { static_cast<void>(bytes); } // stands for the socket

void write_body(const cfmail::http_request& req) {
    if (req.body.contiguous()) {
        write_all(req.body.text()); // the whole body, one buffer
    } else {
        cfmail::request_body::reader reader(req.body); // encodes the streamed parts as it goes
        char chunk[16 * 1024];
        while (!reader.done())
            write_all(std::string_view(chunk, reader.read(chunk, sizeof chunk)));
    }
}
} // namespace body_writing

// transports.md, TLS: trusted roots and timeouts.
void https_tls(asio::io_context& ioc, const cfmail::credentials& creds) {
    cfmail::https_options https;
    https.tls.ca_file = "/etc/ssl/corporate-ca.pem";
    https.attempt_timeout = std::chrono::seconds(20);
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), https), creds);
    static_cast<void>(client);
}

// guide.md, section 15: a deadline per operation.
void deadline_per_operation(const cfmail::credentials& creds, const cfmail::send_raw_request& req) {
    cfmail::client_options opts = cfmail::client_options::from_environment();
    opts.deadline = std::chrono::seconds(10); // every operation of this client
    cfmail::blocking_client client(cfmail::blocking_https_transport(), creds, opts);

    boost::system::error_code ec;
    cfmail::diagnostics diag;
    client.execute(cfmail::with_deadline(req, std::chrono::seconds(2)), ec, diag); // this call only
    if (ec == asio::error::timed_out && !cfmail::may_have_been_sent(ec, diag)) {
        // Nothing reached the API: sending again later cannot duplicate the email.
    }
}

// guide.md, section 15: observing attempts.
void observing() {
    cfmail::attempt_metrics metrics;          // atomic totals and a duration histogram
    cfmail::json_lines_observer log(std::clog); // one JSON object per line
    cfmail::client_options opts;
    opts.observer = [log, metrics](const cfmail::attempt_event& event) {
        log(event);
        metrics(event);
    };
    // ... later, from any thread, e.g. in a metrics exporter:
    cfmail::attempt_metrics::totals totals = metrics.snapshot();
    std::cout << totals.attempts_ended << " attempts, " << totals.retries << " retries, "
              << totals.outcomes_unknown << " outcomes unknown\n";
}

// transports.md, one pool, many threads.
// Stands for the server's own coroutine, which sends with co_await client.async_send_raw(...).
asio::awaitable<void> serve(cfmail::pooled_client& client) {
    static_cast<void>(client);
    co_return;
}
void many_threads() {
    asio::io_context ioc(4);
    cfmail::pool_options pool;
    pool.max_connections = 8;
    pool.thread_safe = true; // sends start on whichever thread runs their coroutine
    cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                 cfmail::credentials::from_environment());
    for (int i = 0; i < 4; ++i)
        asio::co_spawn(ioc, serve(client), asio::detached); // each sends with co_await
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&ioc] { ioc.run(); });
    for (auto& t : threads)
        t.join();
}

// transports.md, through an HTTP proxy.
void through_a_proxy(asio::io_context& ioc, const cfmail::credentials& creds) {
    cfmail::https_options https;
    https.proxy = cfmail::proxy_options::from_environment(); // https_proxy / HTTPS_PROXY, NO_PROXY
    // or: https.proxy = "http://user:password@proxy.example:3128";
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), https), creds);
    static_cast<void>(client);
}

} // namespace guide_snippets
