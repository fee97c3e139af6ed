// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_TRANSPORT_HTTPS_HPP
#define CFMAIL_TRANSPORT_HTTPS_HPP

/// @file https.hpp
/// The network transports: Boost.Beast over Asio SSL. The only cfmail header that includes
/// Beast and OpenSSL.

#include <cfmail/config.hpp>
#include <cfmail/http_message.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace cfmail {

/// How the server's certificate is verified. Verification (chain and host name) is always on;
/// these options only choose the trusted roots.
struct tls_options {
    /// A PEM file of trusted CA certificates (e.g. a corporate bundle); empty for none.
    std::string ca_file;
    /// A directory of hashed CA certificates (as made by `openssl rehash`); empty for none.
    std::string ca_directory;
    /// PEM text of trusted CA certificates, held in memory; empty for none.
    std::string ca_pem;
    /// Also trust the system's roots. By default they are trusted when none of the above is
    /// given; set to true to trust them in addition to the given ones.
    bool use_system_roots = false;
};

/// An HTTP proxy that every HTTPS connection goes through: a tunnel is opened with
/// `CONNECT host:port`, and TLS then runs inside it with the real host's name and verification,
/// exactly as without a proxy. A plain `http://` base URL is reached directly.
struct proxy_options {
    /// `http://[user:password@]host[:port]`; `http://` may be left out, and the port is 1080
    /// when absent (as with curl). The user and password, percent-decoded, are sent only in
    /// `Proxy-Authorization: Basic` to the proxy, and never appear in an error or in
    /// diagnostics. Empty: no proxy.
    std::string url;
    /// Hosts reached directly, as curl reads `NO_PROXY`: a comma-separated list of host names
    /// (each matching itself and its subdomains; a leading dot is ignored), IP addresses and
    /// CIDR ranges (`10.0.0.0/8`, `::1`), each optionally with a port (`host:8443`,
    /// `[::1]:443`) to match only that port; `*` alone matches every host. Names are compared
    /// without case. A loopback host is proxied unless this list names it.
    std::string no_proxy;

    /// No proxy.
    proxy_options() = default;
    /// Every connection through the proxy at `proxy_url`: `https.proxy = "http://proxy:3128"`.
    proxy_options(std::string proxy_url)
        : url(std::move(proxy_url)) {}
    /// Every connection through the proxy at `proxy_url`.
    proxy_options(const char* proxy_url)
        : url(proxy_url) {}

    /// The proxy the environment names, as curl reads it: `https_proxy` when set (set but
    /// empty: no proxy), else `HTTPS_PROXY`; `no_proxy`, else `NO_PROXY`. Empty when neither
    /// proxy variable is set.
    CFMAIL_DECL static proxy_options from_environment();

    /// True when a connection to `host` (a name or an IP literal, without brackets) and `port`
    /// goes through the proxy: a proxy is set and `no_proxy` does not name the host.
    CFMAIL_DECL bool applies_to(std::string_view host, std::string_view port) const;
};

/// Options of https_transport and blocking_https_transport, and of each connection of a
/// pooled_https_transport.
struct https_options {
    /// Bound on resolving, connecting and the TLS handshake of a new connection. A slow name
    /// resolution is abandoned when it runs out. `milliseconds::max()` means no bound (every
    /// duration saturates); zero or less fails at once.
    std::chrono::milliseconds connect_timeout{10000};
    /// Bound on one whole attempt, connection included, up to the last byte of the answer.
    std::chrono::milliseconds attempt_timeout{60000};
    /// Largest answer body accepted; a larger one fails with error::response_too_large and the
    /// connection is closed without reading the rest. The answer's head (status line and
    /// fields) and any interim 1xx answers before it are capped at 64 KiB together, its
    /// trailers likewise, and the read buffer never grows past that cap plus 16 KiB, whatever
    /// the server sends.
    std::size_t max_response_size = 1024u * 1024u;
    /// Trusted roots.
    tls_options tls;
    /// The HTTP proxy to tunnel through, if any (e.g. `proxy_options::from_environment()`).
    /// A proxy that refuses the tunnel fails the attempt with error::proxy_refused and its
    /// status in diagnostics::proxy_status; one that cannot be reached fails like an
    /// unreachable server. Both happen before the request is written.
    proxy_options proxy;
};

/// Options of pooled_https_transport.
struct pool_options {
    /// Most connections open at once, and so most exchanges in flight; further exchanges wait
    /// for a free connection in the order they were started. The wait has no timeout of its
    /// own (`attempt_timeout` starts when a connection is granted): bound it by cancelling.
    std::size_t max_connections = 16;
    /// A connection left unused this long is closed. The timer that does it keeps the
    /// executor's `run()` busy until then; close() or destroying the transport ends it sooner.
    std::chrono::milliseconds idle_timeout{30000};
    /// Timeouts, answer cap and trusted roots of every connection.
    https_options https;
    /// Lets exchanges be started, cancelled and completed from any thread of a multi-threaded
    /// executor (one io_context run by N threads): the pool then keeps its state on a strand
    /// of its own, and completion handlers run on the caller's executor as usual. Off by
    /// default, as in Boost.MySQL's connection_pool: the strand costs a hop on every step of
    /// every exchange, which a pool used from one thread, or from a strand the caller already
    /// holds, does not need.
    bool thread_safe = false;
};

namespace detail {
class https_connection;
class https_pool;
CFMAIL_DECL void
start_https_exchange(const std::shared_ptr<https_connection>& conn, const http_request& req,
                     http_response& resp,
                     boost::asio::any_completion_handler<void(boost::system::error_code)> handler);
CFMAIL_DECL void
start_pooled_exchange(const std::shared_ptr<https_pool>& pool, const http_request& req,
                      http_response& resp,
                      boost::asio::any_completion_handler<void(boost::system::error_code)> handler);
} // namespace detail

/// An asynchronous transport over one persistent HTTP/1.1 connection, TLS (1.2 or newer, SNI,
/// peer and host-name verification) for `https` and plain TCP for loopback `http`.
///
/// An idle connection that the server closed is detected before reuse and replaced; a write
/// that fails on a reused connection (the server had closed it) is resent once on a new one.
/// Any failure after the request was written is reported with `request_written` set. Supports
/// per-operation terminal cancellation, which closes the connection (the next exchange reconnects).
///
/// Thread safety: distinct objects, safe; shared objects, unsafe. One exchange at a time.
class https_transport {
public:
    /// The executor type.
    using executor_type = boost::asio::any_io_executor;

    /// Writes the message straight from the caller's request, escaping it chunk by chunk.
    static constexpr bool streams_body = true;

    /// Creates the transport; no connection is made until the first exchange. Throws
    /// `boost::system::system_error` when a configured CA file, directory or PEM cannot be
    /// loaded, and `std::invalid_argument` when the proxy URL is not usable (the message never
    /// holds its password).
    CFMAIL_DECL explicit https_transport(executor_type ex, https_options opts = {});

    /// Closes the connection; an exchange in flight completes with `operation_aborted`.
    CFMAIL_DECL ~https_transport();

    /// Moves the transport (not while an exchange is in flight).
    https_transport(https_transport&&) noexcept = default;
    /// Moves the transport (not while an exchange is in flight).
    https_transport& operator=(https_transport&&) noexcept = default;

    /// The executor exchanges run on.
    CFMAIL_DECL executor_type get_executor() const noexcept;

    /// The options given at construction.
    CFMAIL_DECL const https_options& options() const noexcept;

    /// Closes the connection, if any. An exchange in flight completes with
    /// `operation_aborted`.
    CFMAIL_DECL void close();

    /// Performs one exchange (async_transport). Completes with `void(error_code)`.
    template <class CompletionToken>
    auto async_round_trip(const http_request& req, http_response& resp, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [](boost::asio::any_completion_handler<void(boost::system::error_code)> handler,
               const std::shared_ptr<detail::https_connection>& conn, const http_request* request,
               http_response* response) {
                detail::start_https_exchange(conn, *request, *response, std::move(handler));
            },
            token, conn_, &req, &resp);
    }

private:
    std::shared_ptr<detail::https_connection> conn_;
};

/// An asynchronous transport over a pool of up to `max_connections` persistent connections, so
/// that one client runs that many sends at once (a concurrent_transport). Each connection
/// follows the rules of https_transport: TLS verification, timeouts, idle checks, resending
/// only a request whose write failed, and terminal cancellation that closes the connection
/// of the exchange it cancels. An exchange that finds every connection busy waits, first in
/// first out; cancelling it (any cancellation type: nothing was sent) removes it from the
/// queue. A broken or closed connection is replaced by a new one at its next exchange.
///
/// Thread safety: with `pool_options::thread_safe`, exchanges (and so the sends of a
/// pooled_client) may be started from any thread, and cancelled from the context their
/// completion handler runs on (for a coroutine, by a cancellation signal emitted through
/// `asio::post` to its executor); `close()` and the destructor may be called from any thread.
/// Without it the pool is not internally locked: use it from one thread, or give it a strand
/// as executor and start, cancel and destroy its operations (and the client's) from that
/// strand, with completion handlers that run on it.
class pooled_https_transport {
public:
    /// The executor type.
    using executor_type = boost::asio::any_io_executor;

    /// Writes the message straight from the caller's request, escaping it chunk by chunk.
    static constexpr bool streams_body = true;

    /// Marks the transport as carrying several exchanges at once.
    static constexpr bool concurrent_exchanges = true;

    /// Creates the pool; connections are made as exchanges need them. Throws
    /// `boost::system::system_error` when a configured CA cannot be loaded, and
    /// `std::invalid_argument` when `max_connections` is 0 or the proxy URL is not usable.
    CFMAIL_DECL explicit pooled_https_transport(executor_type ex, pool_options opts = {});

    /// Closes every connection; exchanges in flight or waiting complete with
    /// `operation_aborted`.
    CFMAIL_DECL ~pooled_https_transport();

    /// Moves the transport (not while an exchange is in flight).
    pooled_https_transport(pooled_https_transport&&) noexcept = default;
    /// Moves the transport (not while an exchange is in flight).
    pooled_https_transport& operator=(pooled_https_transport&&) noexcept = default;

    /// The executor exchanges run on.
    CFMAIL_DECL executor_type get_executor() const noexcept;

    /// The options given at construction.
    CFMAIL_DECL const pool_options& options() const noexcept;

    /// Connections open now, as far as the pool knows (one the server closed is counted until
    /// its next use finds out).
    CFMAIL_DECL std::size_t open_connections() const noexcept;

    /// Exchanges waiting for a free connection.
    CFMAIL_DECL std::size_t waiting_exchanges() const noexcept;

    /// Closes every connection; exchanges in flight or waiting complete with
    /// `operation_aborted`. The pool stays usable: later exchanges connect again.
    CFMAIL_DECL void close();

    /// Performs one exchange (async_transport), on a free connection or after waiting for one.
    /// Completes with `void(error_code)`.
    template <class CompletionToken>
    auto async_round_trip(const http_request& req, http_response& resp, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [](boost::asio::any_completion_handler<void(boost::system::error_code)> handler,
               const std::shared_ptr<detail::https_pool>& pool, const http_request* request,
               http_response* response) {
                detail::start_pooled_exchange(pool, *request, *response, std::move(handler));
            },
            token, pool_, &req, &resp);
    }

private:
    std::shared_ptr<detail::https_pool> pool_;
};

/// A blocking transport: https_transport run on a private io_context, so every exchange is
/// bounded by the timeouts (Beast's blocking I/O has none). A name resolution that outlasts
/// `connect_timeout` is abandoned, not waited for; destroying the transport still waits for
/// such a resolution to return (asio joins its resolver thread).
///
/// Thread safety: distinct objects, safe; shared objects, unsafe.
class blocking_https_transport {
public:
    /// Writes the message straight from the caller's request, escaping it chunk by chunk.
    static constexpr bool streams_body = true;

    /// Creates the transport; see https_transport.
    CFMAIL_DECL explicit blocking_https_transport(https_options opts = {});

    /// Moves the transport.
    blocking_https_transport(blocking_https_transport&&) noexcept = default;
    /// Moves the transport.
    blocking_https_transport& operator=(blocking_https_transport&&) noexcept = default;
    /// Closes the connection.
    CFMAIL_DECL ~blocking_https_transport();

    /// Performs one exchange (sync_transport).
    CFMAIL_DECL void round_trip(const http_request& req, http_response& resp,
                                boost::system::error_code& ec);

    /// Closes the connection, if any.
    CFMAIL_DECL void close();

private:
    struct blocking_outcome {
        boost::system::error_code ec;
        bool done = false;
    };

    std::unique_ptr<boost::asio::io_context> ioc_;
    std::unique_ptr<https_transport> transport_;
    std::shared_ptr<blocking_outcome> outcome_; // reused while no exchange holds it
};

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/transport/impl/https.ipp>
#endif

#endif
