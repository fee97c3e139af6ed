// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_CREDENTIALS_HPP
#define CFMAIL_CREDENTIALS_HPP

/// @file credentials.hpp
/// How a client authenticates: an API token, or an account email plus the global API key.

#include <cfmail/config.hpp>

#include <iosfwd>
#include <string>
#include <utility>
#include <variant>

namespace cfmail {

/// An API token, sent as `Authorization: Bearer <token>` (the scheme Cloudflare prefers).
/// Printing it shows `api_token{***}`.
struct api_token {
    /// The secret token.
    std::string token;
};

/// The legacy scheme: the account's email and its global API key, sent as `X-Auth-Email` and
/// `X-Auth-Key`. Printing it shows the email only.
struct api_key {
    /// The account's email address.
    std::string email;
    /// The secret global API key.
    std::string key;
};

/// Which scheme a credentials object holds.
enum class auth_scheme {
    /// No credentials: every send fails with error::missing_credentials before any I/O.
    none,
    /// An API token.
    token,
    /// Email plus global API key.
    key,
};

/// Exactly one authentication scheme, or none. Copyable; the secret is never printed.
class credentials {
public:
    /// No credentials.
    credentials() = default;
    /// Authenticates with an API token.
    credentials(api_token token)
        : value_(std::move(token)) {}
    /// Authenticates with an email and a global API key.
    credentials(api_key key)
        : value_(std::move(key)) {}

    /// Reads `CLOUDFLARE_API_TOKEN`; when it is unset or empty, `CLOUDFLARE_EMAIL` with
    /// `CLOUDFLARE_API_KEY`. Returns empty credentials when neither is complete, so the first
    /// send fails with error::missing_credentials.
    CFMAIL_DECL static credentials from_environment();

    /// The scheme in use.
    auth_scheme scheme() const noexcept { return static_cast<auth_scheme>(value_.index()); }
    /// True when no scheme is set.
    bool empty() const noexcept { return scheme() == auth_scheme::none; }

    /// The token, or nullptr when the scheme is not auth_scheme::token.
    const api_token* token() const noexcept { return std::get_if<api_token>(&value_); }
    /// The email and key, or nullptr when the scheme is not auth_scheme::key.
    const api_key* key() const noexcept { return std::get_if<api_key>(&value_); }

private:
    std::variant<std::monostate, api_token, api_key> value_;
};

/// Prints `api_token{***}`: the token never appears.
CFMAIL_DECL std::ostream& operator<<(std::ostream& os, const api_token& token);
/// Prints `api_key{email=..., key=***}`: the key never appears.
CFMAIL_DECL std::ostream& operator<<(std::ostream& os, const api_key& key);
/// Prints the scheme and its non-secret parts only.
CFMAIL_DECL std::ostream& operator<<(std::ostream& os, const credentials& creds);

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/credentials.ipp>
#endif

#endif
