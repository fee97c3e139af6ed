// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_ERROR_CODE_HPP
#define CFMAIL_ERROR_CODE_HPP

/// @file error_code.hpp
/// cfmail's error codes and their category (error.hpp adds the exception and the helpers).

#include <cfmail/config.hpp>

#include <boost/system/error_code.hpp>

#include <iosfwd>
#include <type_traits>

namespace cfmail {

/// The errors cfmail reports itself. Transport failures (connection refused, TLS, ...) keep
/// their own codes, except where the outcome of the send became unknown.
enum class error {
    /// The API answered with `success: false` (at any HTTP status); see diagnostics::errors.
    api_rejected = 1,
    /// The former name of api_rejected.
    api_error [[deprecated("use error::api_rejected")]] = api_rejected,
    /// A non-2xx status without a Cloudflare envelope, where nothing was sent.
    unexpected_http_status,
    /// The answer could not be read: not JSON, not an envelope, or a result of the wrong shape.
    bad_response,
    /// The request was invalid and nothing was sent; diagnostics::detail names the field.
    invalid_request,
    /// The request was written but no usable answer came back: the email may have been sent.
    outcome_unknown,
    /// The answer exceeded the transport's size cap (https_options::max_response_size); the
    /// connection was closed.
    response_too_large,
    /// No credentials were configured; nothing was sent.
    missing_credentials,
    /// Another operation is already running on this client.
    operation_in_progress,
    /// The server's certificate does not chain to a trusted root (unknown or self-signed CA,
    /// missing intermediate). Nothing was sent, and the send is not repeated.
    certificate_untrusted,
    /// The server's certificate is not valid for the host name or IP address connected to.
    /// Nothing was sent, and the send is not repeated.
    certificate_name_mismatch,
    /// The server's certificate (or one in its chain) has expired or is not yet valid.
    /// Nothing was sent, and the send is not repeated.
    certificate_expired,
    /// The server's certificate failed another verification check (revoked, malformed, wrong
    /// purpose). Nothing was sent, and the send is not repeated.
    certificate_rejected,
    /// The HTTP proxy refused to open the tunnel (its answer to `CONNECT` was not 2xx, or was
    /// no HTTP answer); its status is in diagnostics::proxy_status. Nothing was sent. A 5xx is
    /// retried like any failure before writing; a 4xx (407: the proxy's credentials) is not.
    proxy_refused,
};

/// The error category of cfmail::error, named "cfmail".
CFMAIL_DECL const boost::system::error_category& error_category() noexcept;

/// Makes an error_code of the cfmail category (found by ADL).
inline boost::system::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// Prints the error's message, e.g. in test failure reports.
CFMAIL_DECL std::ostream& operator<<(std::ostream& os, error e);

} // namespace cfmail

namespace boost::system {
/// Lets cfmail::error convert implicitly to boost::system::error_code.
template <>
struct is_error_code_enum<cfmail::error> : std::true_type {};
} // namespace boost::system

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/error_code.ipp>
#endif

#endif
