// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_EXCHANGE_HPP
#define CFMAIL_DETAIL_EXCHANGE_HPP

// The protocol core: one exchange machine, without any I/O, for every endpoint. It does what
// all operations share (credentials and headers, the envelope, diagnostics, retries,
// Retry-After) and asks the operation's descriptor, through a small type-erased table, for the
// rest. Every driver (blocking, asynchronous, and thereby the mock and the real transports)
// runs this one machine, so they cannot disagree about validation, the wire format or retries.

#include <cfmail/config.hpp>
#include <cfmail/credentials.hpp>
#include <cfmail/diagnostics.hpp>
#include <cfmail/http_message.hpp>
#include <cfmail/operation.hpp>
#include <cfmail/options.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace cfmail::detail {

// Where requests go, parsed once from client_options::base_url.
struct endpoint {
    std::string scheme;
    std::string host;        // without IPv6 brackets: what to resolve and the SNI name
    std::string port;        // digits, defaulted from the scheme
    std::string host_header; // `Host` field value: brackets and non-default port included
    std::string base_path;   // percent-encoded, without a trailing '/'
};

// Parses and checks a base URL: absolute, https (or http to a loopback host), no user info,
// query or fragment. On failure returns error::invalid_request and explains in `why`.
CFMAIL_DECL boost::system::error_code parse_base_url(std::string_view url, endpoint& out,
                                                     std::string& why);

// The delay asked for by `retry-after-ms` (milliseconds, may be fractional) or, failing that,
// `Retry-After` (delta-seconds or an HTTP date, relative to `now`); nullopt when neither parses.
CFMAIL_DECL std::optional<std::chrono::milliseconds>
parse_retry_after(const http_response& resp, std::chrono::system_clock::time_point now);

// Backoff before retry number `retry` (0-based): initial * 2^retry, capped, shortened by up to
// `jitter` using `unit_random` in [0, 1).
CFMAIL_DECL std::chrono::milliseconds backoff_delay(const retry_policy& policy, unsigned retry,
                                                    double unit_random) noexcept;

// The configuration a client fixes at construction and every operation reads.
struct client_config {
    client_options options;
    cfmail::credentials creds;
    endpoint ep;
    boost::system::error_code endpoint_error; // set when options.base_url is unusable
    std::string endpoint_why;
    bool stream_body = false; // the transport pulls streamed body parts itself

    CFMAIL_DECL client_config(cfmail::credentials c, client_options o);
};

// What the driver must do next.
struct next_action {
    enum class kind {
        round_trip, // run request() through the transport into response(), then resume(ec)
        wait,       // wait `delay`, then resume(ec) (operation_aborted when cancelled)
        done,       // finished with `ec`; on success the result is filled
    };
    kind what = kind::done;
    std::chrono::milliseconds delay{0};
    boost::system::error_code ec;
};

// Names the action, for test reports and debugging.
CFMAIL_DECL std::ostream& operator<<(std::ostream& os, next_action::kind k);

// A descriptor seen through function pointers, so that the machine is compiled once.
struct operation_vtable {
    std::string_view name;
    std::string_view method;
    repeat_safety repeat;
    std::string_view (*account_id)(const void* request);
    boost::system::error_code (*prepare)(const void* request, const client_options& opts,
                                         request_parts& parts, std::string& why);
    bool (*read)(const boost::json::value& result, const std::optional<result_info>& info,
                 void* out);
    void (*reset)(void* out);
};

template <operation_descriptor Op>
inline constexpr operation_vtable vtable_for = {
    Op::name,
    Op::method,
    Op::repeat,
    [](const void* request) -> std::string_view {
        return static_cast<const typename Op::request_type*>(request)->account_id;
    },
    [](const void* request, const client_options& opts, request_parts& parts,
       std::string& why) -> boost::system::error_code {
        return Op::prepare(*static_cast<const typename Op::request_type*>(request), opts, parts,
                           why);
    },
    [](const boost::json::value& result, const std::optional<result_info>& info, void* out) {
        return Op::read(result, info, *static_cast<typename Op::result_type*>(out));
    },
    [](void* out) { *static_cast<typename Op::result_type*>(out) = {}; },
};

// One operation in flight, type-erased: its descriptor, its request, where its result goes,
// and its own deadline when the call set one (otherwise client_options::deadline applies).
struct operation_call {
    const operation_vtable* op;
    const void* request;
    void* result;
    std::optional<std::chrono::milliseconds> deadline = std::nullopt;
};

// Builds the whole HTTP request of `call` into `out`: the descriptor's parts, then the base
// URL, headers and credentials. Checks the account id and the header inputs first; on failure
// returns error::invalid_request with the reason in `why`.
CFMAIL_DECL boost::system::error_code build_http_request(const operation_call& call,
                                                         const client_config& cfg,
                                                         http_request& out, std::string& why);

// One operation, as a state machine. Drivers call start() once, then resume() with the outcome
// of each action until it answers `done`. Buffers are kept between operations so that a client
// used repeatedly does not reallocate them.
class exchange_machine {
public:
    // Seeds the jitter from std::random_device.
    CFMAIL_DECL explicit exchange_machine(const client_config& cfg);

    // Begins an operation. What `call` points to, and `diag`, must outlive it.
    CFMAIL_DECL next_action start(const operation_call& call, diagnostics& diag);

    // Continues after the last action, with its error (empty on success).
    CFMAIL_DECL next_action resume(boost::system::error_code ec);

    // Ends the operation with operation_aborted, after a cancellation.
    CFMAIL_DECL next_action abort();

    http_request& request() noexcept { return request_; }
    http_response& response() noexcept { return response_; }

    // For tests: makes jitter deterministic.
    void seed(std::uint32_t value) noexcept { jitter_seed_ = value; }

private:
    enum class state { idle, awaiting_response, awaiting_wait };
    using clock = std::chrono::steady_clock;

    next_action start_attempt();
    next_action finish(boost::system::error_code ec);
    next_action deadline_passed(bool written);
    next_action end_between_attempts(boost::system::error_code ec);
    void notify_attempt_end(boost::system::error_code transport_ec, const next_action& next,
                            unsigned attempt);
    next_action retry_after(std::chrono::milliseconds delay);
    bool retries_left() const noexcept;
    bool repeat_safe() const noexcept { return call_.op->repeat == repeat_safety::safe; }
    std::chrono::milliseconds next_backoff();
    next_action on_transport_error(boost::system::error_code ec);
    next_action on_answer();

    const client_config* cfg_;
    // The state of the std::minstd_rand that draws the jitter, kept as the seed that restores
    // it, so that this header need not include <random>.
    std::uint_fast32_t jitter_seed_;
    state state_ = state::idle;
    operation_call call_{};
    diagnostics* diag_ = nullptr;
    unsigned retries_ = 0;
    clock::time_point deadline_ = clock::time_point::max();
    clock::time_point attempt_started_; // kept only when an observer is set
    http_request request_;
    http_response response_;
    alignas(std::max_align_t) unsigned char json_buffer_[4096]; // the answer's JSON document
};

// The machine with the typed request and result of one descriptor: what a test steps by hand.
template <operation_descriptor Op>
class operation_algorithm {
public:
    explicit operation_algorithm(const client_config& cfg)
        : machine_(cfg) {}

    next_action start(const typename Op::request_type& req, diagnostics& diag,
                      std::optional<std::chrono::milliseconds> deadline = std::nullopt) {
        return machine_.start({&vtable_for<Op>, &req, &result_, deadline}, diag);
    }
    next_action resume(boost::system::error_code ec) { return machine_.resume(ec); }
    next_action abort() { return machine_.abort(); }

    http_request& request() noexcept { return machine_.request(); }
    http_response& response() noexcept { return machine_.response(); }
    typename Op::result_type& result() noexcept { return result_; }
    void seed(std::uint32_t value) { machine_.seed(value); }

private:
    exchange_machine machine_;
    typename Op::result_type result_{};
};

} // namespace cfmail::detail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/exchange.ipp>
#endif

#endif
