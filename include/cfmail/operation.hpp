// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_OPERATION_HPP
#define CFMAIL_OPERATION_HPP

/// @file operation.hpp
/// What an endpoint is to cfmail: an operation descriptor. The client runs every operation
/// through one exchange machine (credentials, headers, the envelope, diagnostics, retries);
/// a descriptor adds only what is the endpoint's own. doc/adding-an-endpoint.md walks
/// through one.

#include <cfmail/config.hpp>
#include <cfmail/envelope.hpp>
#include <cfmail/http_message.hpp>
#include <cfmail/options.hpp>

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>

namespace cfmail {

/// Whether an operation may be repeated when its outcome is unknown.
enum class repeat_safety {
    /// Repeating may act twice (a send): retried only when nothing provably happened.
    unsafe,
    /// Repeating is harmless (GET, DELETE, writes the API makes idempotent): also retried
    /// after a timeout or reset once the request was written, and on HTTP 502, 503 and 504.
    safe,
};

/// The endpoint's part of an HTTP request, filled in by a descriptor's `prepare`: the path below
/// `accounts/{account_id}/email/sending`, the query and the body. The exchange machine adds the
/// base URL, the headers and the credentials.
class request_parts {
public:
    /// Parts whose body is written into `body` (the HTTP request's own).
    explicit request_parts(request_body& body) noexcept
        : body_(&body) {}

    /// Appends `/` and `segment`, percent-encoded (so `/`, `?`, `#` cannot leave the segment).
    CFMAIL_DECL void append_segment(std::string_view segment);

    /// Adds `name=value` to the query, percent-encoded.
    CFMAIL_DECL void add_query(std::string_view name, std::string_view value);

    /// The body; left empty for a request without one.
    request_body& body() noexcept { return *body_; }

    /// The percent-encoded path so far, starting with `/` (empty for the base itself).
    std::string_view path() const noexcept { return path_; }
    /// The percent-encoded query so far, without `?`.
    std::string_view query() const noexcept { return query_; }

    /// Empties everything, keeping capacity; `streaming` is passed to request_body::clear.
    void clear(bool streaming) noexcept {
        path_.clear();
        query_.clear();
        body_->clear(streaming);
    }

private:
    std::string path_;
    std::string query_;
    request_body* body_;
};

/// An operation descriptor: what makes an endpoint. `Op::request_type` and `Op::result_type`
/// are its types (the request has an `account_id`, which the exchange machine checks); `Op::name`
/// names it in diagnostics; `Op::method` is the HTTP method; `Op::repeat` says whether repeating it
/// is safe; `Op::prepare(req, options, parts, why)` validates the request (returning
/// error::invalid_request and naming the field in `why`, before anything is sent) and fills
/// `parts`; `Op::read(result, result_info, out)` reads the envelope's `result` (and `result_info`)
/// into `out`, returning false on a wrong shape.
template <class Op>
concept operation_descriptor = requires(const typename Op::request_type& req,
                                        const client_options& opts, request_parts& parts,
                                        std::string& why, const boost::json::value& jv,
                                        const std::optional<result_info>& info,
                                        typename Op::result_type& out) {
    { req.account_id } -> std::convertible_to<std::string_view>;
    { Op::name } -> std::convertible_to<std::string_view>;
    { Op::method } -> std::convertible_to<std::string_view>;
    { Op::repeat } -> std::convertible_to<repeat_safety>;
    { Op::prepare(req, opts, parts, why) } -> std::same_as<boost::system::error_code>;
    { Op::read(jv, info, out) } -> std::same_as<bool>;
};

/// The `read` of a descriptor whose result is read by `read_result(value, out)` (found by
/// argument-dependent lookup) and ignores `result_info`: a descriptor inherits it.
template <class Result>
struct reads_result {
    /// Reads `result` into `out`; false on a wrong shape.
    static bool read(const boost::json::value& result, const std::optional<result_info>&,
                     Result& out) {
        return read_result(result, out);
    }
};

/// The descriptor of a request type: `Request::operation`.
template <class Request>
using operation_of = typename Request::operation;

/// A request with a deadline of its own, which replaces client_options::deadline for one call
/// of `execute` or `async_execute`. Made by with_deadline; refers to the request, which must
/// stay alive until the operation completes.
template <class Request>
struct deadline_bound {
    /// The descriptor of the request underneath.
    using operation = operation_of<Request>;
    /// The request.
    const Request& request;
    /// Its deadline (see client_options::deadline).
    std::chrono::milliseconds deadline;
};

/// Gives one call its own deadline: `client.execute(cfmail::with_deadline(req, 5s))`,
/// `co_await client.async_execute(cfmail::with_deadline(req, 5s))`.
template <class Request>
deadline_bound<Request> with_deadline(const Request& request, std::chrono::milliseconds deadline) {
    return {request, deadline};
}

/// A temporary request would be gone before an asynchronous operation reads it.
template <class Request>
void with_deadline(const Request&& request, std::chrono::milliseconds deadline) = delete;

namespace detail {
template <class Request>
const Request& request_of(const Request& request) noexcept {
    return request;
}
template <class Request>
const Request& request_of(const deadline_bound<Request>& bound) noexcept {
    return bound.request;
}
template <class Request>
std::optional<std::chrono::milliseconds> deadline_of(const Request&) noexcept {
    return std::nullopt;
}
template <class Request>
std::optional<std::chrono::milliseconds>
deadline_of(const deadline_bound<Request>& bound) noexcept {
    return bound.deadline;
}
} // namespace detail

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/operation.ipp>
#endif

#endif
