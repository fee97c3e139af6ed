// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_ANY_CLIENT_HPP
#define CFMAIL_ANY_CLIENT_HPP

/// @file any_client.hpp
/// One client type for application code, whatever the transport: `cfmail::any_client` holds an
/// HTTPS, pooled, mock or own asynchronous transport, so a function that takes an
/// `any_client&` is tested over the mock and run over the pool without being a template.

#include <cfmail/client.hpp>
#include <cfmail/config.hpp>
#include <cfmail/detail/drivers.hpp>
#include <cfmail/transport.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>

#include <concepts>
#include <memory>
#include <type_traits>
#include <utility>

namespace cfmail {

/// An asynchronous transport of any type, held by shared ownership (copies share it). A
/// basic_client over it calls the transport underneath directly, with that transport's
/// capabilities: several sends at once over a pool, one at a time over a single connection,
/// blocking members when the transport has a blocking exchange (the mock does; the HTTPS
/// transports do not, and those members then fail with `asio::error::operation_not_supported`
/// before any I/O). The erasure costs no call per exchange.
class any_transport {
public:
    /// The executor of the transport underneath.
    using executor_type = boost::asio::any_io_executor;

    /// Takes `transport` (moved into shared storage). Implicit, so that
    /// `cfmail::any_client client(mock, creds)` reads as it should.
    template <async_transport Transport>
    requires(!std::same_as<std::remove_cvref_t<Transport>, any_transport>)
        any_transport(Transport transport) // NOLINT(google-explicit-constructor)
        : object_(std::make_shared<Transport>(std::move(transport)))
        , type_(&type_tag<Transport>) {
        view_.object = object_.get();
        view_.functions = detail::functions_of<Transport>();
        view_.concurrent = concurrent_transport<Transport>;
        view_.streams_body = streaming_transport<Transport>;
    }

    /// The transport underneath, when it is a `Transport`; otherwise nullptr.
    template <class Transport>
    Transport* target() noexcept {
        return type_ == &type_tag<Transport> ? static_cast<Transport*>(object_.get()) : nullptr;
    }

    /// The executor of the transport underneath.
    executor_type get_executor() const { return view_.functions.async->executor(view_.object); }

    /// One blocking exchange, when the transport underneath has them; otherwise fails with
    /// `asio::error::operation_not_supported` before writing anything.
    void round_trip(const http_request& req, http_response& resp, boost::system::error_code& ec) {
        if (!view_.functions.round_trip) {
            resp.request_written = false;
            ec = boost::asio::error::operation_not_supported;
            return;
        }
        view_.functions.round_trip(view_.object, req, resp, ec);
    }

    /// One asynchronous exchange on the transport underneath; completes with
    /// `void(boost::system::error_code)`.
    template <class CompletionToken>
    auto async_round_trip(const http_request& req, http_response& resp, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [this](auto handler, const http_request* request, http_response* response) {
                view_.functions.async->round_trip(view_.object, *request, *response,
                                                  detail::round_trip_handler(std::move(handler)));
            },
            token, &req, &resp);
    }

    /// Closes the transport underneath, when it can be closed.
    void close() {
        if (view_.functions.close)
            view_.functions.close(view_.object);
    }

    /// What a basic_client calls instead of this wrapper.
    detail::erased_transport_view erased_view() const noexcept { return view_; }

private:
    template <class Transport>
    static constexpr char type_tag = 0;

    std::shared_ptr<void> object_;
    const char* type_;
    detail::erased_transport_view view_;
};

/// A client over any asynchronous transport: the one type for application code to take.
/// Build it from any asynchronous transport, e.g.
/// `cfmail::any_client client(cfmail::pooled_https_transport(ex), creds)` in production and
/// `cfmail::any_client client(mock, creds)` over `cfmail::testing::mock_transport` in tests.
using any_client = basic_client<any_transport>;

} // namespace cfmail

#endif
