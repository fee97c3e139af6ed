// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_TESTING_MOCK_TRANSPORT_HPP
#define CFMAIL_TESTING_MOCK_TRANSPORT_HPP

/// @file mock_transport.hpp
/// A scripted transport for testing code that sends email, without a network or a test
/// framework.

#include <cfmail/config.hpp>
#include <cfmail/envelope.hpp>
#include <cfmail/http_message.hpp>
#include <cfmail/types.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cfmail::testing {

/// One scripted exchange: an answer, or a transport failure.
struct scripted_exchange {
    /// HTTP status of the answer (ignored when `error` is set).
    unsigned status = 200;
    /// Header fields of the answer, e.g. `{"Retry-After", "2"}`, `{"cf-ray", "..."}`.
    std::vector<http_header> headers;
    /// Body of the answer.
    std::string body;
    /// When set, the exchange fails with this error instead of answering.
    boost::system::error_code error;
    /// With `error`: whether the request had been written when the failure happened.
    bool request_written = false;
    /// With `error` (cfmail::error::proxy_refused): the status of the proxy's refusal.
    unsigned proxy_status = 0;
    /// Never answers: an asynchronous exchange waits until cancelled (then fails with
    /// `operation_aborted`); a blocking one fails with `timed_out` after writing. With a
    /// deadline (http_request::deadline), both fail with `timed_out` when it passes, as a
    /// network transport would.
    bool stall = false;
};

/// A transport that plays back scripted exchanges in order and records every request.
///
/// Copies share one script and one record, so a test keeps a copy, gives another to the
/// client, and inspects requests() afterwards. Satisfies sync_transport and async_transport;
/// asynchronous exchanges complete through `asio::post`, never inline, and a stalled one
/// honours terminal cancellation. When the script is exhausted an exchange fails with
/// `boost::asio::error::no_data` before the request is written.
///
/// Thread safety: distinct objects, safe; shared objects (and copies), unsafe.
class mock_transport {
public:
    /// The executor asynchronous exchanges complete on.
    using executor_type = boost::asio::any_io_executor;

    /// A mock for blocking use only (async_round_trip needs an executor).
    CFMAIL_DECL mock_transport();

    /// A mock whose asynchronous exchanges complete on `ex`.
    CFMAIL_DECL explicit mock_transport(executor_type ex);

    /// The executor given at construction.
    CFMAIL_DECL executor_type get_executor() const noexcept;

    /// Appends a scripted exchange.
    CFMAIL_DECL mock_transport& push(scripted_exchange exchange);

    /// Appends an answer with `status`, `body` and `headers`.
    mock_transport& respond(unsigned status, std::string body,
                            std::vector<http_header> headers = {}) {
        scripted_exchange exchange;
        exchange.status = status;
        exchange.headers = std::move(headers);
        exchange.body = std::move(body);
        return push(std::move(exchange));
    }

    /// Appends a `200` answer whose envelope carries `result`, of any operation's result type
    /// (converted with `boost::json::value_from`), and `info` as `result_info` when given.
    template <class Result = send_raw_result>
    mock_transport& respond_success(const Result& result,
                                    std::optional<cfmail::result_info> info = std::nullopt) {
        return respond(200, success_body(result, info));
    }

    /// Appends an answer with `status` and an error envelope holding `code` and `message`.
    mock_transport& respond_error(unsigned status, std::int64_t code, std::string message,
                                  std::vector<http_header> headers = {}) {
        return respond(status, error_body(code, message), std::move(headers));
    }

    /// Appends a failure before the request was written (e.g. connection refused).
    mock_transport& fail_before_write(boost::system::error_code ec) {
        scripted_exchange exchange;
        exchange.error = ec;
        return push(std::move(exchange));
    }

    /// Appends a failure after the request was written (e.g. a reset, a timeout).
    mock_transport& fail_after_write(boost::system::error_code ec) {
        scripted_exchange exchange;
        exchange.error = ec;
        exchange.request_written = true;
        return push(std::move(exchange));
    }

    /// Appends an exchange that never answers.
    mock_transport& stall() {
        scripted_exchange exchange;
        exchange.stall = true;
        return push(std::move(exchange));
    }

    /// Ends a stalled exchange, if one waits, with `operation_aborted`, as closing a network
    /// transport would. A client closes its transport when it is destroyed mid-send.
    CFMAIL_DECL void close();

    /// Every request received so far, in order.
    CFMAIL_DECL const std::vector<http_request>& requests() const noexcept;

    /// Scripted exchanges not played yet.
    CFMAIL_DECL std::size_t pending() const noexcept;

    /// A success envelope around `result` (any type `boost::json::value_from` accepts, every
    /// result type of cfmail included) and `info`, as the API sends it.
    template <class Result = send_raw_result>
    static std::string success_body(const Result& result,
                                    const std::optional<cfmail::result_info>& info = std::nullopt) {
        boost::json::object env;
        env["success"] = true;
        env["errors"] = boost::json::array();
        env["messages"] = boost::json::array();
        env["result"] = boost::json::value_from(result);
        if (info)
            env["result_info"] = boost::json::value_from(*info);
        return boost::json::serialize(env);
    }

    /// An error envelope with one entry.
    static std::string error_body(std::int64_t code, std::string_view message) {
        boost::json::object entry;
        entry["code"] = code;
        entry["message"] = message;
        boost::json::object env;
        env["success"] = false;
        env["errors"] = boost::json::array{std::move(entry)};
        env["messages"] = boost::json::array();
        env["result"] = nullptr;
        return boost::json::serialize(env);
    }

    /// Plays the next scripted exchange (sync_transport).
    CFMAIL_DECL void round_trip(const http_request& req, http_response& resp,
                                boost::system::error_code& ec);

    /// Plays the next scripted exchange and completes through `asio::post` (async_transport).
    template <class CompletionToken>
    auto async_round_trip(const http_request& req, http_response& resp, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [](auto handler, const std::shared_ptr<state>& st, const http_request* request,
               http_response* response) {
                start_async(st, *request, *response, exchange_handler(std::move(handler)));
            },
            token, state_, &req, &resp);
    }

private:
    struct state; // the script, the record, and a stalled exchange's handler and timer
    using exchange_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

    // Plays the next exchange and posts its completion, or holds it while it stalls. Compiled
    // with the rest of cfmail: a test file never parses Asio's timers for the mock.
    CFMAIL_DECL static void start_async(const std::shared_ptr<state>& st, const http_request& req,
                                        http_response& resp, exchange_handler handler);
    CFMAIL_DECL static boost::system::error_code play(state& st, const http_request& req,
                                                      http_response& resp);
    CFMAIL_DECL static void abort_stalled(state& st, boost::system::error_code ec);

    std::shared_ptr<state> state_;
};

} // namespace cfmail::testing

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/testing/impl/mock_transport.ipp>
#endif

#endif
