// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_ENVELOPE_HPP
#define CFMAIL_ENVELOPE_HPP

/// @file envelope.hpp
/// The Cloudflare v4 response envelope and its tolerant parser.

#include <cfmail/config.hpp>
#include <cfmail/error_code.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cfmail {

/// One entry of the envelope's `errors` or `messages` array.
struct api_message {
    /// Cloudflare's numeric code (sent as a number, or as a numeric string in some schemas);
    /// 0 when the entry had none, as when `messages` holds plain strings.
    std::int64_t code = 0;
    /// The human-readable text.
    std::string message;
    /// Link to the documentation of this error, when the API gave one.
    std::optional<std::string> documentation_url;
    /// JSON pointer to the offending part of the request (`source.pointer`), when given.
    std::optional<std::string> source_pointer;

    /// Compares every field.
    friend bool operator==(const api_message&, const api_message&) = default;
};

/// Paging information some endpoints return beside the result.
struct result_info {
    /// Number of items in this page.
    std::int64_t count = 0;
    /// Page size.
    std::int64_t per_page = 0;
    /// Number of items in all pages.
    std::int64_t total_count = 0;
    /// Cursor for the next page, when the endpoint pages by cursor.
    std::optional<std::string> cursor;
    /// Page number, when the endpoint pages by number.
    std::optional<std::int64_t> page;

    /// Compares every field.
    friend bool operator==(const result_info&, const result_info&) = default;
};

/// Writes `result_info` as the API does (`boost::json::value_from(info)`): the counts, and
/// `cursor` and `page` when set.
CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const result_info& info);

/// The Cloudflare v4 envelope around every answer: `{success, errors, messages, result,
/// result_info}`. Missing arrays read as empty; `result` is empty when absent or `null`.
template <class T>
struct envelope {
    /// The API's verdict. `false` is an error whatever the HTTP status.
    bool success = false;
    /// Every entry of `errors`, in order.
    std::vector<api_message> errors;
    /// Every entry of `messages`, in order.
    std::vector<api_message> messages;
    /// The typed `result`; empty when it was absent or `null`.
    std::optional<T> result;
    /// `result_info`, when present.
    std::optional<cfmail::result_info> result_info;
};

/// Reads an envelope's `result` as a raw JSON value (for endpoints without a typed result).
/// A user type `T` becomes parseable by declaring, in its own namespace,
/// `bool read_result(const boost::json::value&, T&)`, which returns false on a wrong shape.
CFMAIL_DECL bool read_result(const boost::json::value& jv, boost::json::value& out);

namespace detail {
/// Parses everything but `result`; hands back the `result` value (null when absent), whose
/// memory comes from `storage` (the default heap when empty).
CFMAIL_DECL boost::system::result<envelope<boost::json::value>>
parse_envelope_common(std::string_view body, boost::json::storage_ptr storage = {});
} // namespace detail

/// Parses a Cloudflare envelope whose `result` is a `T`. Tolerant of what the API really sends:
/// unknown fields are ignored, `code` may be a number or a numeric string, `messages` may hold
/// objects or strings, missing arrays are empty, `result` may be `null`. Malformed input, or a
/// `result` of the wrong shape, gives error::bad_response; this function never throws except
/// `std::bad_alloc`.
template <class T>
boost::system::result<envelope<T>> parse_envelope(std::string_view body) {
    auto common = detail::parse_envelope_common(body);
    if (!common)
        return common.error();
    envelope<T> out;
    out.success = common->success;
    out.errors = std::move(common->errors);
    out.messages = std::move(common->messages);
    out.result_info = std::move(common->result_info);
    if (common->result && !common->result->is_null()) {
        T value{};
        if (!read_result(*common->result, value))
            return make_error_code(error::bad_response);
        out.result = std::move(value);
    }
    return out;
}

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/envelope.ipp>
#endif

#endif
