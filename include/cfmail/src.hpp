// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_SRC_HPP
#define CFMAIL_SRC_HPP

/// @file src.hpp
/// With CFMAIL_SEPARATE_COMPILATION defined everywhere, include this header in exactly one
/// translation unit to compile cfmail's non-template code there.

#ifndef CFMAIL_SEPARATE_COMPILATION
#error "Define CFMAIL_SEPARATE_COMPILATION in every translation unit to use cfmail/src.hpp"
#endif

#include <cfmail/impl/credentials.ipp>
#include <cfmail/impl/diagnostics.ipp>
#include <cfmail/impl/drivers.ipp>
#include <cfmail/impl/endpoint.ipp>
#include <cfmail/impl/envelope.ipp>
#include <cfmail/impl/error.ipp>
#include <cfmail/impl/error_code.ipp>
#include <cfmail/impl/exchange.ipp>
#include <cfmail/impl/http_message.ipp>
#include <cfmail/impl/mime.ipp>
#include <cfmail/impl/observer.ipp>
#include <cfmail/impl/operation.ipp>
#include <cfmail/impl/retry_timing.ipp>
#include <cfmail/impl/send.ipp>
#include <cfmail/impl/send_raw.ipp>
#include <cfmail/impl/suppressions.ipp>
#include <cfmail/impl/types.ipp>
#include <cfmail/testing/impl/mock_transport.ipp>
#include <cfmail/transport/impl/https.ipp>

#include <cfmail/https_client.hpp>

namespace cfmail {
// The blocking members run the exchange: compiled here, not in every file that sends. The
// asynchronous clients' operations are templates of their completion token, which an explicit
// instantiation of the class would not compile, so they are left out.
template class basic_client<blocking_https_transport>;
} // namespace cfmail

#endif
