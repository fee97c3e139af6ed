// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_ERROR_HPP
#define CFMAIL_ERROR_HPP

/// @file error.hpp
/// The exception thrown by the throwing overloads, and questions to ask of a failure.
/// The error codes themselves are in error_code.hpp, included here.

#include <cfmail/config.hpp>
#include <cfmail/diagnostics.hpp>
#include <cfmail/error_code.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>

namespace cfmail {

/// True when the API said to slow down: HTTP 429 or Cloudflare code 10004.
CFMAIL_DECL bool is_rate_limited(const boost::system::error_code& ec,
                                 const diagnostics& diag) noexcept;

/// True when the credentials were rejected or lack a permission: HTTP 401 or 403, or one of
/// Cloudflare's authentication codes (10101, 10102, 10103, 10105, 6003, 6103), or no
/// credentials at all. Not for a 403 that says sending is disabled or the sender domain is
/// not configured (10203, 10204): the credentials are fine there.
CFMAIL_DECL bool is_auth_failure(const boost::system::error_code& ec,
                                 const diagnostics& diag) noexcept;

/// True when the request itself was at fault: rejected locally (error::invalid_request) or
/// answered with HTTP 400.
CFMAIL_DECL bool is_bad_request(const boost::system::error_code& ec,
                                const diagnostics& diag) noexcept;

/// False only when cfmail knows that the API did not send the email: an answer the API
/// documents as "nothing sent", an invalid request, a failure before the request was written
/// (a certificate failure included), in every attempt of the send. True on success, for
/// error::outcome_unknown, error::bad_response and error::response_too_large, and whenever
/// an earlier attempt of the same send may have reached the API
/// (diagnostics::unanswered_request), whatever the last attempt's error.
CFMAIL_DECL bool may_have_been_sent(const boost::system::error_code& ec,
                                    const diagnostics& diag) noexcept;

/// True when the server's certificate failed verification (error::certificate_untrusted,
/// certificate_name_mismatch, certificate_expired, certificate_rejected): a configuration
/// problem that no retry can fix.
CFMAIL_DECL bool is_certificate_failure(const boost::system::error_code& ec) noexcept;

/// What a caller that queues work should do after an operation, whatever failed.
enum class next_step {
    /// It succeeded.
    done,
    /// Nothing was sent and a later attempt can succeed (throttling, a network failure before
    /// the request was written, a documented "nothing sent" 5xx, a cancellation): retry after
    /// decision::retry_after when it is set, else after a backoff of your own.
    retry_later,
    /// Nothing was sent and the request itself is wrong (invalid locally, HTTP 400, a
    /// suppressed recipient): never retry it as it is.
    fix_request,
    /// Nothing was sent and no request can succeed until an operator acts: credentials,
    /// permissions, the account id, sending disabled or the sender domain not configured, the
    /// base URL, the trusted certificates. Stop every send until fixed.
    fix_configuration,
    /// The email may have gone out (no answer after the request was written, an unreadable
    /// answer, an undocumented 5xx): do not resend blindly; reconcile first.
    reconcile,
};

/// The answer of what_now().
struct decision {
    /// What to do.
    next_step step = next_step::done;
    /// For retry_later: the delay the server asked for, when it did.
    std::optional<std::chrono::milliseconds> retry_after;
};

/// Decides what to do after an operation from its outcome: the one question a job queue asks.
/// See the guide's table for every documented Cloudflare code, cfmail error and transport
/// error. A 404 means that what was addressed does not exist: for a send, the account
/// (fix_configuration); for a suppression lookup or delete, the entry.
CFMAIL_DECL decision what_now(const boost::system::error_code& ec,
                              const diagnostics& diag) noexcept;

/// The step's name, e.g. `"retry_later"`, for logs.
CFMAIL_DECL const char* to_string(next_step step) noexcept;

/// Thrown by the throwing overloads for every failure (an API refusal, a network error, an
/// invalid request): the error code plus the full diagnostics of the operation. `what()` names
/// the error, the HTTP status, the `cf-ray` id and every Cloudflare error, never a credential.
class error_with_diagnostics : public boost::system::system_error {
public:
    /// Builds the exception from the error and the diagnostics of the failed operation.
    CFMAIL_DECL error_with_diagnostics(boost::system::error_code ec, diagnostics diag);

    /// Everything known about the failed send.
    const diagnostics& diag() const noexcept { return diag_; }

    /// True when the API said to slow down (HTTP 429 or Cloudflare code 10004).
    bool rate_limited() const noexcept { return is_rate_limited(code(), diag_); }
    /// True when the credentials were rejected or lack the permission (401/403).
    bool auth_failure() const noexcept { return is_auth_failure(code(), diag_); }
    /// True when the request itself was at fault (invalid locally, or HTTP 400).
    bool bad_request() const noexcept { return is_bad_request(code(), diag_); }
    /// False only when cfmail knows that nothing was sent.
    bool may_have_been_sent() const noexcept { return cfmail::may_have_been_sent(code(), diag_); }

    /// `cfmail: <error message>: <diagnostics>`; never a credential.
    const char* what() const noexcept override { return what_.c_str(); }

private:
    diagnostics diag_;
    std::string what_;
};

/// The former name of error_with_diagnostics.
using api_error [[deprecated("use error_with_diagnostics")]] = error_with_diagnostics;

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/error.ipp>
#endif

#endif
