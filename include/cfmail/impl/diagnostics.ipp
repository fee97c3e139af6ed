// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_DIAGNOSTICS_IPP
#define CFMAIL_IMPL_DIAGNOSTICS_IPP

#include <cfmail/diagnostics.hpp>

#include <ostream>

namespace cfmail {

CFMAIL_DECL void diagnostics::clear() noexcept {
    http_status = 0;
    cf_ray.clear();
    errors.clear();
    messages.clear();
    retry_after.reset();
    attempts = 0;
    transport_error.clear();
    proxy_status = 0;
    unanswered_request = false;
    detail.clear();
}

namespace detail {
inline void append_entries(std::string& out, const char* label,
                           const std::vector<api_message>& entries) {
    for (const auto& entry : entries) {
        out += out.empty() ? "" : "; ";
        out += label;
        if (entry.code != 0) {
            out += ' ';
            out += std::to_string(entry.code);
        }
        out += ": ";
        out += entry.message;
        if (entry.source_pointer) {
            out += " (at ";
            out += *entry.source_pointer;
            out += ')';
        }
    }
}
} // namespace detail

CFMAIL_DECL std::string diagnostics::to_string() const {
    std::string out;
    if (http_status != 0)
        out += "HTTP " + std::to_string(http_status);
    if (!cf_ray.empty()) {
        out += out.empty() ? "" : ", ";
        out += "cf-ray " + cf_ray;
    }
    detail::append_entries(out, "error", errors);
    detail::append_entries(out, "message", messages);
    if (!detail.empty()) {
        out += out.empty() ? "" : "; ";
        out += detail;
    }
    if (proxy_status != 0) {
        out += out.empty() ? "" : "; ";
        out += "proxy answered HTTP " + std::to_string(proxy_status);
    }
    if (transport_error) {
        out += out.empty() ? "" : "; ";
        out += "transport: " + transport_error.message();
    }
    if (retry_after) {
        out += out.empty() ? "" : "; ";
        out += "retry after " + std::to_string(retry_after->count()) + " ms";
    }
    if (attempts > 1) {
        out += out.empty() ? "" : "; ";
        out += std::to_string(attempts) + " attempts";
    }
    return out;
}

CFMAIL_DECL std::ostream& operator<<(std::ostream& os, const diagnostics& diag) {
    return os << diag.to_string();
}

} // namespace cfmail

#endif
