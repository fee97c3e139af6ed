// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_SEND_RAW_IPP
#define CFMAIL_IMPL_SEND_RAW_IPP

#include <cfmail/detail/send_algorithm.hpp>
#include <cfmail/impl/exchange.ipp>
#include <cfmail/impl/validation.ipp>
#include <cfmail/operations/send_raw.hpp>

namespace cfmail {

namespace detail {

// Everything of a send_raw but its account id, which the exchange machine checks (or takes
// from the client's default).
inline boost::system::error_code validate_addresses_and_message(const send_raw_request& req,
                                                                const client_options& opts,
                                                                std::string& why) {
    if (auto ec = validate_addresses(req, opts, why))
        return ec;
    return validate_mime(req.mime_message, std::min(opts.max_message_size, max_message_size_limit),
                         why);
}

CFMAIL_DECL boost::system::error_code
validate_request(const send_raw_request& req, const client_options& opts, std::string& why) {
    if (auto ec = validate_account_id(req.account_id, why))
        return ec;
    return validate_addresses_and_message(req, opts, why);
}

CFMAIL_DECL void build_request(const send_raw_request& req, const endpoint& ep,
                               const credentials& creds, const client_options& opts,
                               http_request& out, bool stream_message) {
    client_config cfg(creds, opts);
    cfg.ep = ep;
    cfg.endpoint_error = {};
    cfg.stream_body = stream_message;
    std::string why;
    send_raw_result unused;
    build_http_request({&vtable_for<send_raw_op>, &req, &unused}, cfg, out, why);
}

} // namespace detail

CFMAIL_DECL boost::system::error_code send_raw_op::prepare(const send_raw_request& req,
                                                           const client_options& opts,
                                                           request_parts& parts, std::string& why) {
    if (auto ec = detail::validate_addresses_and_message(req, opts, why))
        return ec;
    parts.append_segment("send_raw");
    request_body& body = parts.body();
    body.append("{\"from\":");
    body.append_json_string(req.from);
    body.append(",\"recipients\":[");
    for (std::size_t i = 0; i < req.recipients.size(); ++i) {
        if (i != 0)
            body.push_back(',');
        body.append_json_string(req.recipients[i]);
    }
    body.append("],\"mime_message\":");
    body.stream_json_string(req.mime_message);
    body.push_back('}');
    return {};
}

} // namespace cfmail

#endif
