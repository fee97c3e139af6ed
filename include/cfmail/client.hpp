// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_CLIENT_HPP
#define CFMAIL_CLIENT_HPP

/// @file client.hpp
/// basic_client: every operation of the Email Sending API over any transport.

#include <cfmail/config.hpp>
#include <cfmail/credentials.hpp>
#include <cfmail/detail/awaitable_fix.hpp>
#include <cfmail/detail/drivers.hpp>
#include <cfmail/diagnostics.hpp>
#include <cfmail/error.hpp>
#include <cfmail/operation.hpp>
#include <cfmail/operations.hpp>
#include <cfmail/options.hpp>
#include <cfmail/transport.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <exception>
#include <memory>
#include <utility>

namespace cfmail {

/// A client of the Cloudflare Email Sending API over the transport `Transport`.
///
/// Each operation comes in the flavours of Boost.MySQL: `send_raw(req)` throws
/// error_with_diagnostics; `send_raw(req, ec, diag)` never throws; `async_send_raw(req, token)`
/// completes with `void(std::exception_ptr, send_raw_result)` (so `co_await` throws
/// error_with_diagnostics); `async_send_raw(req, diag, token)` completes with
/// `void(error_code, send_raw_result)`. The same four exist for every operation, by name
/// (send, list_suppressions, ...) and generically (execute, async_execute).
/// The blocking ones need a sync_transport, the asynchronous ones an async_transport.
///
/// Thread safety: distinct objects, safe; shared objects, unsafe, except over a
/// pooled_https_transport with `pool_options::thread_safe`, where operations may be started
/// from any thread (and the client destroyed when none runs). Over a transport that carries
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
    // A template, so that an explicit instantiation of a blocking client leaves it out on
    // compilers that instantiate constrained members anyway (clang before 15).
    template <class Self = Transport>
    requires async_transport<Self>
    auto get_executor() const { return state_->transport.get_executor(); }

    /// The transport, e.g. to inspect a mock or to close a connection.
    Transport& transport() noexcept { return state_->transport; }
    /// The transport, read-only.
    const Transport& transport() const noexcept { return state_->transport; }

    /// The options this client was created with.
    const client_options& options() const noexcept { return state_->config.options; }

    /// Runs any operation, chosen by the request's type (`Request::operation`); throws
    /// error_with_diagnostics on any failure. The named members below forward here. Every
    /// generic member also takes a request with a deadline of its own:
    /// `execute(cfmail::with_deadline(req, 5s))`.
    template <class Request, class Op = operation_of<Request>>
    typename Op::result_type execute(const Request& req) requires sync_transport<Transport> {
        boost::system::error_code ec;
        diagnostics diag;
        auto result = execute(req, ec, diag);
        if (ec)
            throw error_with_diagnostics(ec, std::move(diag));
        return result;
    }

    /// Runs any operation; never throws (but `std::bad_alloc`). On failure sets `ec`, fills
    /// `diag`, and returns an empty result.
    template <class Request, class Op = operation_of<Request>>
    typename Op::result_type execute(const Request& req, boost::system::error_code& ec,
                                     diagnostics& diag) requires sync_transport<Transport> {
        return detail::run_sync<Op>(*state_, state_->blocking_exchange(), detail::request_of(req),
                                    detail::deadline_of(req), ec, diag);
    }

    /// Runs any operation asynchronously. Completion signature
    /// `void(std::exception_ptr, result_type)`: the exception is an error_with_diagnostics, so
    /// `co_await` throws it. Supports per-operation terminal cancellation (it closes the
    /// exchange in flight or ends a retry wait).
    template <class Request, class CompletionToken = boost::asio::deferred_t,
              class Op = operation_of<Request>>
    requires async_transport<Transport>
    auto async_execute(const Request& req, CompletionToken&& token = {}) {
        return boost::asio::async_compose<CompletionToken,
                                          void(std::exception_ptr, typename Op::result_type)>(
            detail::async_operation<Op, true>(state_, *state_->async_exchange(),
                                              detail::request_of(req), detail::deadline_of(req),
                                              nullptr),
            token, state_->transport.get_executor());
    }

    /// Runs any operation asynchronously. Completion signature
    /// `void(boost::system::error_code, result_type)`; `diag` is filled on completion and must
    /// stay alive until then.
    template <class Request, class CompletionToken = boost::asio::deferred_t,
              class Op = operation_of<Request>>
    requires async_transport<Transport>
    auto async_execute(const Request& req, diagnostics& diag, CompletionToken&& token = {}) {
        return boost::asio::async_compose<CompletionToken, void(boost::system::error_code,
                                                                typename Op::result_type)>(
            detail::async_operation<Op, false>(state_, *state_->async_exchange(),
                                               detail::request_of(req), detail::deadline_of(req),
                                               &diag),
            token, state_->transport.get_executor());
    }

    /// Sends a message; throws error_with_diagnostics on any failure.
    send_raw_result send_raw(const send_raw_request& req) requires sync_transport<Transport> {
        return execute(req);
    }
    /// Sends a message; never throws. On failure sets `ec` and fills `diag`.
    send_raw_result send_raw(const send_raw_request& req, boost::system::error_code& ec,
                             diagnostics& diag) requires sync_transport<Transport> {
        return execute(req, ec, diag);
    }
    /// Sends a message asynchronously; `co_await client.async_send_raw(req)` throws
    /// error_with_diagnostics on failure.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_send_raw(const send_raw_request& req, CompletionToken&& token = {}) {
        return async_execute(req, std::forward<CompletionToken>(token));
    }
    /// Sends a message asynchronously, completing with `void(error_code, send_raw_result)`.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_send_raw(const send_raw_request& req, diagnostics& diag,
                        CompletionToken&& token = {}) {
        return async_execute(req, diag, std::forward<CompletionToken>(token));
    }

    /// Sends a structured message (the API composes it); throws error_with_diagnostics on any
    /// failure.
    send_result send(const send_request& req) requires sync_transport<Transport> {
        return execute(req);
    }
    /// Sends a structured message (the API composes it); never throws. On failure sets `ec` and
    /// fills `diag`.
    send_result send(const send_request& req, boost::system::error_code& ec,
                     diagnostics& diag) requires sync_transport<Transport> {
        return execute(req, ec, diag);
    }
    /// Sends a structured message (the API composes it), asynchronously; `co_await` throws
    /// error_with_diagnostics on failure.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_send(const send_request& req, CompletionToken&& token = {}) {
        return async_execute(req, std::forward<CompletionToken>(token));
    }
    /// Sends a structured message (the API composes it), asynchronously, completing with
    /// `void(error_code, send_result)`.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_send(const send_request& req, diagnostics& diag, CompletionToken&& token = {}) {
        return async_execute(req, diag, std::forward<CompletionToken>(token));
    }

    /// Reads one page of the suppression list (see suppression_pages to walk them all); throws
    /// error_with_diagnostics on any failure.
    suppression_page
    list_suppressions(const list_suppressions_request& req) requires sync_transport<Transport> {
        return execute(req);
    }
    /// Reads one page of the suppression list (see suppression_pages to walk them all); never
    /// throws. On failure sets `ec` and fills `diag`.
    suppression_page list_suppressions(const list_suppressions_request& req,
                                       boost::system::error_code& ec,
                                       diagnostics& diag) requires sync_transport<Transport> {
        return execute(req, ec, diag);
    }
    /// Reads one page of the suppression list (see suppression_pages to walk them all),
    /// asynchronously; `co_await` throws error_with_diagnostics on failure.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_list_suppressions(const list_suppressions_request& req,
                                 CompletionToken&& token = {}) {
        return async_execute(req, std::forward<CompletionToken>(token));
    }
    /// Reads one page of the suppression list (see suppression_pages to walk them all),
    /// asynchronously, completing with `void(error_code, suppression_page)`.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_list_suppressions(const list_suppressions_request& req, diagnostics& diag,
                                 CompletionToken&& token = {}) {
        return async_execute(req, diag, std::forward<CompletionToken>(token));
    }

    /// Reads one suppression; throws error_with_diagnostics on any failure.
    suppression
    get_suppression(const get_suppression_request& req) requires sync_transport<Transport> {
        return execute(req);
    }
    /// Reads one suppression; never throws. On failure sets `ec` and fills `diag`.
    suppression get_suppression(const get_suppression_request& req, boost::system::error_code& ec,
                                diagnostics& diag) requires sync_transport<Transport> {
        return execute(req, ec, diag);
    }
    /// Reads one suppression, asynchronously; `co_await` throws error_with_diagnostics on failure.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_get_suppression(const get_suppression_request& req, CompletionToken&& token = {}) {
        return async_execute(req, std::forward<CompletionToken>(token));
    }
    /// Reads one suppression, asynchronously, completing with `void(error_code, suppression)`.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_get_suppression(const get_suppression_request& req, diagnostics& diag,
                               CompletionToken&& token = {}) {
        return async_execute(req, diag, std::forward<CompletionToken>(token));
    }

    /// Suppresses an address (an existing entry gives its id); throws error_with_diagnostics on any
    /// failure.
    suppression_ref
    create_suppression(const create_suppression_request& req) requires sync_transport<Transport> {
        return execute(req);
    }
    /// Suppresses an address (an existing entry gives its id); never throws. On failure sets `ec`
    /// and fills `diag`.
    suppression_ref create_suppression(const create_suppression_request& req,
                                       boost::system::error_code& ec,
                                       diagnostics& diag) requires sync_transport<Transport> {
        return execute(req, ec, diag);
    }
    /// Suppresses an address (an existing entry gives its id), asynchronously; `co_await` throws
    /// error_with_diagnostics on failure.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_create_suppression(const create_suppression_request& req,
                                  CompletionToken&& token = {}) {
        return async_execute(req, std::forward<CompletionToken>(token));
    }
    /// Suppresses an address (an existing entry gives its id), asynchronously, completing with
    /// `void(error_code, suppression_ref)`.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_create_suppression(const create_suppression_request& req, diagnostics& diag,
                                  CompletionToken&& token = {}) {
        return async_execute(req, diag, std::forward<CompletionToken>(token));
    }

    /// Changes a suppression's expiry or note; throws error_with_diagnostics on any failure.
    suppression
    edit_suppression(const edit_suppression_request& req) requires sync_transport<Transport> {
        return execute(req);
    }
    /// Changes a suppression's expiry or note; never throws. On failure sets `ec` and fills `diag`.
    suppression edit_suppression(const edit_suppression_request& req, boost::system::error_code& ec,
                                 diagnostics& diag) requires sync_transport<Transport> {
        return execute(req, ec, diag);
    }
    /// Changes a suppression's expiry or note, asynchronously; `co_await` throws
    /// error_with_diagnostics on failure.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_edit_suppression(const edit_suppression_request& req, CompletionToken&& token = {}) {
        return async_execute(req, std::forward<CompletionToken>(token));
    }
    /// Changes a suppression's expiry or note, asynchronously, completing with `void(error_code,
    /// suppression)`.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_edit_suppression(const edit_suppression_request& req, diagnostics& diag,
                                CompletionToken&& token = {}) {
        return async_execute(req, diag, std::forward<CompletionToken>(token));
    }

    /// Removes a suppression; throws error_with_diagnostics on any failure.
    suppression_ref
    delete_suppression(const delete_suppression_request& req) requires sync_transport<Transport> {
        return execute(req);
    }
    /// Removes a suppression; never throws. On failure sets `ec` and fills `diag`.
    suppression_ref delete_suppression(const delete_suppression_request& req,
                                       boost::system::error_code& ec,
                                       diagnostics& diag) requires sync_transport<Transport> {
        return execute(req, ec, diag);
    }
    /// Removes a suppression, asynchronously; `co_await` throws error_with_diagnostics on failure.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_delete_suppression(const delete_suppression_request& req,
                                  CompletionToken&& token = {}) {
        return async_execute(req, std::forward<CompletionToken>(token));
    }
    /// Removes a suppression, asynchronously, completing with `void(error_code, suppression_ref)`.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_delete_suppression(const delete_suppression_request& req, diagnostics& diag,
                                  CompletionToken&& token = {}) {
        return async_execute(req, diag, std::forward<CompletionToken>(token));
    }

    /// Suppresses up to 1,000 addresses at once; throws error_with_diagnostics on any failure.
    import_result
    import_suppressions(const import_suppressions_request& req) requires sync_transport<Transport> {
        return execute(req);
    }
    /// Suppresses up to 1,000 addresses at once; never throws. On failure sets `ec` and fills
    /// `diag`.
    import_result import_suppressions(const import_suppressions_request& req,
                                      boost::system::error_code& ec,
                                      diagnostics& diag) requires sync_transport<Transport> {
        return execute(req, ec, diag);
    }
    /// Suppresses up to 1,000 addresses at once, asynchronously; `co_await` throws
    /// error_with_diagnostics on failure.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_import_suppressions(const import_suppressions_request& req,
                                   CompletionToken&& token = {}) {
        return async_execute(req, std::forward<CompletionToken>(token));
    }
    /// Suppresses up to 1,000 addresses at once, asynchronously, completing with `void(error_code,
    /// import_result)`.
    template <class CompletionToken = boost::asio::deferred_t>
    requires async_transport<Transport>
    auto async_import_suppressions(const import_suppressions_request& req, diagnostics& diag,
                                   CompletionToken&& token = {}) {
        return async_execute(req, diag, std::forward<CompletionToken>(token));
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
