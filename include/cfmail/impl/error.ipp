// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_ERROR_IPP
#define CFMAIL_IMPL_ERROR_IPP

#include <cfmail/error.hpp>

#include <boost/asio/error.hpp>

#include <algorithm>

namespace cfmail {

namespace detail {
inline bool any_code_in(const std::vector<api_message>& entries,
                        std::initializer_list<std::int64_t> codes) noexcept {
    return std::any_of(entries.begin(), entries.end(), [&](const api_message& m) {
        return std::find(codes.begin(), codes.end(), m.code) != codes.end();
    });
}
} // namespace detail

CFMAIL_DECL bool is_rate_limited(const boost::system::error_code& ec,
                                 const diagnostics& diag) noexcept {
    if (!ec)
        return false;
    return diag.http_status == 429 || detail::any_code_in(diag.errors, {10004});
}

CFMAIL_DECL bool is_auth_failure(const boost::system::error_code& ec,
                                 const diagnostics& diag) noexcept {
    if (!ec)
        return false;
    if (ec == error::missing_credentials)
        return true;
    if (detail::any_code_in(diag.errors, {10203, 10204}))
        return false;
    return diag.http_status == 401 || diag.http_status == 403 ||
           detail::any_code_in(diag.errors, {10101, 10102, 10103, 10105, 6003, 6103});
}

CFMAIL_DECL bool is_bad_request(const boost::system::error_code& ec,
                                const diagnostics& diag) noexcept {
    if (!ec)
        return false;
    return ec == error::invalid_request || diag.http_status == 400;
}

CFMAIL_DECL bool may_have_been_sent(const boost::system::error_code& ec,
                                    const diagnostics& diag) noexcept {
    // Once any attempt may have reached the API, no later answer can take that back.
    if (!ec || diag.unanswered_request)
        return true;
    return ec == error::outcome_unknown || ec == error::bad_response ||
           ec == error::response_too_large;
}

CFMAIL_DECL bool is_certificate_failure(const boost::system::error_code& ec) noexcept {
    return ec == error::certificate_untrusted || ec == error::certificate_name_mismatch ||
           ec == error::certificate_expired || ec == error::certificate_rejected;
}

namespace detail {
// A refusal that names no API code: classified by the HTTP status alone.
inline next_step step_for_status(unsigned status) noexcept {
    switch (status) {
    case 408: // request timeout
    case 425: // too early
    case 429:
        return next_step::retry_later;
    case 401:
    case 403:
    case 404: // the account, or with an envelope-less answer the base URL
    case 405:
    case 407: // a proxy's credentials
    case 421:
        return next_step::fix_configuration;
    default:
        if (status >= 500)
            return next_step::retry_later; // an answer proved that nothing was sent
        if (status >= 300 && status < 400)
            return next_step::fix_configuration; // a redirect: the base URL is wrong
        return next_step::fix_request;
    }
}
} // namespace detail

CFMAIL_DECL decision what_now(const boost::system::error_code& ec,
                              const diagnostics& diag) noexcept {
    if (!ec)
        return {next_step::done, {}};
    if (may_have_been_sent(ec, diag))
        return {next_step::reconcile, {}};
    if (ec == error::invalid_request)
        return {next_step::fix_request, {}};
    if (ec == error::missing_credentials || is_certificate_failure(ec))
        return {next_step::fix_configuration, {}};
    // A proxy that is failing may recover; one that refuses (credentials, policy) will not.
    if (ec == error::proxy_refused)
        return {diag.proxy_status >= 500 ? next_step::retry_later : next_step::fix_configuration,
                {}};
    if (ec == error::api_rejected || ec == error::unexpected_http_status) {
        if (is_rate_limited(ec, diag))
            return {next_step::retry_later, diag.retry_after};
        // Codes first: they say more than the status, which an intermediary may have set.
        if (detail::any_code_in(diag.errors,
                                {10101, 10102, 10103, 10105, 6003, 6103, 10203, 10204, 10000}))
            return {next_step::fix_configuration, {}};
        if (detail::any_code_in(diag.errors, {10002, 10100}))
            return {next_step::retry_later, diag.retry_after};
        if (detail::any_code_in(diag.errors, {10001, 10003, 10200, 10201, 10202}))
            return {next_step::fix_request, {}};
        const auto step = detail::step_for_status(diag.http_status);
        return {step, step == next_step::retry_later ? diag.retry_after : std::nullopt};
    }
    // A blocking call on a client whose transport is asynchronous only: the code is wrong.
    if (ec == boost::asio::error::operation_not_supported)
        return {next_step::fix_request, {}};
    // Everything else failed before the request was written: a refused or reset connection,
    // a failed name lookup, a timeout, a cancellation, a response that could not be parsed
    // (already reconcile above), another operation in progress.
    return {next_step::retry_later, diag.retry_after};
}

CFMAIL_DECL const char* to_string(next_step step) noexcept {
    switch (step) {
    case next_step::done:
        return "done";
    case next_step::retry_later:
        return "retry_later";
    case next_step::fix_request:
        return "fix_request";
    case next_step::fix_configuration:
        return "fix_configuration";
    case next_step::reconcile:
        return "reconcile";
    }
    return "unknown";
}

namespace detail {
inline std::string api_error_what(const boost::system::error_code& ec, const diagnostics& diag) {
    std::string out = "cfmail: " + ec.message();
    std::string details = diag.to_string();
    if (!details.empty()) {
        out += ": ";
        out += details;
    }
    return out;
}
} // namespace detail

CFMAIL_DECL error_with_diagnostics::error_with_diagnostics(boost::system::error_code ec,
                                                           diagnostics diag)
    : boost::system::system_error(ec)
    , diag_(std::move(diag))
    , what_(detail::api_error_what(ec, diag_)) {}

} // namespace cfmail

#endif
