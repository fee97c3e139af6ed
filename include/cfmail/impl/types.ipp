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

} // namespace cfmail

#endif
