// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_OPERATIONS_SEND_RAW_HPP
#define CFMAIL_OPERATIONS_SEND_RAW_HPP

/// @file operations/send_raw.hpp
/// `POST /accounts/{account_id}/email/sending/send_raw`: a complete MIME message with its SMTP
/// envelope.

#include <cfmail/config.hpp>
#include <cfmail/operation.hpp>
#include <cfmail/types.hpp>

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace cfmail {

/// The descriptor of `send_raw`. Sending is not idempotent: an attempt is repeated only when
/// nothing was provably sent. The MIME message is streamed as a JSON string, never copied.
struct send_raw_op : reads_result<send_raw_result> {
    /// What the operation takes.
    using request_type = send_raw_request;
    /// What it gives back.
    using result_type = send_raw_result;
    /// Its name in diagnostics.
    static constexpr std::string_view name = "send_raw";
    /// Its HTTP method.
    static constexpr std::string_view method = "POST";
    /// A send may go out twice if repeated.
    static constexpr repeat_safety repeat = repeat_safety::unsafe;

    /// Checks `req` (addresses, recipients, message size, lines, UTF-8) and writes the path and
    /// body.
    CFMAIL_DECL static boost::system::error_code prepare(const send_raw_request& req,
                                                         const client_options& opts,
                                                         request_parts& parts, std::string& why);
};

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/send_raw.ipp>
#endif

#endif
