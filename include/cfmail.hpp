// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_HPP
#define CFMAIL_HPP

/// @file cfmail.hpp
/// Everything but the Beast/OpenSSL transport (include <cfmail/transport/https.hpp> for that).

#include <cfmail/client.hpp>
#include <cfmail/config.hpp>
#include <cfmail/credentials.hpp>
#include <cfmail/diagnostics.hpp>
#include <cfmail/envelope.hpp>
#include <cfmail/error.hpp>
#include <cfmail/error_code.hpp>
#include <cfmail/http_message.hpp>
#include <cfmail/options.hpp>
#include <cfmail/testing/mock_transport.hpp>
#include <cfmail/transport.hpp>
#include <cfmail/types.hpp>

#endif
