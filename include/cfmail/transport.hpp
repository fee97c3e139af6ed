// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_TRANSPORT_HPP
#define CFMAIL_TRANSPORT_HPP

/// @file transport.hpp
/// What a transport must offer. A transport carries out one HTTP exchange; everything that is
/// the API's business (validation, request building, envelopes, retries) stays in the client.

#include <cfmail/http_message.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/system/error_code.hpp>

#include <concepts>

namespace cfmail {

/// A blocking transport: `round_trip(request, response, ec)` performs one exchange. An HTTP
/// error status is a successful exchange (`ec` empty, `response.status` set). On failure it sets
/// `ec` and `response.request_written` (true once any byte may have reached the server). It
/// must not block forever: implementations bound every exchange with a timeout.
template <class T>
concept sync_transport = requires(T& t, const http_request& req, http_response& resp,
                                  boost::system::error_code& ec) {
    { t.round_trip(req, resp, ec) } -> std::same_as<void>;
};

/// An asynchronous transport: `async_round_trip(request, response, token)` performs one
/// exchange and completes with `void(boost::system::error_code)`, with the same meaning as
/// sync_transport. It never completes inline, honours per-operation terminal cancellation
/// through the handler's cancellation slot, and exposes `get_executor()`. `request` and
/// `response` stay alive and untouched by the caller until completion.
template <class T>
concept async_transport = requires(T& t, const http_request& req, http_response& resp) {
    typename T::executor_type;
    { t.get_executor() } -> std::convertible_to<typename T::executor_type>;
    t.async_round_trip(req, resp, boost::asio::deferred);
};

/// An async_transport that carries several exchanges at once, such as a connection pool. It
/// says so with `static constexpr bool concurrent_exchanges = true;`, and a basic_client over
/// it then runs several sends at once instead of failing with error::operation_in_progress.
template <class T>
concept concurrent_transport = async_transport<T> && requires {
    requires T::concurrent_exchanges;
};

/// A transport that writes a request_body's streamed parts itself (with a
/// request_body::reader, encoding them as it sends), which it says with
/// `static constexpr bool streams_body = true;`. For any other transport the client builds the
/// whole body as one buffer (request_body::contiguous()), so a transport that only "writes these
/// bytes" needs nothing more.
template <class T>
concept streaming_transport = requires {
    requires T::streams_body;
};

/// Either kind of transport; basic_client offers the operations the transport supports.
template <class T>
concept transport = sync_transport<T> || async_transport<T>;

} // namespace cfmail

#endif
