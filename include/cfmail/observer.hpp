// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_OBSERVER_HPP
#define CFMAIL_OBSERVER_HPP

/// @file observer.hpp
/// Observing every attempt of every operation (client_options::observer): the event, and two
/// ready observers, one writing JSON lines and one keeping totals for a metrics exporter.

#include <cfmail/config.hpp>
#include <cfmail/envelope.hpp>
#include <cfmail/options.hpp>

#include <boost/system/error_code.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <span>
#include <string_view>

namespace cfmail {

/// Which moment of an attempt an attempt_event reports.
enum class attempt_phase {
    started, ///< The request is about to be handed to the transport.
    ended,   ///< The transport finished, and the client decided what comes next.
    /// The operation ended between attempts, during the wait before a retry (cancelled, its
    /// client destroyed, its deadline passed): no attempt follows, and `outcome` says how it
    /// ends. Only `operation`, `attempt` (the last one made), `outcome` and
    /// `may_have_been_sent` are set.
    abandoned,
};

/// One attempt (one HTTP exchange) of an operation, as client_options::observer sees it. It
/// never carries a credential, a header of the request, or any body: only what identifies the
/// attempt and what came of it. The views are valid during the call only.
struct attempt_event {
    /// Started or ended.
    attempt_phase phase = attempt_phase::started;
    /// The operation's name, e.g. `send_raw`, `list_suppressions`.
    std::string_view operation;
    /// 1 for the first attempt of the operation, 2 for the first retry, ...
    unsigned attempt = 1;

    /// Ended: the HTTP status, 0 when no answer came.
    unsigned http_status = 0;
    /// Ended: the answer's `cf-ray` (Cloudflare's request id), empty when none.
    std::string_view cf_ray;
    /// Ended: the entries of the answer's `errors` (Cloudflare's codes and messages).
    std::span<const api_message> errors;
    /// Ended: bytes of the request the transport wrote (0 from a transport that does not count).
    std::size_t bytes_written = 0;
    /// Ended: bytes of the answer the transport read, head included.
    std::size_t bytes_read = 0;
    /// Ended: time from the start of the attempt to its end.
    std::chrono::nanoseconds duration{0};
    /// Ended: true when any byte of the request may have reached the server.
    bool request_written = false;
    /// Ended: the transport's error, when the exchange failed without an answer.
    boost::system::error_code transport_error;
    /// Ended: true when the client will make another attempt after `retry_delay`.
    bool retrying = false;
    /// Ended, when retrying: the wait before the next attempt.
    std::chrono::milliseconds retry_delay{0};
    /// Ended when not retrying, and abandoned: how the operation ends (empty on success).
    boost::system::error_code outcome;
    /// Ended when not retrying, and abandoned: true when the operation failed, yet an attempt
    /// may have reached the API (cfmail::may_have_been_sent).
    bool may_have_been_sent = false;
};

/// An observer that writes one JSON object per event, one per line, to a stream, e.g.
/// `{"event":"attempt_ended","operation":"send_raw","attempt":1,"http_status":429,...}`.
/// Copies share the stream and a mutex, so one observer may serve operations on many threads;
/// the stream must outlive every client using it.
class json_lines_observer {
public:
    /// Writes to `out`.
    explicit json_lines_observer(std::ostream& out)
        : shared_(std::make_shared<shared>(out)) {}

    /// Writes `event` as one line, in one write to the stream; when it reaches the file is the
    /// stream's buffering to decide (`std::clog` writes at once, an `std::ofstream` when its
    /// buffer fills).
    CFMAIL_DECL void operator()(const attempt_event& event) const;

    /// The line written for `event`, without its line break.
    CFMAIL_DECL static std::string format(const attempt_event& event);

private:
    struct shared {
        explicit shared(std::ostream& o)
            : out(&o) {}
        std::ostream* out;
        std::mutex mutex;
        std::string line; // reused under the mutex
    };
    std::shared_ptr<shared> shared_;
};

/// Totals of every attempt, kept with atomic counters so that a metrics exporter may read them
/// from any thread while operations run on others. Copies share the totals: give one copy to
/// client_options::observer and keep another to read.
class attempt_metrics {
public:
    /// Upper bounds of the duration histogram's buckets, in seconds (those of Prometheus's
    /// default histogram); a last bucket counts the longer attempts.
    static constexpr std::array<double, 11> duration_bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5,   1.0,  2.5,   5.0,  10.0};

    /// The totals at one moment.
    struct totals {
        /// Attempts started.
        std::uint64_t attempts_started = 0;
        /// Attempts ended.
        std::uint64_t attempts_ended = 0;
        /// Attempts answered 2xx.
        std::uint64_t answered_2xx = 0;
        /// Attempts answered 429 (throttled).
        std::uint64_t answered_429 = 0;
        /// Attempts answered with another 4xx (or 1xx, 3xx).
        std::uint64_t answered_4xx = 0;
        /// Attempts answered 5xx.
        std::uint64_t answered_5xx = 0;
        /// Attempts that ended without an answer (timeout, reset, refused connection, ...).
        std::uint64_t transport_errors = 0;
        /// Attempts followed by a retry.
        std::uint64_t retries = 0;
        /// Operations that ended in success.
        std::uint64_t operations_succeeded = 0;
        /// Operations that ended in failure.
        std::uint64_t operations_failed = 0;
        /// Failed operations whose request may have taken effect (the email may have gone).
        std::uint64_t outcomes_unknown = 0;
        /// Entries in the answers' `errors`.
        std::uint64_t api_errors = 0;
        /// Request bytes written.
        std::uint64_t bytes_written = 0;
        /// Answer bytes read.
        std::uint64_t bytes_read = 0;
        /// Attempts per duration bucket (not cumulative): bucket i counts durations at most
        /// `duration_bounds[i]` and over the bound before; the last counts the rest.
        std::array<std::uint64_t, duration_bounds.size() + 1> duration_buckets{};
        /// Sum of all attempt durations, in seconds.
        double duration_seconds_sum = 0;
    };

    /// Fresh totals, all zero.
    attempt_metrics()
        : counters_(std::make_shared<counters>()) {}

    /// Counts `event`.
    CFMAIL_DECL void operator()(const attempt_event& event) const noexcept;

    /// The totals now (each counter read atomically; counters of an event counted meanwhile
    /// may be partly included).
    CFMAIL_DECL totals snapshot() const noexcept;

private:
    struct counters {
        std::atomic<std::uint64_t> attempts_started{0}, attempts_ended{0}, answered_2xx{0},
            answered_429{0}, answered_4xx{0}, answered_5xx{0}, transport_errors{0}, retries{0},
            operations_succeeded{0}, operations_failed{0}, outcomes_unknown{0}, api_errors{0},
            bytes_written{0}, bytes_read{0}, duration_nanoseconds{0};
        std::array<std::atomic<std::uint64_t>, duration_bounds.size() + 1> buckets{};
    };
    std::shared_ptr<counters> counters_;
};

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/observer.ipp>
#endif

#endif
