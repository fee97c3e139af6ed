// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_TESTING_MOCK_TRANSPORT_HPP
#define CFMAIL_TESTING_MOCK_TRANSPORT_HPP

/// @file mock_transport.hpp
/// A scripted transport for testing code that sends email, without a network or a test
/// framework.

#include <cfmail/envelope.hpp>
#include <cfmail/http_message.hpp>
#include <cfmail/types.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
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
    mock_transport()
        : state_(std::make_shared<state>()) {}

    /// A mock whose asynchronous exchanges complete on `ex`.
    explicit mock_transport(executor_type ex)
        : state_(std::make_shared<state>()) {
        state_->executor = std::move(ex);
    }

    /// The executor given at construction.
    executor_type get_executor() const noexcept { return state_->executor; }

    /// Appends a scripted exchange.
    mock_transport& push(scripted_exchange exchange) {
        state_->script.push_back(std::move(exchange));
        return *this;
    }

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
    void close() { abort_stalled(*state_); }

    /// Every request received so far, in order.
    const std::vector<http_request>& requests() const noexcept { return state_->requests; }

    /// Scripted exchanges not played yet.
    std::size_t pending() const noexcept { return state_->script.size(); }

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
    void round_trip(const http_request& req, http_response& resp, boost::system::error_code& ec) {
        ec = play(req, resp);
        if (ec == stalled) {
            if (req.deadline != std::chrono::steady_clock::time_point::max())
                std::this_thread::sleep_until(req.deadline);
            resp.request_written = true;
            ec = boost::asio::error::timed_out;
        }
    }

    /// Plays the next scripted exchange and completes through `asio::post` (async_transport).
    template <class CompletionToken>
    auto async_round_trip(const http_request& req, http_response& resp, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [](auto handler, std::shared_ptr<state> st, const http_request* request,
               http_response* response) {
                auto ec = play_on(*st, *request, *response);
                if (ec != stalled) {
                    auto ex = st->executor;
                    boost::asio::post(ex, boost::asio::append(std::move(handler), ec));
                    return;
                }
                response->request_written = true;
                auto slot = boost::asio::get_associated_cancellation_slot(handler);
                st->stalled_handler.emplace(std::move(handler));
                if (request->deadline != std::chrono::steady_clock::time_point::max()) {
                    if (!st->deadline_timer)
                        st->deadline_timer.emplace(st->executor);
                    st->deadline_timer->expires_at(request->deadline);
                    std::weak_ptr<state> weak = st;
                    st->deadline_timer->async_wait([weak](boost::system::error_code wait_ec) {
                        if (auto s = weak.lock(); s && !wait_ec)
                            abort_stalled(*s, boost::asio::error::timed_out);
                    });
                }
                if (slot.is_connected()) {
                    std::weak_ptr<state> weak = st;
                    slot.assign([weak](boost::asio::cancellation_type) {
                        if (auto s = weak.lock())
                            abort_stalled(*s);
                    });
                }
            },
            token, state_, &req, &resp);
    }

private:
    struct state {
        executor_type executor;
        std::deque<scripted_exchange> script;
        std::vector<http_request> requests;
        std::optional<boost::asio::any_completion_handler<void(boost::system::error_code)>>
            stalled_handler;
        std::optional<boost::asio::steady_timer> deadline_timer; // ends a stall at its deadline
    };

    static void
    abort_stalled(state& st, boost::system::error_code ec = boost::asio::error::operation_aborted) {
        if (!st.stalled_handler)
            return;
        if (st.deadline_timer)
            st.deadline_timer->cancel();
        auto handler = std::move(*st.stalled_handler);
        st.stalled_handler.reset();
        boost::asio::post(st.executor, boost::asio::append(std::move(handler), ec));
    }

    // Marks a stalled exchange internally; never reaches a caller.
    static inline const boost::system::error_code stalled{boost::asio::error::would_block};

    boost::system::error_code play(const http_request& req, http_response& resp) {
        return play_on(*state_, req, resp);
    }

    static boost::system::error_code play_on(state& st, const http_request& req,
                                             http_response& resp) {
        // Recorded with the whole body in `body`: the streamed part refers to the caller's
        // message, which may be gone when the test looks.
        http_request& recorded = st.requests.emplace_back(req);
        if (!recorded.body.contiguous())
            recorded.body = req.body.to_string();
        resp.clear();
        if (st.script.empty())
            return boost::asio::error::no_data;
        scripted_exchange exchange = std::move(st.script.front());
        st.script.pop_front();
        if (exchange.stall)
            return stalled;
        if (exchange.error) {
            resp.request_written = exchange.request_written;
            resp.proxy_status = exchange.proxy_status;
            return exchange.error;
        }
        resp.request_written = true;
        resp.status = exchange.status;
        resp.headers = std::move(exchange.headers);
        resp.body = std::move(exchange.body);
        // The mock counts bodies only: it has no wire format.
        resp.bytes_written = req.body_size();
        resp.bytes_read = resp.body.size();
        return {};
    }

    std::shared_ptr<state> state_;
};

} // namespace cfmail::testing

#endif
