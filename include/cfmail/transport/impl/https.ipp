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
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <boost/url/parse.hpp>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
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

// The proxy of https_options, parsed once: where to connect, and the Proxy-Authorization value.
struct proxy_endpoint {
    proxy_options options;
    std::string host; // without IPv6 brackets
    std::string port;
    std::string authorization; // "Basic ..." when the URL had a user, else empty

    bool applies_to(std::string_view target_host, std::string_view target_port) const {
        return options.applies_to(target_host, target_port);
    }
};

inline std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// Refuses a proxy URL it cannot use, saying why without repeating the URL: it may hold a
// password.
[[noreturn]] inline void unusable_proxy(const char* why) {
    throw std::invalid_argument(std::string("cfmail: https_options::proxy: ") + why);
}

inline std::optional<proxy_endpoint> parse_proxy(const proxy_options& options) {
    if (options.url.empty())
        return std::nullopt;
    // As with curl, a URL without a scheme is an http:// one.
    std::string text =
        options.url.find("://") == std::string::npos ? "http://" + options.url : options.url;
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed)
        unusable_proxy("not a URL");
    const boost::urls::url_view& url = *parsed;
    if (url.scheme_id() != boost::urls::scheme::http)
        unusable_proxy("only http:// proxies are supported (TLS runs inside the tunnel)");
    if (url.host_type() == boost::urls::host_type::none || url.encoded_host().empty())
        unusable_proxy("no host");
    if (!url.encoded_path().empty() && url.encoded_path() != "/")
        unusable_proxy("a proxy URL has no path");
    if (url.has_query() || url.has_fragment())
        unusable_proxy("a proxy URL has no query or fragment");
    proxy_endpoint out;
    out.options = options;
    out.host = url.host_address();
    if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
        out.host = out.host.substr(1, out.host.size() - 2);
    out.port = url.has_port() ? std::string(url.port()) : "1080";
    if (url.has_port()) {
        const std::string_view digits = url.port();
        unsigned long number = 0;
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), number);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
            number == 0 || number > 65535)
            unusable_proxy("the port is not a number from 1 to 65535");
    }
    if (url.has_userinfo()) {
        const std::string credentials = url.user() + ":" + url.password();
        for (char c : credentials)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                unusable_proxy("the user or password holds a control character");
        out.authorization = "Basic " + base64(credentials);
    }
    return out;
}

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
        , timer_(executor_)
        , proxy_(parse_proxy(options_.proxy)) {}

    const asio::any_io_executor& executor() const noexcept { return executor_; }
    const https_options& options() const noexcept { return options_; }
    bool is_connected() const noexcept { return connected_; }

    void close() {
        resolver_.cancel();
        disarm_deadline();
        boost::system::error_code ignored;
        if (tls_stream_)
            tls_stream_->next_layer().close(ignored);
        if (plain_stream_)
            plain_stream_->close(ignored);
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

    asio::awaitable<boost::system::error_code> connect(const http_request& req, http_response& resp,
                                                       clock::time_point deadline);
    asio::awaitable<boost::system::error_code> open_tunnel(const http_request& req,
                                                           http_response& resp);
    bool idle_connection_is_usable();

    tcp::socket& socket() { return tls_stream_ ? tls_stream_->next_layer() : *plain_stream_; }

    // One timer bounds a whole phase (connecting, then the exchange): when it fires it closes
    // the socket, which ends whatever operation is pending, and the phase reports timed_out.
    // Arming it once per phase, not once per read and write as a timed stream does, keeps
    // timer bookkeeping off each operation.
    void arm_deadline(clock::time_point at) {
        deadline_passed_ = false;
        timer_.expires_at(at);
        timer_.async_wait([weak = weak_from_this(),
                           generation = ++deadline_generation_](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || generation != self->deadline_generation_)
                return; // cancelled, or superseded by a later phase
            self->deadline_passed_ = true;
            self->close();
        });
    }

    void disarm_deadline() {
        ++deadline_generation_; // a wait already completed but not yet run is stale too
        timer_.cancel();
    }

    // A phase's error, as the caller sees it: an operation the deadline cut short timed out.
    boost::system::error_code after_deadline(boost::system::error_code ec) const {
        return ec && deadline_passed_ ? make_error_code(asio::error::timed_out) : ec;
    }

    asio::any_io_executor executor_;
    https_options options_;
    std::shared_ptr<lazy_tls_context> tls_context_;
    tcp::resolver resolver_;
    asio::steady_timer timer_;
    std::uint64_t deadline_generation_ = 0; // of the one deadline wait that counts
    bool deadline_passed_ = false;          // the current phase's deadline closed the socket
    std::optional<beast::ssl_stream<tcp::socket>> tls_stream_;
    std::optional<tcp::socket> plain_stream_;
    bool connected_ = false;
    std::string peer_scheme_, peer_host_, peer_port_;
    exchange_buffers buffers_;
    std::optional<proxy_endpoint> proxy_;
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
inline void drop_unsent_tls_records(beast::ssl_stream<tcp::socket>& stream) noexcept {
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
https_connection::connect(const http_request& req, http_response& resp,
                          clock::time_point deadline) {
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
    // Only HTTPS goes through the proxy: a plain request in its tunnel would show the token
    // and the message to the proxy, and land on the proxy's own loopback.
    const bool via_proxy =
        req.scheme == "https" && proxy_ && proxy_->applies_to(req.host, req.port);
    resolver_.async_resolve(
        via_proxy ? proxy_->host : req.host, via_proxy ? proxy_->port : req.port,
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

    // Connecting, the proxy's tunnel and the TLS handshake share the connect deadline.
    arm_deadline(connect_deadline);
    auto& sock = socket();
    auto [connect_ec, ep] =
        co_await asio::async_connect(sock, endpoints, asio::as_tuple(asio::use_awaitable));
    (void)ep;
    if (connect_ec)
        co_return after_deadline(normalize(connect_ec));
    boost::system::error_code option_ec;
    sock.set_option(tcp::no_delay(true), option_ec);
    if (via_proxy) {
        if (auto ec = co_await open_tunnel(req, resp))
            co_return after_deadline(ec);
    }

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
            co_return after_deadline(normalize(handshake_ec));
        }
    }
    // The last step may have succeeded in the very turn in which the deadline, or a
    // cancellation, closed the socket: the connection is not usable then.
    if (deadline_passed_)
        co_return make_error_code(asio::error::timed_out);
    if (!socket().is_open())
        co_return make_error_code(asio::error::operation_aborted);
    peer_scheme_ = req.scheme;
    peer_host_ = req.host;
    peer_port_ = req.port;
    connected_ = true;
    co_return boost::system::error_code{};
}

// Asks the proxy, on the freshly connected socket, for a tunnel to the request's host. Only
// its answer's head is read: a 2xx opens the tunnel (nothing may follow it before TLS), any
// other status is the proxy's refusal, reported with that status.
inline asio::awaitable<boost::system::error_code>
https_connection::open_tunnel(const http_request& req, http_response& resp) {
    std::string authority =
        req.host.find(':') != std::string::npos ? "[" + req.host + "]" : req.host;
    authority += ':';
    authority += req.port;
    std::string head = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    if (!proxy_->authorization.empty())
        head += "Proxy-Authorization: " + proxy_->authorization + "\r\n";
    head += "\r\n";
    auto& sock = socket();
    auto [write_ec, written] =
        co_await asio::async_write(sock, asio::buffer(head), asio::as_tuple(asio::use_awaitable));
    resp.bytes_written += written;
    if (write_ec)
        co_return normalize(write_ec);
    buffers_.read.clear();
    // Interim (1xx) answers are read past; all the heads together share the usual cap.
    std::size_t head_bytes = 0;
    for (;;) {
        http::response_parser<http::empty_body> answer;
        answer.skip(true); // the body of a refusal is not read: the connection is dropped
        answer.header_limit(static_cast<std::uint32_t>(max_response_head - head_bytes));
        auto [read_ec, read] = co_await http::async_read_header(
            sock, buffers_.read, answer, asio::as_tuple(asio::use_awaitable));
        resp.bytes_read += read;
        head_bytes += read;
        if (read_ec == http::error::header_limit || read_ec == http::error::buffer_overflow)
            co_return make_error_code(error::proxy_refused); // no answer a proxy gives
        // Anything but an HTTP answer (a TLS server, garbage) is no proxy's: asking again would
        // meet the same. A proxy that closed without answering may be restarting.
        if (read_ec && read_ec.category() == make_error_code(http::error::bad_version).category() &&
            read_ec != http::error::end_of_stream && read_ec != http::error::partial_message)
            co_return make_error_code(error::proxy_refused);
        if (read_ec)
            co_return normalize(read_ec);
        const unsigned status = answer.get().result_int();
        if (status >= 100 && status < 200 && status != 101) {
            if (head_bytes >= max_response_head)
                co_return make_error_code(error::proxy_refused);
            continue;
        }
        if (status < 200 || status >= 300) {
            resp.proxy_status = status;
            co_return make_error_code(error::proxy_refused);
        }
        // Bytes after a 2xx, before TLS has begun, are no tunnel: the proxy is not one.
        if (buffers_.read.size() != 0)
            co_return make_error_code(error::proxy_refused);
        co_return boost::system::error_code{};
    }
}

// An idle connection must have nothing to read: a FIN, a reset, a TLS close_notify or stray
// bytes all mean the server is done with it. Checking before writing tells a connection the
// server closed while idle (safe to replace) from one it closed after reading the request
// (the outcome is unknown).
inline bool https_connection::idle_connection_is_usable() {
    // TLS reads the socket in records: bytes that came with the end of the answer (a stray
    // record, a close_notify) may already sit in OpenSSL, where the socket does not show them.
    if (tls_stream_) {
        SSL* ssl = tls_stream_->native_handle();
        if (SSL_pending(ssl) > 0 || BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0)
            return false;
    }
    auto& sock = socket();
    char byte;
    const auto n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

inline asio::awaitable<boost::system::error_code>
https_connection::exchange(const http_request& req, http_response& resp) {
    // A cancellation may come between the start and this first step (co_spawn posts it),
    // when there was nothing to close yet: no name is then resolved, no connection opened.
    if (cancelled)
        co_return make_error_code(asio::error::operation_aborted);
    // The operation's deadline, when sooner, bounds the attempt too.
    // Nothing is written after the operation's deadline, not even on an open connection (a
    // write is attempted at once, before an expired timer could stop it).
    if (clock::now() >= req.deadline)
        co_return make_error_code(asio::error::timed_out);
    const auto deadline =
        std::min(req.deadline, saturating_add(clock::now(), options_.attempt_timeout));
    bool reused = connected_ && peer_scheme_ == req.scheme && peer_host_ == req.host &&
                  peer_port_ == req.port && idle_connection_is_usable();
    for (int round = 0;; ++round) {
        resp.clear();
        if (!reused) {
            close();
            if (auto ec = co_await connect(req, resp, deadline)) {
                close();
                co_return ec;
            }
        }
        // Connecting may have ended in the very turn in which the deadline passed, its timer's
        // handler not yet run: re-arming would forget it, and the write would start at once.
        if (clock::now() >= deadline) {
            close();
            co_return make_error_code(asio::error::timed_out);
        }
        arm_deadline(deadline);
        exchange_progress progress;
        boost::system::error_code ec;
        const std::size_t cap = options_.max_response_size;
        if (tls_stream_)
            ec = co_await http_exchange(*tls_stream_, buffers_, req, resp, cap, progress,
                                        drop_unsent_tls_records);
        else
            ec = co_await http_exchange(*plain_stream_, buffers_, req, resp, cap, progress);
        ec = after_deadline(ec);
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
            disarm_deadline();
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
                       if (failure) {
                           // An exception (an allocation that failed) left the connection
                           // in an unknown state, and its deadline timer armed.
                           conn->close();
                           ec = asio::error::fault;
                       }
                       if (conn->cancelled && ec)
                           ec = asio::error::operation_aborted;
                       asio::dispatch(asio::append(std::move(h), ec));
                   });
}

// A caller's handler with its result: run where the handler's executor runs it, it first
// clears what the pool put in the handler's cancellation slot, which is the caller's to touch.
struct slot_clearing_handler {
    asio::any_completion_handler<void(boost::system::error_code)> handler;
    boost::system::error_code ec;

    void operator()() {
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected())
            slot.clear();
        std::move(handler)(ec);
    }
};

} // namespace cfmail::detail

// The handler's executor and allocator are those of the caller's handler.
template <template <class, class> class Associator, class DefaultCandidate>
struct boost::asio::associator<Associator, cfmail::detail::slot_clearing_handler, DefaultCandidate>
    : Associator<boost::asio::any_completion_handler<void(boost::system::error_code)>,
                 DefaultCandidate> {
    using inner = Associator<boost::asio::any_completion_handler<void(boost::system::error_code)>,
                             DefaultCandidate>;
    static typename inner::type get(const cfmail::detail::slot_clearing_handler& h) noexcept {
        return inner::get(h.handler);
    }
    static auto get(const cfmail::detail::slot_clearing_handler& h,
                    const DefaultCandidate& candidate) noexcept
        -> decltype(inner::get(h.handler, candidate)) {
        return inner::get(h.handler, candidate);
    }
};

namespace cfmail::detail {

// The shared state of pooled_https_transport. Its state is touched only on `executor_`: the
// caller's executor, or a strand over it when pool_options::thread_safe is set. The entry
// points (start, a cancellation, close) hop onto it. A caller's cancellation slot is assigned
// and cleared only in the caller's context (at the start and in the completion), never from
// the pool's side: a slot is not thread-safe. Completion handlers hold the pool alive.
class https_pool : public std::enable_shared_from_this<https_pool> {
public:
    using handler_type = asio::any_completion_handler<void(boost::system::error_code)>;

    https_pool(asio::any_io_executor ex, pool_options opts)
        : caller_executor_(ex)
        , executor_(opts.thread_safe ? asio::any_io_executor(asio::make_strand(ex)) : ex)
        , options_(std::move(opts))
        , tls_context_(std::make_shared<lazy_tls_context>(options_.https.tls))
        , idle_timer_(executor_)
        , waiter_timer_(executor_) {
        if (options_.max_connections == 0)
            throw std::invalid_argument("cfmail: pool_options::max_connections must be > 0");
        (void)parse_proxy(options_.https.proxy); // refused here, not at the first send
        // "Never" as milliseconds::max() must not overflow the timer's clock.
        constexpr std::chrono::milliseconds longest = std::chrono::hours(24 * 365);
        options_.idle_timeout =
            std::clamp(options_.idle_timeout, std::chrono::milliseconds(0), longest);
    }

    const asio::any_io_executor& executor() const noexcept { return caller_executor_; }
    const pool_options& options() const noexcept { return options_; }

    // Without thread_safe, live. With it, as of the pool's last event (an exchange admitted,
    // started or ended, a connection closed): other threads may read them at any time.
    std::size_t waiting() const noexcept {
        return options_.thread_safe ? waiting_count_.load(std::memory_order_relaxed)
                                    : waiters_.size();
    }
    std::size_t open_connections() const noexcept {
        return options_.thread_safe ? open_count_.load(std::memory_order_relaxed) : count_open();
    }

    // Called in the caller's context, where the exchange is initiated.
    void start(const http_request& req, http_response& resp, handler_type handler) {
        const std::uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected()) {
            std::weak_ptr<https_pool> weak = shared_from_this();
            slot.assign([weak, id](asio::cancellation_type type) {
                if (auto pool = weak.lock())
                    pool->on_pool([pool, id, type] { pool->cancel(id, type); });
            });
        }
        // On a strand, the admission is queued before any cancellation the caller can emit
        // afterwards, so a cancellation always finds its exchange (or its completion).
        on_pool([self = shared_from_this(), id, request = &req, response = &resp,
                 h = std::move(handler)]() mutable {
            self->admit(id, *request, *response, std::move(h));
        });
    }

    void close() {
        on_pool([self = shared_from_this()] { self->close_now(); });
    }

private:
    using clock = std::chrono::steady_clock;

    struct member {
        std::shared_ptr<https_connection> conn;
        bool busy = false;
        std::uint64_t exchange_id = 0;
        clock::time_point idle_since{};
    };

    struct waiter {
        std::uint64_t id;
        const http_request* req;
        http_response* resp;
        handler_type handler;
    };

    // Runs `f` where the pool's state may be touched: here, or on the strand.
    template <class F>
    void on_pool(F&& f) {
        if (options_.thread_safe)
            asio::dispatch(executor_, std::forward<F>(f));
        else
            std::forward<F>(f)();
    }

    std::size_t count_open() const noexcept {
        std::size_t open = 0;
        for (const auto& m : members_)
            open += m.conn->is_connected() ? 1 : 0;
        return open;
    }

    // What the getters report to other threads under thread_safe.
    void publish_counts() noexcept {
        if (!options_.thread_safe)
            return;
        open_count_.store(count_open(), std::memory_order_relaxed);
        waiting_count_.store(waiters_.size(), std::memory_order_relaxed);
    }

    void admit(std::uint64_t id, const http_request& req, http_response& resp,
               handler_type handler) {
        if (req.deadline <= clock::now()) { // nothing may start after the deadline
            waiters_.push_back(waiter{id, &req, &resp, std::move(handler)});
            return abandon(std::prev(waiters_.end()), asio::error::timed_out);
        }
        if (member* free = free_member())
            return run(*free, id, req, resp, std::move(handler));
        waiters_.push_back(waiter{id, &req, &resp, std::move(handler)});
        publish_counts();
        if (req.deadline != clock::time_point::max())
            arm_waiter_timer();
    }

    // A waiting exchange leaves the queue at any cancellation (nothing was sent); a running
    // one only at a terminal one, which closes its connection.
    void cancel(std::uint64_t id, asio::cancellation_type type) {
        for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
            if (it->id == id) {
                abandon(it, asio::error::operation_aborted);
                return;
            }
        }
        if ((type & asio::cancellation_type::terminal) == asio::cancellation_type::none)
            return;
        for (auto& m : members_) {
            if (m.busy && m.exchange_id == id) {
                m.conn->abort();
                return;
            }
        }
    }

    void close_now() {
        idle_timer_.cancel();
        stop_waiter_timer();
        for (auto& m : members_) {
            if (m.busy)
                m.conn->abort();
            else
                m.conn->close();
        }
        while (!waiters_.empty())
            abandon(waiters_.begin(), asio::error::operation_aborted);
        publish_counts();
    }

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

    void run(member& m, std::uint64_t id, const http_request& req, http_response& resp,
             handler_type handler) {
        m.busy = true;
        m.exchange_id = id;
        publish_counts();
        auto done = [self = shared_from_this(), conn = m.conn,
                     h = std::move(handler)](boost::system::error_code ec) mutable {
            self->finished(conn);
            self->complete(std::move(h), ec);
        };
        // No cancellation slot here: the caller's is served by cancel(), on this executor.
        start_https_exchange(m.conn, req, resp, asio::bind_executor(executor_, std::move(done)));
    }

    // Hands the caller's handler to its own executor, clearing there what start() put in its
    // cancellation slot. Under thread_safe it is posted, so that no caller's code runs while
    // holding the pool's strand.
    void complete(handler_type handler, boost::system::error_code ec) {
        if (options_.thread_safe)
            asio::post(caller_executor_, slot_clearing_handler{std::move(handler), ec});
        else
            asio::dispatch(slot_clearing_handler{std::move(handler), ec});
    }

    // Hands the connection to the first waiter, or lets it idle.
    void finished(const std::shared_ptr<https_connection>& conn) {
        member* m = nullptr;
        for (auto& candidate : members_)
            if (candidate.conn == conn)
                m = &candidate;
        if (!m)
            return;
        // A waiter whose deadline passed before its timer could say so leaves with nothing
        // sent: it must not be handed a connection.
        const auto now = clock::now();
        while (!waiters_.empty() && waiters_.front().req->deadline <= now)
            abandon(waiters_.begin(), asio::error::timed_out);
        if (!waiters_.empty()) {
            waiter next = std::move(waiters_.front());
            waiters_.pop_front();
            if (waiters_.empty())
                stop_waiter_timer(); // nothing left for it to end
            publish_counts();
            return run(*m, next.id, *next.req, *next.resp, std::move(next.handler));
        }
        if (waiter_timer_live_)
            stop_waiter_timer();
        m->busy = false;
        m->idle_since = clock::now();
        publish_counts();
        arm_idle_timer();
    }

    // Ends a waiting exchange, never inline: it may be ended from its own initiation.
    void abandon(std::list<waiter>::iterator it, boost::system::error_code ec) {
        handler_type handler = std::move(it->handler);
        waiters_.erase(it);
        if (waiters_.empty() && waiter_timer_live_)
            stop_waiter_timer(); // it would only keep the executor busy
        publish_counts();
        asio::post(caller_executor_, slot_clearing_handler{std::move(handler), ec});
    }

    // One timer for every waiter with a deadline (client_options::deadline), set to the
    // earliest; a waiter whose deadline passes leaves the queue with timed_out, nothing sent.
    void arm_waiter_timer() {
        std::optional<clock::time_point> earliest;
        for (const auto& w : waiters_)
            if (w.req->deadline != clock::time_point::max() &&
                (!earliest || w.req->deadline < *earliest))
                earliest = w.req->deadline;
        if (!earliest || (waiter_timer_live_ && waiter_timer_.expiry() <= *earliest))
            return;
        // A wait still pending ends with operation_aborted; its generation is stale by then.
        waiter_timer_.expires_at(*earliest);
        waiter_timer_live_ = true;
        const std::uint64_t generation = ++waiter_timer_generation_;
        std::weak_ptr<https_pool> weak = shared_from_this();
        waiter_timer_.async_wait([weak, generation](boost::system::error_code) {
            if (auto pool = weak.lock(); pool && generation == pool->waiter_timer_generation_)
                pool->on_waiter_timer();
        });
    }

    void stop_waiter_timer() {
        ++waiter_timer_generation_; // whatever wait is pending, it is not this one any more
        waiter_timer_live_ = false;
        waiter_timer_.cancel();
    }

    void on_waiter_timer() {
        waiter_timer_live_ = false;
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
        publish_counts();
        arm_idle_timer();
    }

    asio::any_io_executor caller_executor_;
    asio::any_io_executor executor_; // the caller's, or a strand over it
    pool_options options_;
    std::shared_ptr<lazy_tls_context> tls_context_;
    asio::steady_timer idle_timer_;
    bool idle_timer_armed_ = false;
    asio::steady_timer waiter_timer_;
    bool waiter_timer_live_ = false;            // a wait is pending for the current expiry
    std::uint64_t waiter_timer_generation_ = 0; // of the one wait that counts
    std::deque<member> members_;                // grows at the back only: references stay valid
    std::list<waiter> waiters_;
    std::atomic<std::uint64_t> next_id_{1};
    std::atomic<std::size_t> open_count_{0}, waiting_count_{0};
};

CFMAIL_DECL void
start_pooled_exchange(const std::shared_ptr<https_pool>& pool, const http_request& req,
                      http_response& resp,
                      asio::any_completion_handler<void(boost::system::error_code)> handler) {
    pool->start(req, resp, std::move(handler));
}

} // namespace cfmail::detail

namespace cfmail {

namespace detail {

inline std::string_view trim_blanks(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// The first `bits` bits of two addresses of the same family are equal.
inline bool same_prefix(const asio::ip::address& a, const asio::ip::address& b,
                        unsigned bits) noexcept {
    if (a.is_v4() != b.is_v4())
        return false;
    if (a.is_v4()) {
        if (bits > 32)
            return false;
        const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t(0) << (32 - bits);
        return (a.to_v4().to_uint() & mask) == (b.to_v4().to_uint() & mask);
    }
    if (bits > 128)
        return false;
    const auto x = a.to_v6().to_bytes(), y = b.to_v6().to_bytes();
    for (unsigned i = 0; i < 16 && bits > 0; ++i, bits = bits > 8 ? bits - 8 : 0) {
        const unsigned char mask =
            bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
        if ((x[i] & mask) != (y[i] & mask))
            return false;
    }
    return true;
}

// One entry of a NO_PROXY list against a host (lower case, no trailing dot) and port.
inline bool no_proxy_entry_matches(std::string_view entry, std::string_view host,
                                   const std::optional<asio::ip::address>& host_address,
                                   std::string_view port) {
    std::string_view name = entry, entry_port;
    if (!entry.empty() && entry.front() == '[') { // [v6]:port
        const auto close = entry.find(']');
        if (close == std::string_view::npos)
            return false;
        name = entry.substr(1, close - 1);
        if (close + 1 < entry.size()) {
            if (entry[close + 1] != ':')
                return false;
            entry_port = entry.substr(close + 2);
        }
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) { // name:port, v4:port
        const auto colon = entry.find(':');
        name = entry.substr(0, colon);
        entry_port = entry.substr(colon + 1);
    }
    if (!entry_port.empty() && entry_port != port)
        return false;

    if (const auto slash = name.find('/'); slash != std::string_view::npos) { // a CIDR range
        boost::system::error_code ec;
        const auto network = asio::ip::make_address(std::string(name.substr(0, slash)), ec);
        const std::string_view length = name.substr(slash + 1);
        unsigned bits = 0;
        const auto [end, parse_ec] =
            std::from_chars(length.data(), length.data() + length.size(), bits);
        if (ec || parse_ec != std::errc{} || end != length.data() + length.size() || length.empty())
            return false;
        // As with curl, a /0 range is no wildcard: it names its address alone.
        return host_address &&
               (bits == 0 ? *host_address == network : same_prefix(network, *host_address, bits));
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(std::string(name), ec);
    if (!ec) // an IP literal names exactly that address
        return host_address && *host_address == address;
    if (host_address) // an address is never matched by name
        return false;

    // A name: itself and its subdomains; a leading dot is ignored, case is not compared.
    while (!name.empty() && name.front() == '.')
        name.remove_prefix(1);
    while (!name.empty() && name.back() == '.')
        name.remove_suffix(1);
    if (name.empty() || name.size() > host.size())
        return false;
    const std::string_view tail = host.substr(host.size() - name.size());
    if (!std::equal(tail.begin(), tail.end(), name.begin(), name.end(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
        }))
        return false;
    return tail.size() == host.size() || host[host.size() - name.size() - 1] == '.';
}

// As curl reads them: the lower-case variable when it is set at all (empty: none), else the
// upper-case one.
inline const char* environment_value(const char* lower, const char* upper) {
    if (const char* value = std::getenv(lower))
        return value;
    return std::getenv(upper);
}

} // namespace detail

CFMAIL_DECL proxy_options proxy_options::from_environment() {
    proxy_options options;
    if (const char* url = detail::environment_value("https_proxy", "HTTPS_PROXY"))
        options.url = url;
    if (const char* list = detail::environment_value("no_proxy", "NO_PROXY"))
        options.no_proxy = list;
    return options;
}

CFMAIL_DECL bool proxy_options::applies_to(std::string_view host, std::string_view port) const {
    if (url.empty())
        return false;
    while (!host.empty() && host.back() == '.')
        host.remove_suffix(1);
    std::optional<boost::asio::ip::address> host_address;
    boost::system::error_code ec;
    if (auto address = boost::asio::ip::make_address(std::string(host), ec); !ec)
        host_address = address;
    if (detail::trim_blanks(no_proxy) == "*") // the one wildcard, alone
        return false;
    std::string_view rest = no_proxy;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view entry = detail::trim_blanks(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (!entry.empty() && entry != "*" &&
            detail::no_proxy_entry_matches(entry, host, host_address, port))
            return false;
    }
    return true;
}

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
