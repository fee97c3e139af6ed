// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_TESTING_IMPL_MOCK_TRANSPORT_IPP
#define CFMAIL_TESTING_IMPL_MOCK_TRANSPORT_IPP

#include <cfmail/testing/mock_transport.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <thread>

namespace cfmail::testing {

struct mock_transport::state {
    executor_type executor;
    std::deque<scripted_exchange> script;
    std::vector<http_request> requests;
    std::optional<exchange_handler> stalled_handler;
    std::optional<boost::asio::steady_timer> deadline_timer; // ends a stall at its deadline
};

namespace detail_mock {

// Marks a stalled exchange internally; never reaches a caller.
inline const boost::system::error_code stalled{boost::asio::error::would_block};

} // namespace detail_mock

CFMAIL_DECL mock_transport::mock_transport()
    : state_(std::make_shared<state>()) {}

CFMAIL_DECL mock_transport::mock_transport(executor_type ex)
    : state_(std::make_shared<state>()) {
    state_->executor = std::move(ex);
}

CFMAIL_DECL mock_transport::executor_type mock_transport::get_executor() const noexcept {
    return state_->executor;
}

CFMAIL_DECL mock_transport& mock_transport::push(scripted_exchange exchange) {
    state_->script.push_back(std::move(exchange));
    return *this;
}

CFMAIL_DECL const std::vector<http_request>& mock_transport::requests() const noexcept {
    return state_->requests;
}

CFMAIL_DECL std::size_t mock_transport::pending() const noexcept {
    return state_->script.size();
}

// Ends a stalled exchange, if one waits, with `ec`.
CFMAIL_DECL void mock_transport::abort_stalled(state& st, boost::system::error_code ec) {
    if (!st.stalled_handler)
        return;
    if (st.deadline_timer)
        st.deadline_timer->cancel();
    auto handler = std::move(*st.stalled_handler);
    st.stalled_handler.reset();
    boost::asio::post(st.executor, boost::asio::append(std::move(handler), ec));
}

CFMAIL_DECL void mock_transport::close() {
    abort_stalled(*state_, boost::asio::error::operation_aborted);
}

CFMAIL_DECL boost::system::error_code mock_transport::play(state& st, const http_request& req,
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
        return detail_mock::stalled;
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

CFMAIL_DECL void mock_transport::round_trip(const http_request& req, http_response& resp,
                                            boost::system::error_code& ec) {
    ec = play(*state_, req, resp);
    if (ec == detail_mock::stalled) {
        if (req.deadline != std::chrono::steady_clock::time_point::max())
            std::this_thread::sleep_until(req.deadline);
        resp.request_written = true;
        ec = boost::asio::error::timed_out;
    }
}

CFMAIL_DECL void mock_transport::start_async(const std::shared_ptr<state>& st,
                                             const http_request& req, http_response& resp,
                                             exchange_handler handler) {
    auto ec = play(*st, req, resp);
    if (ec != detail_mock::stalled) {
        boost::asio::post(st->executor, boost::asio::append(std::move(handler), ec));
        return;
    }
    resp.request_written = true;
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    st->stalled_handler.emplace(std::move(handler));
    if (req.deadline != std::chrono::steady_clock::time_point::max()) {
        if (!st->deadline_timer)
            st->deadline_timer.emplace(st->executor);
        st->deadline_timer->expires_at(req.deadline);
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
                abort_stalled(*s, boost::asio::error::operation_aborted);
        });
    }
}

} // namespace cfmail::testing

#endif
