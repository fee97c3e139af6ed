// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_HPP
#define CFMAIL_HPP

/// @file cfmail.hpp
/// Everything but the Beast/OpenSSL transport and the mock: include <cfmail/https_client.hpp> for
/// the ready-made HTTPS clients, <cfmail/testing/mock_transport.hpp> for the mock.

#include <cfmail/client.hpp>
#include <cfmail/config.hpp>
#include <cfmail/credentials.hpp>
#include <cfmail/diagnostics.hpp>
#include <cfmail/envelope.hpp>
#include <cfmail/error.hpp>
#include <cfmail/error_code.hpp>
#include <cfmail/http_message.hpp>
#include <cfmail/mime.hpp>
#include <cfmail/observer.hpp>
#include <cfmail/operation.hpp>
#include <cfmail/operations.hpp>
#include <cfmail/options.hpp>
#include <cfmail/suppression_pages.hpp>
#include <cfmail/transport.hpp>
#include <cfmail/types.hpp>

#endif
