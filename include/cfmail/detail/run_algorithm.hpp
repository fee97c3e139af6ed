// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_RUN_ALGORITHM_HPP
#define CFMAIL_DETAIL_RUN_ALGORITHM_HPP

// The two drivers of send_algorithm: a blocking loop and the same loop inside async_compose.
// They only carry out what the algorithm asks; no protocol decision is made here.

#include <cfmail/detail/saturate.hpp>
#include <cfmail/detail/send_algorithm.hpp>
#include <cfmail/error.hpp>
#include <cfmail/transport.hpp>

#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace cfmail::detail {

// What one send needs besides the request: the protocol state, its buffers and a timer.
// Kept between sends so that a client sending repeatedly does not allocate them again.
struct send_slot {
    explicit send_slot(const client_config& config)
        : algorithm(config) {}

    send_algorithm algorithm;
    diagnostics own_diag; // for the overloads that report through an exception
    std::optional<boost::asio::steady_timer> timer;
    bool busy = false;

    // Created at the first wait, so a transport used only for blocking sends needs no
    // executor.
    template <class Executor>
    boost::asio::steady_timer& retry_timer(const Executor& ex) {
        if (!timer)
            timer.emplace(ex);
        return *timer;
    }
};

// What one client owns for its sends. Over a concurrent_transport, each send in flight takes
// a slot of its own (recycled afterwards); otherwise the one slot makes sends take turns.
template <class Transport>
struct client_state {
    template <class T>
    client_state(T&& t, cfmail::credentials creds, client_options opts)
        : transport(std::forward<T>(t))
        , config(std::move(creds), std::move(opts))
        , primary(config) {
        config.stream_message = streaming_transport<Transport>;
    }

    // A free slot, or nullptr when a send is running and the transport carries one at a time.
    send_slot* acquire() {
        if (!primary.busy) {
            primary.busy = true;
            return &primary;
        }
        if constexpr (concurrent_transport<Transport>) {
            std::unique_ptr<send_slot> slot;
            if (spare.empty()) {
                slot = std::make_unique<send_slot>(config);
            } else {
                slot = std::move(spare.back());
                spare.pop_back();
            }
            slot->busy = true;
            return lent.emplace_back(std::move(slot)).get();
        } else {
            return nullptr;
        }
    }

    void release(send_slot* slot) {
        slot->busy = false;
        if (slot == &primary)
            return;
        for (auto& owned : lent) {
            if (owned.get() == slot) {
                spare.push_back(std::move(owned));
                owned = std::move(lent.back());
                lent.pop_back();
                return;
            }
        }
    }

    // The client is going away: ends every send in flight with operation_aborted. The sends
    // keep this state alive until they complete, so nothing they touch is freed under them.
    void shut_down() {
        closing = true;
        auto stop = [](send_slot& slot) {
            if (slot.busy && slot.timer)
                slot.timer->cancel();
        };
        stop(primary);
        for (auto& slot : lent)
            stop(*slot);
        if constexpr (requires(Transport & t) { t.close(); })
            transport.close();
    }

    Transport transport;
    client_config config;
    bool closing = false;
    send_slot primary;
    std::vector<std::unique_ptr<send_slot>> lent;  // in use by sends in flight
    std::vector<std::unique_ptr<send_slot>> spare; // free for the next sends
};

template <class Transport>
send_raw_result run_sync(client_state<Transport>& st, const send_raw_request& req,
                         boost::system::error_code& ec, diagnostics& diag) {
    send_slot* slot = st.acquire();
    if (!slot) {
        diag.clear();
        ec = error::operation_in_progress;
        return {};
    }
    struct release {
        client_state<Transport>& st;
        send_slot* slot;
        ~release() { st.release(slot); }
    } guard{st, slot};

    auto& algo = slot->algorithm;
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
// `void(std::exception_ptr, send_raw_result)` where the exception is an api_error. A null
// `diag` means the slot's own diagnostics (the throwing flavour).
template <class Transport, bool Throwing>
class async_send_op {
public:
    async_send_op(std::shared_ptr<client_state<Transport>> st, const send_raw_request& req,
                  diagnostics* diag)
        : st_(std::move(st))
        , req_(&req)
        , diag_(diag) {}

    template <class Self>
    void operator()(Self& self) {
        if (phase_ == phase::completing_posted)
            return complete(self);
        phase_ = phase::running;
        if (st_->closing) {
            // Started (a deferred operation, an awaitable) after its client was destroyed.
            final_ec_ = boost::asio::error::operation_aborted;
            return post_completion(self);
        }
        slot_ = st_->acquire();
        if (!slot_) {
            // The running send owns the client's state; report without touching it.
            final_ec_ = error::operation_in_progress;
            return post_completion(self);
        }
        if (!diag_)
            diag_ = &slot_->own_diag;
        next_action action = slot_->algorithm.start(*req_, *diag_);
        if (action.what == next_action::kind::done) {
            // Rejected before any I/O: complete through the executor, never inline.
            final_ec_ = action.ec;
            return post_completion(self);
        }
        perform(self, action);
    }

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec) {
        next_action action = slot_->algorithm.resume(ec);
        // A cancellation that arrived while the last step was completing anyway must still end
        // the send rather than start another wait or attempt.
        if (action.what != next_action::kind::done &&
            (st_->closing ||
             self.get_cancellation_state().cancelled() != boost::asio::cancellation_type::none))
            action = slot_->algorithm.abort();
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
        auto& algo = slot_->algorithm;
        if (action.what == next_action::kind::round_trip) {
            algo.response().clear();
            st_->transport.async_round_trip(algo.request(), algo.response(), std::move(self));
        } else {
            auto& timer = slot_->retry_timer(st_->transport.get_executor());
            // expires_after would convert a "never" delay to nanoseconds and wrap.
            timer.expires_at(saturating_add(std::chrono::steady_clock::now(), action.delay));
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
        std::exception_ptr failure;
        if (slot_) {
            if (!final_ec_)
                result = std::move(slot_->algorithm.result());
            if (Throwing && final_ec_)
                failure = std::make_exception_ptr(api_error(final_ec_, *diag_));
            st_->release(slot_);
        } else if constexpr (Throwing) {
            failure = std::make_exception_ptr(api_error(final_ec_, diagnostics{}));
        } else {
            diag_->clear();
        }
        if constexpr (Throwing)
            self.complete(failure, std::move(result));
        else
            self.complete(final_ec_, std::move(result));
    }

    std::shared_ptr<client_state<Transport>> st_; // outlives the client if need be
    const send_raw_request* req_;
    diagnostics* diag_;
    send_slot* slot_ = nullptr;
    boost::system::error_code final_ec_;
    phase phase_ = phase::starting;
};

} // namespace cfmail::detail

#endif
