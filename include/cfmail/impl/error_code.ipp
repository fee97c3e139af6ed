// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_ERROR_CODE_IPP
#define CFMAIL_IMPL_ERROR_CODE_IPP

#include <cfmail/error_code.hpp>

#include <ostream>
#include <string>

namespace cfmail {

namespace detail {

class cfmail_category final : public boost::system::error_category {
public:
    // A fixed id lets error codes compare equal across shared libraries.
    constexpr cfmail_category() noexcept
        : error_category(0xcf3a11d0e5a9b2c1ULL) {}

    const char* name() const noexcept override { return "cfmail"; }

    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::api_rejected:
            return "the API answered with an error";
        case error::unexpected_http_status:
            return "unexpected HTTP status without a Cloudflare envelope";
        case error::bad_response:
            return "the answer is not a valid Cloudflare envelope";
        case error::invalid_request:
            return "invalid request, nothing was sent";
        case error::outcome_unknown:
            return "no usable answer after the request was written: the email may have been sent";
        case error::response_too_large:
            return "the answer exceeded the configured size limit";
        case error::missing_credentials:
            return "no credentials: set an API token, or an email and a global API key";
        case error::operation_in_progress:
            return "another operation is in progress on this client";
        case error::certificate_untrusted:
            return "TLS: the server's certificate does not chain to a trusted root";
        case error::certificate_name_mismatch:
            return "TLS: the server's certificate does not match the host name";
        case error::certificate_expired:
            return "TLS: the server's certificate has expired or is not yet valid";
        case error::certificate_rejected:
            return "TLS: the server's certificate failed verification";
        case error::proxy_refused:
            return "the HTTP proxy refused to open a tunnel, nothing was sent";
        }
        return "unknown cfmail error";
    }
};

} // namespace detail

CFMAIL_DECL const boost::system::error_category& error_category() noexcept {
    static const detail::cfmail_category instance;
    return instance;
}

CFMAIL_DECL std::ostream& operator<<(std::ostream& os, error e) {
    return os << make_error_code(e).message();
}

} // namespace cfmail

#endif
