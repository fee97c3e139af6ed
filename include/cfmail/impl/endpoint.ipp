// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_ENDPOINT_IPP
#define CFMAIL_IMPL_ENDPOINT_IPP

// Where requests go: the base URL, parsed and checked once per client.

#include <cfmail/detail/exchange.hpp>
#include <cfmail/impl/validation.ipp>

#include <boost/url/parse.hpp>

#include <charconv>

namespace cfmail::detail {

inline bool is_loopback_name(std::string_view host) noexcept {
    constexpr std::string_view localhost = "localhost";
    if (host.size() != localhost.size())
        return false;
    for (std::size_t i = 0; i < host.size(); ++i) {
        if ((host[i] | 0x20) != localhost[i])
            return false;
    }
    return true;
}

CFMAIL_DECL boost::system::error_code parse_base_url(std::string_view url, endpoint& out,
                                                     std::string& why) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed)
        return invalid(why, "base_url: not an absolute URL without a fragment");
    const boost::urls::url_view& u = *parsed;

    const bool https = u.scheme_id() == boost::urls::scheme::https;
    const bool http = u.scheme_id() == boost::urls::scheme::http;
    if (!https && !http)
        return invalid(why, "base_url: the scheme must be https");
    if (!u.has_authority() || u.encoded_host().empty())
        return invalid(why, "base_url: no host");
    if (u.has_userinfo())
        return invalid(why, "base_url: must not contain user information");
    if (u.has_query())
        return invalid(why, "base_url: must not contain a query");

    bool loopback = false;
    switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
        loopback = u.host_ipv4_address().is_loopback();
        break;
    case boost::urls::host_type::ipv6:
        loopback = u.host_ipv6_address().is_loopback();
        break;
    case boost::urls::host_type::name:
        loopback = is_loopback_name(u.encoded_host());
        break;
    default:
        return invalid(why, "base_url: unsupported host form");
    }
    if (http && !loopback)
        return invalid(why, "base_url: plain http is allowed only to a loopback host; use https");

    std::uint16_t port = https ? 443 : 80;
    if (u.has_port()) {
        auto digits = u.port();
        unsigned value = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
            value == 0 || value > 65535)
            return invalid(why, "base_url: invalid port");
        port = static_cast<std::uint16_t>(value);
    }

    out.scheme = https ? "https" : "http";
    out.host = u.host_address();
    out.port = std::to_string(port);
    out.host_header = u.encoded_host_and_port();
    out.base_path = u.encoded_path();
    while (!out.base_path.empty() && out.base_path.back() == '/')
        out.base_path.pop_back();
    return {};
}

} // namespace cfmail::detail

#endif
