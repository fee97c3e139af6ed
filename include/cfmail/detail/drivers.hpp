// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_DRIVERS_HPP
#define CFMAIL_DETAIL_DRIVERS_HPP

// The drivers of the exchange machine: a blocking loop and an asynchronous loop. Both are
// non-template: they see the transport through a few function pointers and the operation
// through its type-erased descriptor, so with CFMAIL_SEPARATE_COMPILATION they are compiled
// once. What stays a template (one small composed operation per operation and token) only
// takes a slot, starts the loop and hands the typed result to the caller. No protocol decision
// is made here.

#include <cfmail/config.hpp>
#include <cfmail/detail/exchange.hpp>
#include <cfmail/error.hpp>
#include <cfmail/transport.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace cfmail::detail {

// Storage for the result of whichever operation a slot runs, kept between operations of the
// same type so that repeated sends do not allocate it again.
class result_box {
public:
    result_box() = default;
    result_box(const result_box&) = delete;
    result_box& operator=(const result_box&) = delete;
    ~result_box() { reset(); }

    template <class Result>
    Result& get() {
        if (tag_ != &tag_of<Result>) {
            reset();
            value_ = new Result{};
            tag_ = &tag_of<Result>;
            destroy_ = [](void* p) { delete static_cast<Result*>(p); };
        }
        return *static_cast<Result*>(value_);
    }

private:
    template <class Result>
    static constexpr char tag_of = 0;

    void reset() noexcept {
        if (value_)
            destroy_(value_);
        value_ = nullptr;
        tag_ = nullptr;
    }

    void* value_ = nullptr;
    const char* tag_ = nullptr;
    void (*destroy_)(void*) = nullptr;
};

// The wait between two attempts of an asynchronous operation (an Asio steady timer), defined
// beside the loop that uses it: with CFMAIL_SEPARATE_COMPILATION a file that sends never parses
// Asio's timers.
class retry_timer;

// What one operation needs besides its request: the machine, its buffers, a timer, the result.
struct operation_slot {
    CFMAIL_DECL explicit operation_slot(const client_config& config);
    operation_slot(const operation_slot&) = delete;
    operation_slot& operator=(const operation_slot&) = delete;
    CFMAIL_DECL ~operation_slot();

    exchange_machine machine;
    diagnostics own_diag;               // for the overloads that report through an exception
    std::unique_ptr<retry_timer> timer; // made by the first asynchronous wait
    result_box result;
    bool busy = false;
};

using round_trip_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

// A transport's blocking exchange, called through a pointer.
using blocking_round_trip = void (*)(void* transport, const http_request&, http_response&,
                                     boost::system::error_code&);

// A transport's asynchronous side, called through pointers.
struct async_transport_functions {
    void (*round_trip)(void* transport, const http_request&, http_response&,
                       round_trip_handler) = nullptr;
    boost::asio::any_io_executor (*executor)(void* transport) = nullptr;
};

// A transport seen through function pointers (null where it lacks the capability).
struct transport_functions {
    blocking_round_trip round_trip = nullptr;
    const async_transport_functions* async = nullptr;
    void (*close)(void* transport) = nullptr;
};

// The pointers to a transport's exchanges are taken by the members that use them, not when a
// client is built: a program that only blocks never compiles its transport's asynchronous
// exchange (nor Asio's type-erased handler around it), and one that only awaits never compiles
// the blocking one.
template <sync_transport Transport>
void blocking_round_trip_of(void* t, const http_request& req, http_response& resp,
                            boost::system::error_code& ec) {
    static_cast<Transport*>(t)->round_trip(req, resp, ec);
}

template <async_transport Transport>
inline constexpr async_transport_functions async_functions_of = {
    [](void* t, const http_request& req, http_response& resp, round_trip_handler handler) {
        static_cast<Transport*>(t)->async_round_trip(req, resp, std::move(handler));
    },
    [](void* t) -> boost::asio::any_io_executor {
        return static_cast<Transport*>(t)->get_executor();
    },
};

template <class Transport>
void (*close_of())(void*) {
    if constexpr (requires(Transport & t) { t.close(); })
        return [](void* t) { static_cast<Transport*>(t)->close(); };
    else
        return nullptr;
}

// Every capability at once, for a type-erased transport (built once per transport type).
template <class Transport>
transport_functions functions_of() {
    transport_functions f;
    if constexpr (sync_transport<Transport>)
        f.round_trip = &blocking_round_trip_of<Transport>;
    if constexpr (async_transport<Transport>)
        f.async = &async_functions_of<Transport>;
    f.close = close_of<Transport>();
    return f;
}

// A transport that is itself type-erased (any_transport) shows the transport underneath: the
// client then calls that one directly, with its capabilities, and the erasure costs nothing
// per exchange.
struct erased_transport_view {
    void* object = nullptr;
    transport_functions functions;
    bool concurrent = false;
    bool streams_body = false;
};

template <class T>
concept erased_transport = requires(const T& t) {
    { t.erased_view() } -> std::same_as<erased_transport_view>;
};

// What one client owns for its operations, whatever its transport. Over a concurrent
// transport each operation in flight takes a slot of its own (recycled afterwards); otherwise
// the one slot makes operations take turns.
class client_core {
public:
    CFMAIL_DECL client_core(cfmail::credentials creds, client_options opts, bool concurrent,
                            bool stream_body);
    client_core(const client_core&) = delete;
    client_core& operator=(const client_core&) = delete;

    // A free slot, or nullptr when an operation runs and the transport carries one at a time.
    CFMAIL_DECL operation_slot* acquire();
    CFMAIL_DECL void release(operation_slot* slot) noexcept;

    // The client is going away: ends every operation in flight with operation_aborted. They
    // keep this state alive until they complete, so nothing they touch is freed under them.
    CFMAIL_DECL void shut_down();

    client_config config;
    std::atomic<bool> closing{false};
    void* transport_object = nullptr;
    void (*close_transport)(void* transport) = nullptr;

private:
    bool concurrent_;
    std::mutex slots_mutex_; // a concurrent transport may start operations on many threads
    operation_slot primary_;
    std::vector<std::unique_ptr<operation_slot>> lent_;  // in use by operations in flight
    std::vector<std::unique_ptr<operation_slot>> spare_; // free for the next ones
};

// The core and the transport it drives, kept in one allocation that operations share.
template <class Transport>
struct client_state : client_core {
    template <class T>
    client_state(T&& t, cfmail::credentials creds, client_options opts)
        : client_core(std::move(creds), std::move(opts), concurrent(t), streams_body(t))
        , transport(std::forward<T>(t)) {
        if constexpr (erased_transport<Transport>) {
            erased_ = transport.erased_view();
            transport_object = erased_.object;
            close_transport = erased_.functions.close;
        } else {
            transport_object = &transport;
            close_transport = close_of<Transport>();
        }
    }

    // The blocking exchange; null for an erased transport that has none.
    blocking_round_trip blocking_exchange() const requires sync_transport<Transport> {
        if constexpr (erased_transport<Transport>)
            return erased_.functions.round_trip;
        else
            return &blocking_round_trip_of<Transport>;
    }

    // The asynchronous exchange and executor.
    const async_transport_functions* async_exchange() const requires async_transport<Transport> {
        if constexpr (erased_transport<Transport>)
            return erased_.functions.async;
        else
            return &async_functions_of<Transport>;
    }

    static bool concurrent(const Transport& t) {
        if constexpr (erased_transport<Transport>)
            return t.erased_view().concurrent;
        else
            return concurrent_transport<Transport>;
    }
    static bool streams_body(const Transport& t) {
        if constexpr (erased_transport<Transport>)
            return t.erased_view().streams_body;
        else
            return streaming_transport<Transport>;
    }

    Transport transport;

private:
    // For an erased transport, the object and functions seen when the client was built: the
    // exchanges always go to the object `transport_object` names.
    erased_transport_view erased_;
};

// Runs `call` to the end on the blocking transport; returns its error.
CFMAIL_DECL boost::system::error_code run_blocking(client_core& core, blocking_round_trip exchange,
                                                   operation_slot& slot, const operation_call& call,
                                                   diagnostics& diag);

// Runs `call` to the end on the asynchronous transport; completes `handler` with its error,
// never inline. `core` stays alive through `keep_alive` until then.
CFMAIL_DECL void run_async(std::shared_ptr<client_core> keep_alive,
                           const async_transport_functions& exchange, operation_slot& slot,
                           const operation_call& call, diagnostics& diag,
                           round_trip_handler handler);

// The blocking flavour of any operation.
template <operation_descriptor Op>
typename Op::result_type run_sync(client_core& core, blocking_round_trip exchange,
                                  const typename Op::request_type& req,
                                  std::optional<std::chrono::milliseconds> deadline,
                                  boost::system::error_code& ec, diagnostics& diag) {
    if (!exchange) { // an erased transport that is asynchronous only
        diag.clear();
        diag.detail = "the transport has no blocking exchange; use the asynchronous members";
        ec = boost::asio::error::operation_not_supported;
        return {};
    }
    operation_slot* slot = core.acquire();
    if (!slot) {
        diag.clear();
        ec = error::operation_in_progress;
        return {};
    }
    struct release {
        client_core& core;
        operation_slot* slot;
        ~release() { core.release(slot); }
    } guard{core, slot};

    auto& result = slot->result.get<typename Op::result_type>();
    ec = run_blocking(core, exchange, *slot, {&vtable_for<Op>, &req, &result, deadline}, diag);
    if (ec)
        return {};
    return std::move(result);
}

// The asynchronous flavours of any operation: completes with `void(error_code, result)`, or,
// when Throwing, with `void(std::exception_ptr, result)` where the exception is an
// error_with_diagnostics. A null `diag` means the slot's own diagnostics (the throwing
// flavour).
template <operation_descriptor Op, bool Throwing>
class async_operation {
public:
    using result_type = typename Op::result_type;

    async_operation(std::shared_ptr<client_core> core, const async_transport_functions& exchange,
                    const typename Op::request_type& req,
                    std::optional<std::chrono::milliseconds> deadline, diagnostics* diag)
        : core_(std::move(core))
        , exchange_(&exchange)
        , req_(&req)
        , deadline_(deadline)
        , diag_(diag) {}

    template <class Self>
    void operator()(Self& self) {
        if (phase_ == phase::completing_posted)
            return complete(self);
        phase_ = phase::running;
        if (core_->closing) {
            // Started (a deferred operation, an awaitable) after its client was destroyed.
            final_ec_ = boost::asio::error::operation_aborted;
            return post_completion(self);
        }
        slot_ = core_->acquire();
        if (!slot_) {
            // The running operation owns the client's state; report without touching it.
            final_ec_ = error::operation_in_progress;
            return post_completion(self);
        }
        if (!diag_)
            diag_ = &slot_->own_diag;
        // Read everything before `self`, which holds this object, moves into the handler.
        const operation_call call{&vtable_for<Op>, req_, &slot_->result.get<result_type>(),
                                  deadline_};
        auto core = core_;
        operation_slot& slot = *slot_;
        diagnostics& diag = *diag_;
        const async_transport_functions& exchange = *exchange_;
        run_async(std::move(core), exchange, slot, call, diag, std::move(self));
    }

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec) {
        final_ec_ = ec;
        complete(self);
    }

private:
    enum class phase { starting, running, completing_posted };

    template <class Self>
    void post_completion(Self& self) {
        phase_ = phase::completing_posted;
        boost::asio::post(exchange_->executor(core_->transport_object), std::move(self));
    }

    template <class Self>
    void complete(Self& self) {
        result_type result{};
        std::exception_ptr failure;
        if (slot_) {
            if (!final_ec_)
                result = std::move(slot_->result.get<result_type>());
            if (Throwing && final_ec_)
                failure = std::make_exception_ptr(error_with_diagnostics(final_ec_, *diag_));
            core_->release(slot_);
        } else if constexpr (Throwing) {
            failure = std::make_exception_ptr(error_with_diagnostics(final_ec_, diagnostics{}));
        } else {
            diag_->clear();
        }
        if constexpr (Throwing)
            self.complete(failure, std::move(result));
        else
            self.complete(final_ec_, std::move(result));
    }

    std::shared_ptr<client_core> core_; // outlives the client if need be
    const async_transport_functions* exchange_;
    const typename Op::request_type* req_;
    std::optional<std::chrono::milliseconds> deadline_;
    diagnostics* diag_;
    operation_slot* slot_ = nullptr;
    boost::system::error_code final_ec_;
    phase phase_ = phase::starting;
};

} // namespace cfmail::detail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/drivers.ipp>
#endif

#endif
