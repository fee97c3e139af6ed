// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_DRIVERS_IPP
#define CFMAIL_IMPL_DRIVERS_IPP

#include <cfmail/detail/drivers.hpp>
#include <cfmail/detail/saturate.hpp>

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/steady_timer.hpp>

#include <thread>

namespace cfmail::detail {

class retry_timer : public boost::asio::steady_timer {
public:
    using boost::asio::steady_timer::steady_timer;
};

CFMAIL_DECL operation_slot::operation_slot(const client_config& config)
    : machine(config) {}

CFMAIL_DECL operation_slot::~operation_slot() = default;

CFMAIL_DECL client_core::client_core(cfmail::credentials creds, client_options opts,
                                     bool concurrent, bool stream_body)
    : config(std::move(creds), std::move(opts))
    , concurrent_(concurrent)
    , primary_(config) {
    config.stream_body = stream_body;
}

CFMAIL_DECL operation_slot* client_core::acquire() {
    std::lock_guard lock(slots_mutex_);
    if (!primary_.busy) {
        primary_.busy = true;
        return &primary_;
    }
    if (!concurrent_)
        return nullptr;
    std::unique_ptr<operation_slot> slot;
    if (spare_.empty()) {
        slot = std::make_unique<operation_slot>(config);
    } else {
        slot = std::move(spare_.back());
        spare_.pop_back();
    }
    slot->busy = true;
    return lent_.emplace_back(std::move(slot)).get();
}

CFMAIL_DECL void client_core::release(operation_slot* slot) noexcept {
    std::lock_guard lock(slots_mutex_);
    slot->busy = false;
    if (slot == &primary_)
        return;
    for (auto& owned : lent_) {
        if (owned.get() == slot) {
            spare_.push_back(std::move(owned));
            owned = std::move(lent_.back());
            lent_.pop_back();
            return;
        }
    }
}

CFMAIL_DECL void client_core::shut_down() {
    closing = true;
    auto stop = [](operation_slot& slot) {
        if (slot.busy && slot.timer)
            slot.timer->cancel();
    };
    {
        std::lock_guard lock(slots_mutex_);
        stop(primary_);
        for (auto& slot : lent_)
            stop(*slot);
    }
    if (close_transport)
        close_transport(transport_object);
}

CFMAIL_DECL boost::system::error_code run_blocking(client_core& core, blocking_round_trip exchange,
                                                   operation_slot& slot, const operation_call& call,
                                                   diagnostics& diag) {
    auto& machine = slot.machine;
    next_action action = machine.start(call, diag);
    while (action.what != next_action::kind::done) {
        if (action.what == next_action::kind::round_trip) {
            boost::system::error_code io_ec;
            machine.response().clear();
            exchange(core.transport_object, machine.request(), machine.response(), io_ec);
            action = machine.resume(io_ec);
        } else {
            std::this_thread::sleep_for(action.delay);
            action = machine.resume({});
        }
    }
    return action.ec;
}

// The asynchronous loop: the same steps as run_blocking, inside async_compose.
class async_run_op {
public:
    async_run_op(std::shared_ptr<client_core> core, const async_transport_functions& exchange,
                 operation_slot& slot, const operation_call& call, diagnostics& diag)
        : core_(std::move(core))
        , exchange_(&exchange)
        , slot_(&slot)
        , call_(call)
        , diag_(&diag) {}

    template <class Self>
    void operator()(Self& self) {
        if (started_)
            return self.complete(final_ec_); // the posted completion of an early end
        started_ = true;
        next_action action = slot_->machine.start(call_, *diag_);
        if (action.what == next_action::kind::done) {
            // Rejected before any I/O: complete through the executor, never inline.
            final_ec_ = action.ec;
            return boost::asio::post(executor(), std::move(self));
        }
        perform(self, action);
    }

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec) {
        auto& machine = slot_->machine;
        next_action action = machine.resume(ec);
        // A cancellation that arrived while the last step was completing anyway must still end
        // the operation rather than start another wait or attempt.
        if (action.what != next_action::kind::done &&
            (core_->closing ||
             self.get_cancellation_state().cancelled() != boost::asio::cancellation_type::none))
            action = machine.abort();
        if (action.what == next_action::kind::done)
            return self.complete(action.ec);
        perform(self, action);
    }

private:
    boost::asio::any_io_executor executor() const {
        return exchange_->executor(core_->transport_object);
    }

    template <class Self>
    void perform(Self& self, const next_action& action) {
        auto& machine = slot_->machine;
        if (action.what == next_action::kind::round_trip) {
            machine.response().clear();
            // Read before `self`, which holds this object, moves into the handler.
            auto* const round_trip = exchange_->round_trip;
            void* const transport = core_->transport_object;
            round_trip(transport, machine.request(), machine.response(), std::move(self));
        } else {
            if (!slot_->timer)
                slot_->timer = std::make_unique<retry_timer>(executor());
            // expires_after would convert a "never" delay to nanoseconds and wrap.
            slot_->timer->expires_at(
                saturating_add(std::chrono::steady_clock::now(), action.delay));
            slot_->timer->async_wait(std::move(self));
        }
    }

    std::shared_ptr<client_core> core_;
    const async_transport_functions* exchange_;
    operation_slot* slot_;
    operation_call call_;
    diagnostics* diag_;
    boost::system::error_code final_ec_;
    bool started_ = false;
};

CFMAIL_DECL void run_async(std::shared_ptr<client_core> keep_alive,
                           const async_transport_functions& exchange, operation_slot& slot,
                           const operation_call& call, diagnostics& diag,
                           round_trip_handler handler) {
    auto ex = exchange.executor(keep_alive->transport_object);
    boost::asio::async_compose<round_trip_handler, void(boost::system::error_code)>(
        async_run_op(std::move(keep_alive), exchange, slot, call, diag), handler, ex);
}

} // namespace cfmail::detail

#endif
