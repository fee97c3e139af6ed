// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_TRANSPORT_IMPL_HTTPS_IPP
#define CFMAIL_TRANSPORT_IMPL_HTTPS_IPP

#include <cfmail/detail/saturate.hpp>
#include <cfmail/error_code.hpp>
#include <cfmail/transport/detail/http_exchange.hpp>
#include <cfmail/transport/https.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <list>
#include <optional>
#include <stdexcept>
#include <sys/socket.h>
#include <vector>

namespace cfmail::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

inline asio::ssl::context make_tls_context(const tls_options& tls) {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1)
        throw std::runtime_error("cfmail: cannot require TLS 1.2");
    ctx.set_verify_mode(asio::ssl::verify_peer);
    const bool custom = !tls.ca_file.empty() || !tls.ca_directory.empty() || !tls.ca_pem.empty();
    if (!tls.ca_file.empty())
        ctx.load_verify_file(tls.ca_file);
    if (!tls.ca_directory.empty())
        ctx.add_verify_path(tls.ca_directory);
    if (!tls.ca_pem.empty())
        ctx.add_certificate_authority(asio::buffer(tls.ca_pem));
    if (!custom || tls.use_system_roots)
        ctx.set_default_verify_paths();
    return ctx;
}

// The TLS context, made at the first TLS connection: loading the system's roots costs
// milliseconds that plain-HTTP use never needs. The options are checked at construction so
// that an unreadable CA file still fails there.
class lazy_tls_context {
public:
    explicit lazy_tls_context(tls_options tls)
        : tls_(std::move(tls)) {
        if (!tls_.ca_file.empty() || !tls_.ca_directory.empty() || !tls_.ca_pem.empty())
            context_.emplace(make_tls_context(tls_));
    }

    asio::ssl::context& get() {
        if (!context_)
            context_.emplace(make_tls_context(tls_));
        return *context_;
    }

private:
    tls_options tls_;
    std::optional<asio::ssl::context> context_;
};

// One persistent connection and the buffers reused across its exchanges.
class https_connection : public std::enable_shared_from_this<https_connection> {
public:
    // Connections of a pool share one TLS context: its trusted roots are loaded once.
    https_connection(asio::any_io_executor ex, https_options opts,
                     std::shared_ptr<lazy_tls_context> tls_context = nullptr)
        : executor_(std::move(ex))
        , options_(std::move(opts))
        , tls_context_(tls_context ? std::move(tls_context)
                                   : std::make_shared<lazy_tls_context>(options_.tls))
        , resolver_(executor_)
        , timer_(executor_) {}

    const asio::any_io_executor& executor() const noexcept { return executor_; }
    const https_options& options() const noexcept { return options_; }
    bool is_connected() const noexcept { return connected_; }

    void close() {
        resolver_.cancel();
        timer_.cancel();
        if (tls_stream_)
            beast::get_lowest_layer(*tls_stream_).close();
        if (plain_stream_)
            plain_stream_->close();
        connected_ = false;
    }

    // Closes on the caller's behalf: an exchange in flight ends with operation_aborted.
    void abort() {
        cancelled = true;
        close();
    }

    asio::awaitable<boost::system::error_code> exchange(const http_request& req,
                                                        http_response& resp);

    // Set by the cancellation handler, read when the exchange fails.
    bool cancelled = false;

private:
    using clock = std::chrono::steady_clock;

    asio::awaitable<boost::system::error_code> connect(const http_request& req,
                                                       clock::time_point deadline);
    bool idle_connection_is_usable();

    beast::tcp_stream& tcp() {
        return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_stream_;
    }

    asio::any_io_executor executor_;
    https_options options_;
    std::shared_ptr<lazy_tls_context> tls_context_;
    tcp::resolver resolver_;
    asio::steady_timer timer_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
    std::optional<beast::tcp_stream> plain_stream_;
    bool connected_ = false;
    std::string peer_scheme_, peer_host_, peer_port_;
    exchange_buffers buffers_;
};

// Errors that mean "the server had closed this idle connection".
inline bool is_idle_close(boost::system::error_code ec) {
    return ec == asio::error::eof || ec == http::error::end_of_stream ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::ssl::error::stream_truncated;
}

// Which check of the server's certificate failed, as a cfmail error; empty when the
// handshake failed for another reason.
inline boost::system::error_code certificate_failure(SSL* ssl) {
    switch (SSL_get_verify_result(ssl)) {
    case X509_V_OK:
        return {};
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH:
        return error::certificate_name_mismatch;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
        return error::certificate_expired;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_INVALID_CA:
        return error::certificate_untrusted;
    default:
        return error::certificate_rejected;
    }
}

// After a failed write, Asio's TLS engine still holds the records it could not send, and
// would try to send them before reading. They belong to a request the server stopped reading:
// dropping them lets the read find the answer the server sent before it closed.
inline void drop_unsent_tls_records(beast::ssl_stream<beast::tcp_stream>& stream) noexcept {
    if (BIO* outgoing = SSL_get_wbio(stream.native_handle()))
        (void)BIO_reset(outgoing);
}

// What a name resolution left for the connection; shared with the resolver's handler, which
// may run long after the connection stopped waiting for it.
struct pending_resolve {
    bool settled = false; // answered, or given up on
    boost::system::error_code ec;
    tcp::resolver::results_type endpoints;
};

inline asio::awaitable<boost::system::error_code>
https_connection::connect(const http_request& req, clock::time_point deadline) {
    const auto connect_deadline =
        std::min(deadline, saturating_add(clock::now(), options_.connect_timeout));
    tls_stream_.reset();
    plain_stream_.reset();
    buffers_.read.clear();

    // getaddrinfo cannot be interrupted, and asio's resolver cannot cancel a query under way:
    // waiting for it would let a slow resolver outlast every timeout. The connection waits on
    // its timer instead, which the answer or close() cuts short, and abandons a late answer.
    auto resolve = std::make_shared<pending_resolve>();
    timer_.expires_at(connect_deadline);
    resolver_.async_resolve(
        req.host, req.port,
        [resolve, weak = weak_from_this()](boost::system::error_code ec,
                                           tcp::resolver::results_type endpoints) {
            if (resolve->settled)
                return; // the connection gave up on it
            resolve->settled = true;
            resolve->ec = ec;
            resolve->endpoints = std::move(endpoints);
            if (auto self = weak.lock())
                self->timer_.cancel();
        });
    auto [wait_ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!resolve->settled) {
        resolve->settled = true;
        resolver_.cancel();
        // The timer ended early only because close() cancelled it: that is no timeout.
        co_return wait_ec == asio::error::operation_aborted ? asio::error::operation_aborted
                                                            : asio::error::timed_out;
    }
    // The answer and a cancellation can come in the same turn: with no stream yet, close()
    // had nothing to close, so the flag is what says to stop.
    if (cancelled)
        co_return asio::error::operation_aborted;
    if (resolve->ec)
        co_return resolve->ec;
    auto endpoints = std::move(resolve->endpoints);

    const bool tls = req.scheme == "https";
    if (tls) {
        // The context is made here the first time; loading the system's roots may fail.
        asio::ssl::context* context = nullptr;
        try {
            context = &tls_context_->get();
        } catch (const boost::system::system_error& e) {
            co_return e.code();
        } catch (const std::exception&) {
            co_return asio::error::no_protocol_option;
        }
        tls_stream_.emplace(executor_, *context);
    } else
        plain_stream_.emplace(executor_);

    auto& lowest = tcp();
    lowest.expires_at(connect_deadline);
    auto [connect_ec, ep] =
        co_await lowest.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    (void)ep;
    if (connect_ec)
        co_return normalize(connect_ec);
    lowest.socket().set_option(tcp::no_delay(true));

    if (tls) {
        SSL* ssl = tls_stream_->native_handle();
        boost::system::error_code address_ec;
        (void)asio::ip::make_address(req.host, address_ec);
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (!address_ec) {
            // An IP literal is matched against the certificate's IP addresses; no SNI.
            if (X509_VERIFY_PARAM_set1_ip_asc(param, req.host.c_str()) != 1)
                co_return asio::error::invalid_argument;
        } else {
            if (SSL_set_tlsext_host_name(ssl, req.host.c_str()) != 1 ||
                SSL_set1_host(ssl, req.host.c_str()) != 1)
                co_return asio::error::invalid_argument;
        }
        auto [handshake_ec] = co_await tls_stream_->async_handshake(
            asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
        if (handshake_ec) {
            if (auto rejected = certificate_failure(ssl))
                co_return rejected;
            co_return normalize(handshake_ec);
        }
    }
    peer_scheme_ = req.scheme;
    peer_host_ = req.host;
    peer_port_ = req.port;
    connected_ = true;
    co_return boost::system::error_code{};
}

// An idle connection must have nothing to read: a FIN, a reset, a TLS close_notify or stray
// bytes all mean the server is done with it. Checking before writing tells a connection the
// server closed while idle (safe to replace) from one it closed after reading the request
// (the outcome is unknown).
inline bool https_connection::idle_connection_is_usable() {
    auto& socket = tcp().socket();
    char byte;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

inline asio::awaitable<boost::system::error_code>
https_connection::exchange(const http_request& req, http_response& resp) {
    // The operation's deadline, when sooner, bounds the attempt too.
    const auto deadline =
        std::min(req.deadline, saturating_add(clock::now(), options_.attempt_timeout));
    bool reused = connected_ && peer_scheme_ == req.scheme && peer_host_ == req.host &&
                  peer_port_ == req.port && idle_connection_is_usable();
    for (int round = 0;; ++round) {
        resp.clear();
        if (!reused) {
            close();
            if (auto ec = co_await connect(req, deadline)) {
                close();
                co_return ec;
            }
        }
        tcp().expires_at(deadline);
        exchange_progress progress;
        boost::system::error_code ec;
        const std::size_t cap = options_.max_response_size;
        if (tls_stream_)
            ec = co_await http_exchange(*tls_stream_, buffers_, req, resp, cap, progress,
                                        drop_unsent_tls_records);
        else
            ec = co_await http_exchange(*plain_stream_, buffers_, req, resp, cap, progress);
        // A 408 that came while a reused connection's write failed is the server closing it
        // for idleness: nothing was read, so it is an idle close like any other.
        if (!ec && reused && round == 0 && progress.write_failed && resp.status == 408 &&
            !cancelled) {
            close();
            reused = false;
            continue;
        }
        if (!ec && !progress.keep_alive)
            close();
        if (!ec) {
            if (connected_)
                tcp().expires_never();
            co_return ec;
        }
        close();
        // Writing to a reused connection failed with a reset or a broken pipe: the server had
        // closed it before reading the whole request, so nothing was processed and a fresh
        // connection may carry it once. A close after the request was written (EOF on the
        // read) is not retried here: the server may have acted on it.
        if (reused && round == 0 && progress.write_failed && !progress.got_answer_bytes &&
            is_idle_close(ec) && !cancelled) {
            reused = false;
            continue;
        }
        co_return ec;
    }
}

CFMAIL_DECL void
start_https_exchange(const std::shared_ptr<https_connection>& conn, const http_request& req,
                     http_response& resp,
                     asio::any_completion_handler<void(boost::system::error_code)> handler) {
    conn->cancelled = false;
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
        // Closing the connection makes the operation in flight complete at once.
        std::weak_ptr<https_connection> weak = conn;
        slot.assign([weak](asio::cancellation_type type) {
            if (auto c = weak.lock();
                c && (type & asio::cancellation_type::terminal) != asio::cancellation_type::none) {
                c->cancelled = true;
                c->close();
            }
        });
    }
    asio::co_spawn(conn->executor(), conn->exchange(req, resp),
                   [conn, slot, h = std::move(handler)](std::exception_ptr failure,
                                                        boost::system::error_code ec) mutable {
                       if (slot.is_connected())
                           slot.clear();
                       if (failure)
                           ec = asio::error::fault;
                       if (conn->cancelled && ec)
                           ec = asio::error::operation_aborted;
                       asio::dispatch(asio::append(std::move(h), ec));
                   });
}

// The shared state of pooled_https_transport. Every member function runs on the pool's
// executor (the caller's thread or strand); completion handlers hold it alive.
class https_pool : public std::enable_shared_from_this<https_pool> {
public:
    using handler_type = asio::any_completion_handler<void(boost::system::error_code)>;

    https_pool(asio::any_io_executor ex, pool_options opts)
        : executor_(std::move(ex))
        , options_(std::move(opts))
        , tls_context_(std::make_shared<lazy_tls_context>(options_.https.tls))
        , idle_timer_(executor_)
        , waiter_timer_(executor_) {
        if (options_.max_connections == 0)
            throw std::invalid_argument("cfmail: pool_options::max_connections must be > 0");
        // "Never" as milliseconds::max() must not overflow the timer's clock.
        constexpr std::chrono::milliseconds longest = std::chrono::hours(24 * 365);
        options_.idle_timeout =
            std::clamp(options_.idle_timeout, std::chrono::milliseconds(0), longest);
    }

    const asio::any_io_executor& executor() const noexcept { return executor_; }
    const pool_options& options() const noexcept { return options_; }
    std::size_t waiting() const noexcept { return waiters_.size(); }

    std::size_t open_connections() const noexcept {
        std::size_t open = 0;
        for (const auto& m : members_)
            open += m.conn->is_connected() ? 1 : 0;
        return open;
    }

    void start(const http_request& req, http_response& resp, handler_type handler) {
        if (member* free = free_member())
            return run(*free, req, resp, std::move(handler));
        auto slot = asio::get_associated_cancellation_slot(handler);
        auto it = waiters_.insert(waiters_.end(), waiter{&req, &resp, std::move(handler)});
        if (slot.is_connected()) {
            // Nothing was sent yet, so every kind of cancellation may take it off the queue.
            std::weak_ptr<https_pool> weak = shared_from_this();
            slot.assign([weak, it](asio::cancellation_type) {
                if (auto pool = weak.lock())
                    pool->abandon(it, asio::error::operation_aborted);
            });
        }
        if (req.deadline != clock::time_point::max())
            arm_waiter_timer();
    }

    void close() {
        idle_timer_.cancel();
        waiter_timer_.cancel();
        for (auto& m : members_) {
            if (m.busy)
                m.conn->abort();
            else
                m.conn->close();
        }
        while (!waiters_.empty())
            abandon(waiters_.begin(), asio::error::operation_aborted);
    }

private:
    using clock = std::chrono::steady_clock;

    struct member {
        std::shared_ptr<https_connection> conn;
        bool busy = false;
        clock::time_point idle_since;
    };

    struct waiter {
        const http_request* req;
        http_response* resp;
        handler_type handler;
    };

    // A free connection, preferring one still open; a new one while under the limit.
    member* free_member() {
        member* closed = nullptr;
        for (auto& m : members_) {
            if (m.busy)
                continue;
            if (m.conn->is_connected())
                return &m;
            if (!closed)
                closed = &m;
        }
        if (closed)
            return closed;
        if (members_.size() < options_.max_connections) {
            return &members_.emplace_back(member{
                std::make_shared<https_connection>(executor_, options_.https, tls_context_)});
        }
        return nullptr;
    }

    void run(member& m, const http_request& req, http_response& resp, handler_type handler) {
        m.busy = true;
        auto slot = asio::get_associated_cancellation_slot(handler);
        auto done = [self = shared_from_this(), conn = m.conn,
                     h = std::move(handler)](boost::system::error_code ec) mutable {
            self->finished(conn);
            asio::dispatch(asio::append(std::move(h), ec));
        };
        start_https_exchange(
            m.conn, req, resp,
            asio::bind_cancellation_slot(slot, asio::bind_executor(executor_, std::move(done))));
    }

    // Hands the connection to the first waiter, or lets it idle.
    void finished(const std::shared_ptr<https_connection>& conn) {
        member* m = nullptr;
        for (auto& candidate : members_)
            if (candidate.conn == conn)
                m = &candidate;
        if (!m)
            return;
        if (!waiters_.empty()) {
            waiter next = std::move(waiters_.front());
            waiters_.pop_front();
            if (waiters_.empty())
                waiter_timer_.cancel(); // nothing left for it to end
            auto slot = asio::get_associated_cancellation_slot(next.handler);
            if (slot.is_connected())
                slot.clear();
            return run(*m, *next.req, *next.resp, std::move(next.handler));
        }
        m->busy = false;
        m->idle_since = clock::now();
        arm_idle_timer();
    }

    void abandon(std::list<waiter>::iterator it, boost::system::error_code ec) {
        handler_type handler = std::move(it->handler);
        waiters_.erase(it);
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected())
            slot.clear();
        asio::post(executor_, asio::append(std::move(handler), ec));
    }

    // One timer for every waiter with a deadline (client_options::deadline), set to the
    // earliest; a waiter whose deadline passes leaves the queue with timed_out, nothing sent.
    void arm_waiter_timer() {
        std::optional<clock::time_point> earliest;
        for (const auto& w : waiters_)
            if (w.req->deadline != clock::time_point::max() &&
                (!earliest || w.req->deadline < *earliest))
                earliest = w.req->deadline;
        if (!earliest || (waiter_waits_ > 0 && waiter_timer_.expiry() <= *earliest))
            return;
        waiter_timer_.expires_at(*earliest); // a later wait, if any, ends with operation_aborted
        ++waiter_waits_;
        std::weak_ptr<https_pool> weak = shared_from_this();
        waiter_timer_.async_wait([weak](boost::system::error_code ec) {
            if (auto pool = weak.lock())
                pool->on_waiter_timer(ec);
        });
    }

    void on_waiter_timer(boost::system::error_code ec) {
        --waiter_waits_;
        if (ec == asio::error::operation_aborted)
            return; // re-armed for an earlier deadline, or nothing left to wait for
        const auto now = clock::now();
        for (auto it = waiters_.begin(); it != waiters_.end();) {
            auto next = std::next(it);
            if (it->req->deadline <= now)
                abandon(it, asio::error::timed_out);
            it = next;
        }
        arm_waiter_timer();
    }

    // One timer for the whole pool, set to the earliest moment an idle connection expires.
    void arm_idle_timer() {
        if (idle_timer_armed_)
            return;
        std::optional<clock::time_point> earliest;
        for (const auto& m : members_)
            if (!m.busy && m.conn->is_connected() && (!earliest || m.idle_since < *earliest))
                earliest = m.idle_since;
        if (!earliest)
            return;
        idle_timer_armed_ = true;
        idle_timer_.expires_at(*earliest + options_.idle_timeout);
        std::weak_ptr<https_pool> weak = shared_from_this();
        idle_timer_.async_wait([weak](boost::system::error_code) {
            if (auto pool = weak.lock())
                pool->close_idle_connections();
        });
    }

    void close_idle_connections() {
        idle_timer_armed_ = false;
        const auto now = clock::now();
        for (auto& m : members_)
            if (!m.busy && m.conn->is_connected() && now - m.idle_since >= options_.idle_timeout)
                m.conn->close();
        arm_idle_timer();
    }

    asio::any_io_executor executor_;
    pool_options options_;
    std::shared_ptr<lazy_tls_context> tls_context_;
    asio::steady_timer idle_timer_;
    bool idle_timer_armed_ = false;
    asio::steady_timer waiter_timer_;
    unsigned waiter_waits_ = 0;  // waits on waiter_timer_ not completed yet
    std::deque<member> members_; // grows at the back only: references stay valid
    std::list<waiter> waiters_;
};

CFMAIL_DECL void
start_pooled_exchange(const std::shared_ptr<https_pool>& pool, const http_request& req,
                      http_response& resp,
                      asio::any_completion_handler<void(boost::system::error_code)> handler) {
    pool->start(req, resp, std::move(handler));
}

} // namespace cfmail::detail

namespace cfmail {

CFMAIL_DECL https_transport::https_transport(executor_type ex, https_options opts)
    : conn_(std::make_shared<detail::https_connection>(std::move(ex), std::move(opts))) {}

CFMAIL_DECL https_transport::~https_transport() {
    if (conn_)
        conn_->abort();
}

CFMAIL_DECL https_transport::executor_type https_transport::get_executor() const noexcept {
    return conn_->executor();
}

CFMAIL_DECL const https_options& https_transport::options() const noexcept {
    return conn_->options();
}

CFMAIL_DECL void https_transport::close() {
    conn_->abort();
}

CFMAIL_DECL pooled_https_transport::pooled_https_transport(executor_type ex, pool_options opts)
    : pool_(std::make_shared<detail::https_pool>(std::move(ex), std::move(opts))) {}

CFMAIL_DECL pooled_https_transport::~pooled_https_transport() {
    if (pool_)
        pool_->close();
}

CFMAIL_DECL pooled_https_transport::executor_type
pooled_https_transport::get_executor() const noexcept {
    return pool_->executor();
}

CFMAIL_DECL const pool_options& pooled_https_transport::options() const noexcept {
    return pool_->options();
}

CFMAIL_DECL std::size_t pooled_https_transport::open_connections() const noexcept {
    return pool_->open_connections();
}

CFMAIL_DECL std::size_t pooled_https_transport::waiting_exchanges() const noexcept {
    return pool_->waiting();
}

CFMAIL_DECL void pooled_https_transport::close() {
    pool_->close();
}

CFMAIL_DECL blocking_https_transport::blocking_https_transport(https_options opts)
    : ioc_(std::make_unique<boost::asio::io_context>(1))
    , transport_(std::make_unique<https_transport>(ioc_->get_executor(), std::move(opts))) {}

CFMAIL_DECL blocking_https_transport::~blocking_https_transport() {
    if (transport_)
        transport_->close();
}

CFMAIL_DECL void blocking_https_transport::round_trip(const http_request& req, http_response& resp,
                                                      boost::system::error_code& ec) {
    // The exchange's completion writes here, never into this frame: should it ever finish
    // after this function returned, it would find the state it owns.
    if (!outcome_ || outcome_.use_count() > 1)
        outcome_ = std::make_shared<blocking_outcome>();
    outcome_->done = false;
    transport_->async_round_trip(req, resp, [outcome = outcome_](boost::system::error_code result) {
        outcome->ec = result;
        outcome->done = true;
    });
    using clock = std::chrono::steady_clock;
    // The exchange bounds itself; the backstop is for a step that would escape its timer.
    // run_one_until, not run_for: work left behind (a resolver answer nobody waits for any
    // more) must not hold this call once the exchange is done.
    auto backstop = detail::saturating_add(
        clock::now(),
        detail::saturating_sum(transport_->options().attempt_timeout, std::chrono::seconds(1)));
    if (req.deadline != clock::time_point::max())
        backstop =
            std::min(backstop, detail::saturating_add(req.deadline, std::chrono::seconds(1)));
    ioc_->restart();
    while (!outcome_->done && ioc_->run_one_until(backstop) != 0) {
    }
    if (!outcome_->done) {
        // Closing ends every step of the exchange at once; wait for it to unwind, so that it
        // cannot touch `req` or `resp` after this returns, nor share the connection with the
        // next exchange.
        transport_->close();
        ioc_->restart();
        while (!outcome_->done && ioc_->run_one() != 0) {
        }
        ec = boost::asio::error::timed_out;
        return;
    }
    ec = outcome_->ec;
}

CFMAIL_DECL void blocking_https_transport::close() {
    transport_->close();
}

} // namespace cfmail

#endif
