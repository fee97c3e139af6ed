// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_OPTIONS_HPP
#define CFMAIL_OPTIONS_HPP

/// @file options.hpp
/// What a client can be configured with: endpoint, default account, limits, retry policy, user
/// agent.

#include <cfmail/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <string>

namespace cfmail {

struct attempt_event;

/// Called at the start and at the end of every attempt of every operation (see observer.hpp for
/// the event and two ready observers). It runs on the thread that runs the operation, so one
/// observer shared by clients on several threads must be thread-safe; it must not throw.
using attempt_observer = std::function<void(const attempt_event&)>;

/// When and how a failed attempt is repeated. Sending email is not idempotent and the API has
/// no idempotency key, so by default only attempts that provably sent nothing are repeated:
/// a failure before the request was written, HTTP 429, and HTTP 500 with a Cloudflare error
/// envelope (which the API documents as "nothing sent").
struct retry_policy {
    /// Retries after the first attempt; 0 disables retries.
    unsigned max_retries = 2;
    /// Backoff before the first retry; doubles for each further one.
    std::chrono::milliseconds initial_backoff{500};
    /// Upper bound of the backoff.
    std::chrono::milliseconds max_backoff{8000};
    /// Fraction (0..1) by which each backoff is randomly shortened, to spread retries.
    double jitter = 0.25;
    /// The longest `Retry-After` honoured. A 429 that asks for longer is reported at once
    /// instead of waited for; a retried 500 that asks for longer waits the backoff instead.
    std::chrono::milliseconds max_retry_after{60000};
    /// Also retry when the outcome is unknown (timeout or reset after the request was written,
    /// any 5xx without a Cloudflare error envelope). This can send the same email twice: opt in
    /// only when a duplicate is better than a loss.
    bool retry_outcome_unknown = false;
};

/// The largest message the API accepts at all (to verified destination addresses).
inline constexpr std::size_t max_message_size_limit = 25u * 1024u * 1024u;

/// No deadline: client_options::deadline's default.
inline constexpr std::chrono::milliseconds no_deadline = std::chrono::milliseconds::max();

/// Options of a basic_client. The defaults fit the public API.
struct client_options {
    /// The API's base URL. `https` is required; plain `http` is accepted only for a loopback
    /// host (127.0.0.0/8, ::1, localhost), so credentials never cross a network in clear.
    /// A trailing `/` is fine.
    std::string base_url = "https://api.cloudflare.com/client/v4";
    /// Sent as `User-Agent`.
    std::string user_agent = "cfmail/" CFMAIL_VERSION_STRING;
    /// Most recipients in one request; the API allows 50.
    std::size_t max_recipients = 50;
    /// Largest MIME message in bytes; the API allows 5 MiB, and up to 25 MiB
    /// (max_message_size_limit) for verified destination addresses. Larger values are capped.
    std::size_t max_message_size = 5u * 1024u * 1024u;
    /// When to retry.
    cfmail::retry_policy retry;
    /// The account id used by a request whose `account_id` is empty; the same rules apply to
    /// it. Empty: every request names its account.
    std::string account_id;
    /// Bound on each whole operation: resolving and connecting, waiting for a pooled
    /// connection, every attempt and every wait between attempts. When it passes, the operation
    /// ends with `boost::asio::error::timed_out` (and `may_have_been_sent()` true exactly when
    /// an attempt may have reached the API); a retry whose wait would outlast it is not made,
    /// and the operation ends so at once. A call can set its own with cfmail::with_deadline.
    /// Zero or less fails at once, before any I/O; no_deadline (the default) means none.
    std::chrono::milliseconds deadline = no_deadline;
    /// Observes every attempt (see observer.hpp); empty (the default) costs nothing.
    attempt_observer observer;

    /// The defaults, with `account_id` from `CLOUDFLARE_ACCOUNT_ID` and `base_url` from
    /// `CLOUDFLARE_BASE_URL` when those are set and not empty.
    static client_options from_environment() {
        client_options opts;
        if (const char* account = std::getenv("CLOUDFLARE_ACCOUNT_ID"); account && *account)
            opts.account_id = account;
        if (const char* base_url = std::getenv("CLOUDFLARE_BASE_URL"); base_url && *base_url)
            opts.base_url = base_url;
        return opts;
    }
};

} // namespace cfmail

#endif
