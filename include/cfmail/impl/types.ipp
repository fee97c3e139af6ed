// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_TYPES_IPP
#define CFMAIL_IMPL_TYPES_IPP

#include <cfmail/types.hpp>

namespace cfmail {

namespace detail {
inline bool read_address_list(const boost::json::object& obj, std::string_view key,
                              std::vector<std::string>& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null())
        return true;
    auto arr = it->value().if_array();
    if (!arr)
        return false;
    out.reserve(arr->size());
    for (const auto& entry : *arr) {
        auto s = entry.if_string();
        if (!s)
            return false;
        out.emplace_back(s->data(), s->size());
    }
    return true;
}
} // namespace detail

CFMAIL_DECL bool read_result(const boost::json::value& jv, send_raw_result& out) {
    auto obj = jv.if_object();
    if (!obj)
        return false;
    if (!detail::read_address_list(*obj, "delivered", out.delivered) ||
        !detail::read_address_list(*obj, "queued", out.queued) ||
        !detail::read_address_list(*obj, "permanent_bounces", out.permanent_bounces) ||
        !detail::read_address_list(*obj, "suppressed_recipients", out.suppressed_recipients))
        return false;
    if (auto it = obj->find("message_id"); it != obj->end() && !it->value().is_null()) {
        auto s = it->value().if_string();
        if (!s)
            return false;
        out.message_id.assign(s->data(), s->size());
    }
    return true;
}

CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const send_raw_result& result) {
    auto list = [](const std::vector<std::string>& addresses) {
        boost::json::array out;
        for (const auto& a : addresses)
            out.emplace_back(a);
        return out;
    };
    boost::json::object& r = jv.emplace_object();
    r["delivered"] = list(result.delivered);
    r["permanent_bounces"] = list(result.permanent_bounces);
    r["queued"] = list(result.queued);
    if (!result.suppressed_recipients.empty())
        r["suppressed_recipients"] = list(result.suppressed_recipients);
    if (!result.message_id.empty())
        r["message_id"] = result.message_id;
}

} // namespace cfmail

#endif
