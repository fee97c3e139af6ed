// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_CREDENTIALS_IPP
#define CFMAIL_IMPL_CREDENTIALS_IPP

#include <cfmail/credentials.hpp>

#include <cstdlib>
#include <ostream>

namespace cfmail {

namespace detail {
inline std::string environment_value(const char* name) {
    const char* value = std::getenv(name);
    return value ? std::string(value) : std::string();
}
} // namespace detail

CFMAIL_DECL credentials credentials::from_environment() {
    if (auto token = detail::environment_value("CLOUDFLARE_API_TOKEN"); !token.empty())
        return api_token{std::move(token)};
    auto email = detail::environment_value("CLOUDFLARE_EMAIL");
    auto key = detail::environment_value("CLOUDFLARE_API_KEY");
    if (!email.empty() && !key.empty())
        return api_key{std::move(email), std::move(key)};
    return {};
}

CFMAIL_DECL std::ostream& operator<<(std::ostream& os, const api_token&) {
    return os << "api_token{***}";
}

CFMAIL_DECL std::ostream& operator<<(std::ostream& os, const api_key& key) {
    return os << "api_key{email=" << key.email << ", key=***}";
}

CFMAIL_DECL std::ostream& operator<<(std::ostream& os, const credentials& creds) {
    if (auto token = creds.token())
        return os << *token;
    if (auto key = creds.key())
        return os << *key;
    return os << "credentials{none}";
}

} // namespace cfmail

#endif
