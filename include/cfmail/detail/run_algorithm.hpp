// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_RUN_ALGORITHM_HPP
#define CFMAIL_DETAIL_RUN_ALGORITHM_HPP

// The two drivers of send_algorithm: a blocking loop and the same loop inside async_compose.
// They only carry out what the algorithm asks; no protocol decision is made here.

#include <cfmail/detail/send_algorithm.hpp>
#include <cfmail/error.hpp>
#include <cfmail/transport.hpp>

#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <exception>
#include <optional>
#include <thread>

namespace cfmail::detail {

// What one client owns for its sends; a client runs one send at a time.
template <class Transport>
struct client_state {
    template <class T>
    client_state(T&& t, cfmail::credentials creds, client_options opts)
        : transport(std::forward<T>(t))
        , config(std::move(creds), std::move(opts))
        , algorithm(config) {}

    // Created at the first wait, so a transport used only for blocking sends needs no
    // executor.
    boost::asio::steady_timer& retry_timer() {
        if (!timer)
            timer.emplace(transport.get_executor());
        return *timer;
    }

    Transport transport;
    client_config config;
    send_algorithm algorithm;
    diagnostics own_diag; // for the overloads that report through an exception
    std::optional<boost::asio::steady_timer> timer;
    bool busy = false;
};

template <class Transport>
send_raw_result run_sync(client_state<Transport>& st, const send_raw_request& req,
                         boost::system::error_code& ec, diagnostics& diag) {
    if (st.busy) {
        diag.clear();
        ec = error::operation_in_progress;
        return {};
    }
    st.busy = true;
    struct release {
        bool& busy;
        ~release() { busy = false; }
    } guard{st.busy};

    auto& algo = st.algorithm;
    next_action action = algo.start(req, diag);
    while (action.what != next_action::kind::done) {
        if (action.what == next_action::kind::round_trip) {
            boost::system::error_code io_ec;
            algo.response().clear();
            st.transport.round_trip(algo.request(), algo.response(), io_ec);
            action = algo.resume(io_ec);
        } else {
            std::this_thread::sleep_for(action.delay);
            action = algo.resume({});
        }
    }
    ec = action.ec;
    if (ec)
        return {};
    return std::move(algo.result());
}

// Completes with `void(error_code, send_raw_result)`, or, when Throwing, with
// `void(std::exception_ptr, send_raw_result)` where the exception is an api_error.
template <class Transport, bool Throwing>
class async_send_op {
public:
    async_send_op(client_state<Transport>& st, const send_raw_request& req, diagnostics& diag)
        : st_(&st)
        , req_(&req)
        , diag_(&diag) {}

    template <class Self>
    void operator()(Self& self) {
        if (phase_ == phase::completing_posted)
            return complete(self);
        phase_ = phase::running;
        if (st_->busy) {
            // The running send owns the client's state; report without touching it.
            owns_state_ = false;
            final_ec_ = error::operation_in_progress;
            return post_completion(self);
        }
        st_->busy = true;
        next_action action = st_->algorithm.start(*req_, *diag_);
        if (action.what == next_action::kind::done) {
            // Rejected before any I/O: complete through the executor, never inline.
            final_ec_ = action.ec;
            return post_completion(self);
        }
        perform(self, action);
    }

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec) {
        next_action action = st_->algorithm.resume(ec);
        // A cancellation that arrived while the last step was completing anyway must still end
        // the send rather than start another wait or attempt.
        if (action.what != next_action::kind::done &&
            self.get_cancellation_state().cancelled() != boost::asio::cancellation_type::none)
            action = st_->algorithm.abort();
        if (action.what == next_action::kind::done) {
            final_ec_ = action.ec;
            return complete(self);
        }
        perform(self, action);
    }

private:
    enum class phase { starting, running, completing_posted };

    template <class Self>
    void perform(Self& self, const next_action& action) {
        auto& algo = st_->algorithm;
        if (action.what == next_action::kind::round_trip) {
            algo.response().clear();
            st_->transport.async_round_trip(algo.request(), algo.response(), std::move(self));
        } else {
            auto& timer = st_->retry_timer();
            timer.expires_after(action.delay);
            timer.async_wait(std::move(self));
        }
    }

    template <class Self>
    void post_completion(Self& self) {
        phase_ = phase::completing_posted;
        boost::asio::post(st_->transport.get_executor(), std::move(self));
    }

    template <class Self>
    void complete(Self& self) {
        send_raw_result result;
        if (owns_state_) {
            if (!final_ec_)
                result = std::move(st_->algorithm.result());
            st_->busy = false;
        } else if (!Throwing) {
            diag_->clear();
        }
        if constexpr (Throwing) {
            std::exception_ptr failure;
            if (final_ec_)
                failure = std::make_exception_ptr(
                    api_error(final_ec_, owns_state_ ? *diag_ : diagnostics{}));
            self.complete(failure, std::move(result));
        } else {
            self.complete(final_ec_, std::move(result));
        }
    }

    client_state<Transport>* st_;
    const send_raw_request* req_;
    diagnostics* diag_;
    boost::system::error_code final_ec_;
    phase phase_ = phase::starting;
    bool owns_state_ = true;
};

} // namespace cfmail::detail

#endif
