// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.

// The cfmail client of cfmail-bench: one pooled client (or the same pool through
// cfmail::any_client), CONCURRENCY coroutines each sending in turn, as an async server would
// use it.

#include "bench_common.hpp"

#include <cfmail.hpp>
#include <cfmail/any_client.hpp>
#include <cfmail/https_client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <exception>
#include <fstream>
#include <tuple>

namespace cfmail_bench {

namespace asio = boost::asio;

// CONCURRENCY coroutines sending through `client` until N sends are made.
template <class Client>
std::size_t send_all(asio::io_context& ioc, Client& client, client_args& args) {
    // The message is moved, not copied, into the one request every send reuses.
    const bool structured = args.structured;
    const cfmail::send_raw_request request{
        args.account_id, args.from, {args.recipient}, structured ? "" : std::move(args.message)};
    cfmail::send_request send;
    if (structured) {
        send.account_id = args.account_id;
        send.from = {args.from};
        send.to = {{args.recipient}};
        send.subject = "Your report";
        send.text = "The report is attached.";
        send.attachments.push_back({"report.pdf", "application/pdf", std::move(args.message)});
    }
    std::size_t started = 0, ok = 0, finished = 0, reported = 0;
    auto sender = [&]() -> asio::awaitable<void> {
        cfmail::diagnostics diag;
        while (started < args.n) {
            ++started;
            // Two statements, not a conditional: GCC 12 mishandles temporaries of a co_await
            // inside `?:`.
            boost::system::error_code ec;
            cfmail::send_raw_result result;
            if (structured)
                std::tie(ec, result) =
                    co_await client.async_send(send, diag, asio::as_tuple(asio::use_awaitable));
            else
                std::tie(ec, result) = co_await client.async_send_raw(
                    request, diag, asio::as_tuple(asio::use_awaitable));
            if (!ec && !result.delivered.empty())
                ++ok;
            else if (reported++ < 5)
                std::fprintf(stderr, "send failed: %s\n", ec.message().c_str());
            if (++finished == args.n)
                client.transport().close(); // no idle connection keeps run() going
        }
    };
    for (std::size_t i = 0; i < args.concurrency && i < args.n; ++i)
        asio::co_spawn(ioc, sender(), [](std::exception_ptr failure) {
            if (failure)
                std::rethrow_exception(failure);
        });
    ioc.run();
    return ok;
}

int run_cfmail_client(client_args args) {
    asio::io_context ioc(1);
    run_meter meter;

    cfmail::pool_options pool;
    pool.max_connections = args.concurrency;
    if (!args.ca_file.empty())
        pool.https.tls.ca_file = args.ca_file;
    cfmail::client_options options;
    options.base_url = args.base_url;
    options.max_message_size =
        cfmail::max_message_size_limit; // large messages, verified recipients
    // What a server would do with the events: lines to a file (here /dev/null, so that the
    // figure is the observer's own cost, not the disk's), or totals for an exporter.
    std::ofstream log_file;
    cfmail::attempt_metrics metrics;
    if (args.observer == "json") {
        log_file.open("/dev/null");
        options.observer = cfmail::json_lines_observer(log_file);
    } else if (args.observer == "metrics") {
        options.observer = metrics;
    }
    cfmail::pooled_https_transport transport(ioc.get_executor(), pool);
    const cfmail::api_token token{args.token};
    std::size_t ok = 0;
    if (args.erased) {
        cfmail::any_client client(std::move(transport), token, options);
        ok = send_all(ioc, client, args);
    } else {
        cfmail::pooled_client client(std::move(transport), token, options);
        ok = send_all(ioc, client, args);
    }
    if (args.observer == "metrics" && metrics.snapshot().operations_succeeded != ok) {
        std::fprintf(stderr, "the metrics observer missed sends\n");
        return 1;
    }
    return meter.finish(args.erased ? "cfmail-any" : "cfmail", args.n, ok);
}

} // namespace cfmail_bench
