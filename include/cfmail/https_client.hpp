// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_HTTPS_CLIENT_HPP
#define CFMAIL_HTTPS_CLIENT_HPP

/// @file https_client.hpp
/// The ready-made clients: basic_client over the HTTPS transports. What most programs include.

#include <cfmail.hpp>
#include <cfmail/client.hpp>
#include <cfmail/transport/https.hpp>

namespace cfmail {

/// The asynchronous client over HTTPS: `co_await client.async_send(req)`.
using client = basic_client<https_transport>;

/// The blocking client over HTTPS: `client.send(req)`.
using blocking_client = basic_client<blocking_https_transport>;

/// The asynchronous client over a connection pool: many operations at once.
using pooled_client = basic_client<pooled_https_transport>;

#ifdef CFMAIL_SEPARATE_COMPILATION
// Compiled once, in the translation unit that includes <cfmail/src.hpp>.
extern template class basic_client<blocking_https_transport>;
#endif

} // namespace cfmail

#endif
