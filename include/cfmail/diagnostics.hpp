// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DIAGNOSTICS_HPP
#define CFMAIL_DIAGNOSTICS_HPP

/// @file diagnostics.hpp
/// Everything known about a finished send, beside its error_code. Never holds a secret.

#include <cfmail/config.hpp>
#include <cfmail/envelope.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace cfmail {

/// What went wrong, in full: filled by every send (also on success, where `errors` is empty but
/// `messages` may not be). It describes the last attempt, except `attempts` and
/// `unanswered_request`, which cover all of them.
class diagnostics {
public:
    /// HTTP status of the last answer; 0 when no answer was received.
    unsigned http_status = 0;
    /// The `cf-ray` header of the last answer (Cloudflare's request id, for support tickets).
    std::string cf_ray;
    /// Every entry of the last envelope's `errors`.
    std::vector<api_message> errors;
    /// Every entry of the last envelope's `messages`.
    std::vector<api_message> messages;
    /// The delay the server asked for (`retry-after-ms` or `Retry-After`), when it did.
    std::optional<std::chrono::milliseconds> retry_after;
    /// Number of HTTP attempts made (0 when the request was rejected before any I/O).
    unsigned attempts = 0;
    /// The transport's own error behind error::outcome_unknown, or the last transport error
    /// that led to a retry (e.g. a timeout, a reset).
    boost::system::error_code transport_error;
    /// The status with which an HTTP proxy refused to open the tunnel (error::proxy_refused)
    /// in the last attempt; 0 when none did, or when its answer was no HTTP answer.
    unsigned proxy_status = 0;
    /// True when any attempt of the send, not only the last, wrote the request and got no
    /// answer that proves nothing was sent: the email may have gone out.
    bool unanswered_request = false;
    /// A human-readable explanation from cfmail itself, e.g. the invalid field and why.
    std::string detail;

    /// Resets to the state of a fresh object, keeping allocated capacity.
    CFMAIL_DECL void clear() noexcept;

    /// One line: status, cf-ray, every error and message, detail. No credential ever.
    CFMAIL_DECL std::string to_string() const;
};

/// Prints diagnostics::to_string().
CFMAIL_DECL std::ostream& operator<<(std::ostream& os, const diagnostics& diag);

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/diagnostics.ipp>
#endif

#endif
