// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_CLIENT_HPP
#define CFMAIL_CLIENT_HPP

/// @file client.hpp
/// basic_client: sends email through `send_raw` over any transport.

#include <cfmail/config.hpp>
#include <cfmail/credentials.hpp>
#include <cfmail/detail/awaitable_fix.hpp>
#include <cfmail/detail/run_algorithm.hpp>
#include <cfmail/diagnostics.hpp>
#include <cfmail/error.hpp>
#include <cfmail/options.hpp>
#include <cfmail/transport.hpp>
#include <cfmail/types.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <exception>
#include <memory>
#include <utility>

namespace cfmail {

/// A client of the Cloudflare Email Sending API over the transport `Transport`.
///
/// Each operation comes in the flavours of Boost.MySQL: `send_raw(req)` throws api_error;
/// `send_raw(req, ec, diag)` never throws; `async_send_raw(req, token)` completes with
/// `void(std::exception_ptr, send_raw_result)` (so `co_await` throws api_error);
/// `async_send_raw(req, diag, token)` completes with `void(error_code, send_raw_result)`.
/// The blocking ones need a sync_transport, the asynchronous ones an async_transport.
///
/// Thread safety: distinct objects, safe; shared objects, unsafe. Over a transport that carries
/// one exchange at a time, a client runs one operation at a time: starting another while one
/// runs fails with error::operation_in_progress. Over a concurrent_transport (such as
/// pooled_https_transport), it runs any number at once, each with its own buffers, reused by
/// later sends. The request (and `diag`, where given) must stay alive until the operation
/// completes. Destroying the client while asynchronous operations run is allowed (from the
/// thread or strand they run on): they complete with `operation_aborted`, and what they use
/// stays alive until then.
template <transport Transport>
class basic_client {
public:
    /// The transport type.
    using transport_type = Transport;

    /// Takes the transport, the credentials (checked at the first send) and the options.
    /// An unusable options.base_url makes every send fail with error::invalid_request.
    basic_client(Transport transport, credentials creds, client_options opts = {})
        : state_(std::make_shared<detail::client_state<Transport>>(
              std::move(transport), std::move(creds), std::move(opts))) {}

    /// Moves the client (not while an operation runs).
    basic_client(basic_client&&) noexcept = default;
    /// Moves the client (not while an operation runs).
    basic_client& operator=(basic_client&& other) noexcept {
        if (this != &other) {
            shut_down();
            state_ = std::move(other.state_);
        }
        return *this;
    }

    /// Ends the operations in flight with `operation_aborted` (closing the transport when it
    /// has a `close()`), then lets go of the client's state, which they keep alive until they
    /// complete.
    ~basic_client() { shut_down(); }

    /// The executor of the transport, on which asynchronous operations complete by default.
    auto get_executor() const requires async_transport<Transport> {
        return state_->transport.get_executor();
    }

    /// The transport, e.g. to inspect a mock or to close a connection.
    Transport& transport() noexcept { return state_->transport; }
    /// The transport, read-only.
    const Transport& transport() const noexcept { return state_->transport; }

    /// The options this client was created with.
    const client_options& options() const noexcept { return state_->config.options; }

    /// Sends a message; throws api_error (carrying diagnostics) on any failure.
    send_raw_result send_raw(const send_raw_request& req) requires sync_transport<Transport> {
        boost::system::error_code ec;
        diagnostics diag;
        auto result = send_raw(req, ec, diag);
        if (ec)
            throw api_error(ec, std::move(diag));
        return result;
    }

    /// Sends a message; never throws (but `std::bad_alloc`). On failure sets `ec`, fills
    /// `diag`, and returns an empty result.
    send_raw_result send_raw(const send_raw_request& req, boost::system::error_code& ec,
                             diagnostics& diag) requires sync_transport<Transport> {
        return detail::run_sync(*state_, req, ec, diag);
    }

    /// Sends a message asynchronously. Completion signature
    /// `void(std::exception_ptr, send_raw_result)`: the exception is an api_error, so
    /// `co_await client.async_send_raw(req)` throws it. Supports per-operation terminal
    /// cancellation (it closes the exchange in flight or ends a retry wait).
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_send_raw(const send_raw_request& req, CompletionToken&& token = {}) {
        return boost::asio::async_compose<CompletionToken,
                                          void(std::exception_ptr, send_raw_result)>(
            detail::async_send_op<Transport, true>(state_, req, nullptr), token,
            state_->transport.get_executor());
    }

    /// Sends a message asynchronously. Completion signature
    /// `void(boost::system::error_code, send_raw_result)`; `diag` is filled on completion and
    /// must stay alive until then.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_send_raw(const send_raw_request& req, diagnostics& diag,
                        CompletionToken&& token = {}) {
        return boost::asio::async_compose<CompletionToken,
                                          void(boost::system::error_code, send_raw_result)>(
            detail::async_send_op<Transport, false>(state_, req, &diag), token,
            state_->transport.get_executor());
    }

private:
    // Only sends in flight share the state; without them there is nothing to end.
    void shut_down() noexcept {
        if (!state_ || state_->closing || state_.use_count() == 1)
            return;
        try {
            state_->shut_down();
        } catch (...) {
            // Cancelling a timer or closing a socket failed: the sends end by their own timeouts.
        }
    }

    std::shared_ptr<detail::client_state<Transport>> state_;
};

} // namespace cfmail

#endif
