// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_SEND_ALGORITHM_HPP
#define CFMAIL_DETAIL_SEND_ALGORITHM_HPP

// The protocol core: everything that is the API's business, without any I/O. Every driver
// (blocking, asynchronous, and thereby the mock and the real transports) runs this one
// algorithm, so they cannot disagree about validation, the wire format or retries.

#include <cfmail/config.hpp>
#include <cfmail/credentials.hpp>
#include <cfmail/detail/json_escape.hpp>
#include <cfmail/diagnostics.hpp>
#include <cfmail/http_message.hpp>
#include <cfmail/options.hpp>
#include <cfmail/types.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <random>
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

// Checks a request against the API's rules and the client's limits. On failure returns
// error::invalid_request and names the field in `why`.
CFMAIL_DECL boost::system::error_code
validate_request(const send_raw_request& req, const client_options& opts, std::string& why);

// Fills `out` with the HTTP request for `req`; `req` must have passed validate_request. With
// `stream_message`, the message is left to the transport (http_request::json_string_tail)
// instead of being escaped into `body`.
CFMAIL_DECL void build_request(const send_raw_request& req, const endpoint& ep,
                               const credentials& creds, const client_options& opts,
                               http_request& out, bool stream_message = false);

// The delay asked for by `retry-after-ms` (milliseconds, may be fractional) or, failing that,
// `Retry-After` (delta-seconds or an HTTP date, relative to `now`); nullopt when neither parses.
CFMAIL_DECL std::optional<std::chrono::milliseconds>
parse_retry_after(const http_response& resp, std::chrono::system_clock::time_point now);

// Backoff before retry number `retry` (0-based): initial * 2^retry, capped, shortened by up to
// `jitter` using `unit_random` in [0, 1).
CFMAIL_DECL std::chrono::milliseconds backoff_delay(const retry_policy& policy, unsigned retry,
                                                    double unit_random) noexcept;

// The configuration a client fixes at construction and every send reads.
struct client_config {
    client_options options;
    cfmail::credentials creds;
    endpoint ep;
    boost::system::error_code endpoint_error; // set when options.base_url is unusable
    std::string endpoint_why;
    bool stream_message = false; // the transport writes json_string_tail itself

    CFMAIL_DECL client_config(cfmail::credentials c, client_options o);
};

// What the driver must do next.
struct next_action {
    enum class kind {
        round_trip, // run request() through the transport into response(), then resume(ec)
        wait,       // wait `delay`, then resume(ec) (operation_aborted when cancelled)
        done,       // finished with `ec`; on success result() holds the answer
    };
    kind what = kind::done;
    std::chrono::milliseconds delay{0};
    boost::system::error_code ec;
};

// Names the action, for test reports and debugging.
inline std::ostream& operator<<(std::ostream& os, next_action::kind k) {
    switch (k) {
    case next_action::kind::round_trip:
        return os << "round_trip";
    case next_action::kind::wait:
        return os << "wait";
    case next_action::kind::done:
        return os << "done";
    }
    return os << "unknown";
}

// One send, as a state machine. Drivers call start() once, then resume() with the outcome of
// each action until it answers `done`. Buffers are kept between sends so a client that sends
// repeatedly does not reallocate them.
class send_algorithm {
public:
    explicit send_algorithm(const client_config& cfg)
        : cfg_(&cfg)
        , rng_(std::random_device{}()) {}

    // Begins a send. `req` and `diag` must outlive it.
    CFMAIL_DECL next_action start(const send_raw_request& req, diagnostics& diag);

    // Continues after the last action, with its error (empty on success).
    CFMAIL_DECL next_action resume(boost::system::error_code ec);

    // Ends the send with operation_aborted, after a cancellation.
    CFMAIL_DECL next_action abort();

    http_request& request() noexcept { return request_; }
    http_response& response() noexcept { return response_; }
    send_raw_result& result() noexcept { return result_; }

    // For tests: makes jitter deterministic.
    void seed(std::uint32_t value) { rng_.seed(value); }

private:
    enum class state { idle, awaiting_response, awaiting_wait };

    next_action finish(boost::system::error_code ec);
    next_action retry_after(std::chrono::milliseconds delay);
    bool retries_left() const noexcept;
    std::chrono::milliseconds next_backoff();
    next_action on_transport_error(boost::system::error_code ec);
    next_action on_answer();

    const client_config* cfg_;
    std::minstd_rand rng_;
    state state_ = state::idle;
    const send_raw_request* req_ = nullptr;
    diagnostics* diag_ = nullptr;
    unsigned retries_ = 0;
    http_request request_;
    http_response response_;
    send_raw_result result_;
    alignas(std::max_align_t) unsigned char json_buffer_[4096]; // the answer's JSON document
};

} // namespace cfmail::detail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/send_algorithm.ipp>
#endif

#endif
