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
