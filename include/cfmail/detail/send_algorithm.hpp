// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_SEND_ALGORITHM_HPP
#define CFMAIL_DETAIL_SEND_ALGORITHM_HPP

// The exchange machine typed for send_raw, and send_raw's request checks and building on their
// own: what tests and fuzzers step and call directly.

#include <cfmail/config.hpp>
#include <cfmail/detail/exchange.hpp>
#include <cfmail/operations/send_raw.hpp>

namespace cfmail::detail {

// Checks a request against the API's rules and the client's limits. On failure returns
// error::invalid_request and names the field in `why`.
CFMAIL_DECL boost::system::error_code
validate_request(const send_raw_request& req, const client_options& opts, std::string& why);

// Fills `out` with the HTTP request for `req`, which must have passed validate_request. With
// `stream_message`, the message is a streamed part of the body instead of being escaped into
// its text.
CFMAIL_DECL void build_request(const send_raw_request& req, const endpoint& ep,
                               const credentials& creds, const client_options& opts,
                               http_request& out, bool stream_message = false);

// One send_raw, as a state machine.
using send_algorithm = operation_algorithm<send_raw_op>;

} // namespace cfmail::detail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/send_raw.ipp>
#endif

#endif
