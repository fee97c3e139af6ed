// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_ENVELOPE_IPP
#define CFMAIL_IMPL_ENVELOPE_IPP

#include <cfmail/envelope.hpp>

#include <boost/json/parse.hpp>

#include <charconv>

namespace cfmail {

CFMAIL_DECL bool read_result(const boost::json::value& jv, boost::json::value& out) {
    out = jv;
    return true;
}

namespace detail {

inline boost::system::error_code bad_response_error() noexcept {
    return make_error_code(error::bad_response);
}

// The JSON readers below never throw on a wrong type: Boost.JSON's as_* accessors would, and
// the API's documented schemas disagree on several types.

inline bool read_integer(const boost::json::value& jv, std::int64_t& out) {
    if (auto p = jv.if_int64()) {
        out = *p;
        return true;
    }
    if (auto p = jv.if_uint64()) {
        if (*p > static_cast<std::uint64_t>(INT64_MAX))
            return false;
        out = static_cast<std::int64_t>(*p);
        return true;
    }
    if (auto p = jv.if_double()) {
        // Integral values only, and within range, so the conversion is defined.
        if (!(*p >= -9.2e18 && *p <= 9.2e18) ||
            *p != static_cast<double>(static_cast<std::int64_t>(*p)))
            return false;
        out = static_cast<std::int64_t>(*p);
        return true;
    }
    if (auto p = jv.if_string()) {
        // The 400 and 403 error schemas send codes as numeric strings ("10001").
        const char* first = p->data();
        const char* last = first + p->size();
        auto [end, ec] = std::from_chars(first, last, out);
        return ec == std::errc{} && end == last && first != last;
    }
    return false;
}

inline bool read_optional_string(const boost::json::object& obj, std::string_view key,
                                 std::optional<std::string>& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null())
        return true;
    auto s = it->value().if_string();
    if (!s)
        return false;
    out.emplace(s->data(), s->size());
    return true;
}

inline bool read_message(const boost::json::value& jv, api_message& out) {
    // The 400 and 403 error schemas list `messages` as plain strings.
    if (auto s = jv.if_string()) {
        out.message.assign(s->data(), s->size());
        return true;
    }
    auto obj = jv.if_object();
    if (!obj)
        return false;
    if (auto it = obj->find("code"); it != obj->end() && !it->value().is_null()) {
        if (!read_integer(it->value(), out.code))
            return false;
    }
    if (auto it = obj->find("message"); it != obj->end() && !it->value().is_null()) {
        auto s = it->value().if_string();
        if (!s)
            return false;
        out.message.assign(s->data(), s->size());
    }
    if (!read_optional_string(*obj, "documentation_url", out.documentation_url))
        return false;
    if (auto it = obj->find("source"); it != obj->end() && !it->value().is_null()) {
        auto source = it->value().if_object();
        if (!source)
            return false;
        if (!read_optional_string(*source, "pointer", out.source_pointer))
            return false;
    }
    return true;
}

inline bool read_messages(const boost::json::object& obj, std::string_view key,
                          std::vector<api_message>& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null())
        return true;
    auto arr = it->value().if_array();
    if (!arr)
        return false;
    out.reserve(arr->size());
    for (const auto& entry : *arr) {
        api_message message;
        if (!read_message(entry, message))
            return false;
        out.push_back(std::move(message));
    }
    return true;
}

inline bool read_optional_integer(const boost::json::object& obj, std::string_view key,
                                  std::int64_t& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null())
        return true;
    return read_integer(it->value(), out);
}

inline bool read_result_info(const boost::json::value& jv, result_info& out) {
    auto obj = jv.if_object();
    if (!obj)
        return false;
    if (!read_optional_integer(*obj, "count", out.count) ||
        !read_optional_integer(*obj, "per_page", out.per_page) ||
        !read_optional_integer(*obj, "total_count", out.total_count))
        return false;
    if (!read_optional_string(*obj, "cursor", out.cursor))
        return false;
    if (auto it = obj->find("page"); it != obj->end() && !it->value().is_null()) {
        std::int64_t page = 0;
        if (!read_integer(it->value(), page))
            return false;
        out.page = page;
    }
    return true;
}

CFMAIL_DECL boost::system::result<envelope<boost::json::value>>
parse_envelope_common(std::string_view body, boost::json::storage_ptr storage) {
    boost::system::error_code ec;
    boost::json::value root = boost::json::parse(body, ec, std::move(storage));
    if (ec)
        return bad_response_error();
    auto obj = root.if_object();
    if (!obj)
        return bad_response_error();

    envelope<boost::json::value> out;
    auto success = obj->find("success");
    if (success == obj->end() || !success->value().is_bool())
        return bad_response_error();
    out.success = success->value().get_bool();

    if (!read_messages(*obj, "errors", out.errors) ||
        !read_messages(*obj, "messages", out.messages))
        return bad_response_error();

    if (auto it = obj->find("result_info"); it != obj->end() && !it->value().is_null()) {
        result_info info;
        if (!read_result_info(it->value(), info))
            return bad_response_error();
        out.result_info = std::move(info);
    }
    if (auto it = obj->find("result"); it != obj->end() && !it->value().is_null())
        out.result = std::move(it->value());
    return out;
}

} // namespace detail
CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const result_info& info) {
    boost::json::object& o = jv.emplace_object();
    o["count"] = info.count;
    o["per_page"] = info.per_page;
    o["total_count"] = info.total_count;
    if (info.cursor)
        o["cursor"] = *info.cursor;
    if (info.page)
        o["page"] = *info.page;
}

} // namespace cfmail

#endif
