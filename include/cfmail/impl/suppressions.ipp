// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_SUPPRESSIONS_IPP
#define CFMAIL_IMPL_SUPPRESSIONS_IPP

#include <cfmail/impl/envelope.ipp>
#include <cfmail/impl/validation.ipp>
#include <cfmail/operations/suppressions.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

namespace cfmail {

namespace detail {

inline const boost::json::value* field(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->value();
}

// A string field: absent or null leaves `out` alone when `required` is false.
inline bool read_string(const boost::json::object& o, std::string_view key, std::string& out,
                        bool required) {
    const auto* v = field(o, key);
    if (!v || v->is_null())
        return !required;
    const auto* s = v->if_string();
    if (!s)
        return false;
    out.assign(s->data(), s->size());
    return true;
}

inline bool read_scope(const boost::json::value& jv, suppression_scope& out) {
    const auto* o = jv.if_object();
    if (!o)
        return false;
    std::string type, value;
    if (!read_string(*o, "type", type, true) || !read_string(*o, "value", value, false))
        return false;
    if (type == "account") {
        out = account_scope{};
        return true;
    }
    if (type == "sending_domain") {
        out = sending_domain_scope{std::move(value)};
        return true;
    }
    return false;
}

inline bool read_optional_scope(const boost::json::object& o,
                                std::optional<suppression_scope>& out) {
    out.reset();
    const auto* v = field(o, "scope");
    if (!v || v->is_null())
        return true;
    return read_scope(*v, out.emplace());
}

inline boost::system::error_code validate_suppression_id(std::string_view id, std::string& why) {
    return validate_path_segment("suppression_id", id, 256, true, why);
}

inline boost::system::error_code validate_scope(const std::string& field,
                                                const suppression_scope& scope, std::string& why) {
    if (const auto* d = std::get_if<sending_domain_scope>(&scope)) {
        // The same rules as an address's domain.
        if (auto ec = validate_address(field + ".domain", "x@" + d->domain, why)) {
            why = field + ".domain: not a valid domain name";
            return ec;
        }
    }
    return {};
}

inline boost::system::error_code validate_note(const std::string& field, std::string_view note,
                                               std::string& why) {
    if (find_invalid_utf8(note) != std::string_view::npos)
        return invalid(why, field + ": not valid UTF-8");
    return {};
}

// A timestamp as the API takes it (RFC 3339); checked loosely: the server parses it.
inline boost::system::error_code validate_timestamp(const std::string& field, std::string_view at,
                                                    std::string& why) {
    const bool plausible =
        at.size() >= 20 && at.size() <= 40 && at[4] == '-' && at[7] == '-' &&
        (at[10] == 'T' || at[10] == 't') &&
        std::all_of(at.begin(), at.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (!plausible)
        return invalid(why, field + ": not an RFC 3339 timestamp (e.g. 2026-12-31T23:59:59Z)");
    return {};
}

inline boost::system::error_code validate_item(const std::string& prefix, const import_item& item,
                                               std::string& why) {
    auto name = [&](const char* f) { return prefix.empty() ? std::string(f) : prefix + "." + f; };
    if (auto ec = validate_address(name("email"), item.email, why))
        return ec;
    if (item.scope) {
        if (auto ec = validate_scope(name("scope"), *item.scope, why))
            return ec;
    }
    if (item.expires_at) {
        if (auto ec = validate_timestamp(name("expires_at"), *item.expires_at, why))
            return ec;
    }
    if (item.note)
        return validate_note(name("note"), *item.note, why);
    return {};
}

inline void put_optional(boost::json::object& o, std::string_view key,
                         const std::optional<std::string>& v) {
    if (v)
        o[key] = *v;
}

inline void append_json(request_body& body, const boost::json::value& jv) {
    body.append(boost::json::serialize(jv));
}

} // namespace detail

CFMAIL_DECL bool read_result(const boost::json::value& jv, suppression& out) {
    const auto* o = jv.if_object();
    if (!o)
        return false;
    using namespace detail;
    if (!read_string(*o, "id", out.id, true) || !read_string(*o, "email", out.email, true) ||
        !read_string(*o, "reason", out.reason, false) ||
        !read_string(*o, "created_at", out.created_at, false) ||
        !read_optional_string(*o, "expires_at", out.expires_at) ||
        !read_optional_string(*o, "note", out.note))
        return false;
    if (const auto* v = field(*o, "read_only"); v && !v->is_null()) {
        if (!v->is_bool())
            return false;
        out.read_only = v->get_bool();
    }
    out.scope = account_scope{};
    if (const auto* v = field(*o, "scope"); v && !v->is_null())
        return read_scope(*v, out.scope);
    return true;
}

CFMAIL_DECL bool read_result(const boost::json::value& jv, suppression_ref& out) {
    const auto* o = jv.if_object();
    return o && detail::read_string(*o, "id", out.id, true) &&
           detail::read_optional_scope(*o, out.scope);
}

CFMAIL_DECL bool read_result(const boost::json::value& jv, import_result& out) {
    const auto* o = jv.if_object();
    if (!o)
        return false;
    using namespace detail;
    if (!read_optional_integer(*o, "total", out.total) ||
        !read_optional_integer(*o, "processed", out.processed) ||
        !read_optional_integer(*o, "invalid", out.invalid) ||
        !read_optional_integer(*o, "errors", out.errors) ||
        !read_optional_integer(*o, "skipped", out.skipped) ||
        !read_optional_integer(*o, "deduplicated", out.deduplicated))
        return false;
    const auto* items = field(*o, "items");
    if (!items || items->is_null())
        return true;
    const auto* arr = items->if_array();
    if (!arr)
        return false;
    out.items.reserve(arr->size());
    for (const auto& entry : *arr) {
        const auto* e = entry.if_object();
        if (!e)
            return false;
        auto& item = out.items.emplace_back();
        if (!read_optional_integer(*e, "index", item.index) ||
            !read_string(*e, "status", item.status, true) ||
            !read_optional_string(*e, "id", item.id) ||
            !read_optional_string(*e, "email", item.email) ||
            !read_optional_string(*e, "error", item.error) || !read_optional_scope(*e, item.scope))
            return false;
    }
    return true;
}

CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const suppression_scope& scope) {
    auto& o = jv.emplace_object();
    if (const auto* d = std::get_if<sending_domain_scope>(&scope)) {
        o["type"] = "sending_domain";
        o["value"] = d->domain;
    } else {
        o["type"] = "account";
    }
}

CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const suppression& s) {
    auto& o = jv.emplace_object();
    o["id"] = s.id;
    o["email"] = s.email;
    o["reason"] = s.reason;
    o["created_at"] = s.created_at;
    o["expires_at"] = s.expires_at ? boost::json::value(*s.expires_at) : boost::json::value();
    o["read_only"] = s.read_only;
    o["note"] = s.note ? boost::json::value(*s.note) : boost::json::value();
    o["scope"] = boost::json::value_from(s.scope);
}

CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const suppression_ref& r) {
    auto& o = jv.emplace_object();
    o["id"] = r.id;
    if (r.scope)
        o["scope"] = boost::json::value_from(*r.scope);
}

CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const suppression_page& page) {
    auto& a = jv.emplace_array();
    for (const auto& s : page.items)
        a.push_back(boost::json::value_from(s));
}

CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const import_result& r) {
    auto& o = jv.emplace_object();
    o["total"] = r.total;
    o["processed"] = r.processed;
    o["invalid"] = r.invalid;
    o["errors"] = r.errors;
    o["skipped"] = r.skipped;
    o["deduplicated"] = r.deduplicated;
    auto& items = o["items"].emplace_array();
    for (const auto& i : r.items) {
        boost::json::object e;
        e["index"] = i.index;
        e["status"] = i.status;
        detail::put_optional(e, "id", i.id);
        detail::put_optional(e, "email", i.email);
        detail::put_optional(e, "error", i.error);
        if (i.scope)
            e["scope"] = boost::json::value_from(*i.scope);
        items.push_back(std::move(e));
    }
}

CFMAIL_DECL boost::system::error_code list_suppressions_op::prepare(const request_type& req,
                                                                    const client_options&,
                                                                    request_parts& parts,
                                                                    std::string& why) {
    if (req.per_page && (*req.per_page == 0 || *req.per_page > 1000))
        return detail::invalid(why, "per_page: must be 1 to 1000");
    if (req.cursor.size() > 4096 || !detail::is_header_value_safe(req.cursor))
        return detail::invalid(why, "cursor: not a cursor the API returned");
    if (!req.email.empty()) {
        if (auto ec = detail::validate_address("email", req.email, why))
            return ec;
    }
    if (!req.search.empty() &&
        (req.search.find('@') == std::string::npos || req.search.front() == '@' ||
         !detail::is_header_value_safe(req.search)))
        return detail::invalid(why, "search: an address, or user@ for that user on every domain");
    if (!detail::is_header_value_safe(req.reason))
        return detail::invalid(why, "reason: contains a control character");
    if (req.scope) {
        if (auto ec = detail::validate_scope("scope", *req.scope, why))
            return ec;
    }
    parts.append_segment("suppressions");
    if (req.per_page)
        parts.add_query("per_page", std::to_string(*req.per_page));
    if (!req.cursor.empty())
        parts.add_query("cursor", req.cursor);
    if (!req.email.empty())
        parts.add_query("email", req.email);
    if (!req.reason.empty())
        parts.add_query("reason", req.reason);
    if (req.scope) {
        if (const auto* d = std::get_if<sending_domain_scope>(&*req.scope)) {
            parts.add_query("scope_type", "sending_domain");
            parts.add_query("scope_value", d->domain);
        } else {
            parts.add_query("scope_type", "account");
        }
    }
    if (!req.search.empty())
        parts.add_query("search", req.search);
    return {};
}

CFMAIL_DECL bool list_suppressions_op::read(const boost::json::value& result,
                                            const std::optional<result_info>& info,
                                            result_type& out) {
    const auto* arr = result.if_array();
    if (!arr)
        return false;
    out.items.clear();
    out.items.reserve(arr->size());
    for (const auto& entry : *arr) {
        if (!read_result(entry, out.items.emplace_back()))
            return false;
    }
    out.info = info;
    return true;
}

CFMAIL_DECL boost::system::error_code get_suppression_op::prepare(const request_type& req,
                                                                  const client_options&,
                                                                  request_parts& parts,
                                                                  std::string& why) {
    if (auto ec = detail::validate_suppression_id(req.suppression_id, why))
        return ec;
    parts.append_segment("suppressions");
    parts.append_segment(req.suppression_id);
    return {};
}

CFMAIL_DECL boost::system::error_code create_suppression_op::prepare(const request_type& req,
                                                                     const client_options&,
                                                                     request_parts& parts,
                                                                     std::string& why) {
    if (auto ec = detail::validate_item("", {req.email, req.scope, req.expires_at, req.note}, why))
        return ec;
    parts.append_segment("suppressions");
    boost::json::object body;
    body["email"] = req.email;
    body["expires_at"] =
        req.expires_at ? boost::json::value(*req.expires_at) : boost::json::value();
    detail::put_optional(body, "note", req.note);
    body["scope"] = boost::json::value_from(req.scope);
    detail::append_json(parts.body(), body);
    return {};
}

CFMAIL_DECL boost::system::error_code edit_suppression_op::prepare(const request_type& req,
                                                                   const client_options&,
                                                                   request_parts& parts,
                                                                   std::string& why) {
    if (auto ec = detail::validate_suppression_id(req.suppression_id, why))
        return ec;
    if (req.expires_at && *req.expires_at) {
        if (auto ec = detail::validate_timestamp("expires_at", **req.expires_at, why))
            return ec;
    }
    if (req.note) {
        if (auto ec = detail::validate_note("note", *req.note, why))
            return ec;
    }
    parts.append_segment("suppressions");
    parts.append_segment(req.suppression_id);
    boost::json::object body;
    if (req.expires_at)
        body["expires_at"] =
            *req.expires_at ? boost::json::value(**req.expires_at) : boost::json::value();
    detail::put_optional(body, "note", req.note);
    detail::append_json(parts.body(), body);
    return {};
}

CFMAIL_DECL boost::system::error_code delete_suppression_op::prepare(const request_type& req,
                                                                     const client_options&,
                                                                     request_parts& parts,
                                                                     std::string& why) {
    if (auto ec = detail::validate_suppression_id(req.suppression_id, why))
        return ec;
    parts.append_segment("suppressions");
    parts.append_segment(req.suppression_id);
    return {};
}

CFMAIL_DECL boost::system::error_code import_suppressions_op::prepare(const request_type& req,
                                                                      const client_options&,
                                                                      request_parts& parts,
                                                                      std::string& why) {
    if (req.items.empty())
        return detail::invalid(why, "items: empty, at least one is required");
    if (req.items.size() > max_import_items)
        return detail::invalid(why, "items: " + std::to_string(req.items.size()) +
                                        " entries, at most 1000 allowed");
    boost::json::array items;
    items.reserve(req.items.size());
    for (std::size_t i = 0; i < req.items.size(); ++i) {
        const auto& item = req.items[i];
        if (auto ec = detail::validate_item("items[" + std::to_string(i) + "]", item, why))
            return ec;
        boost::json::object o;
        o["email"] = item.email;
        if (item.scope)
            o["scope"] = boost::json::value_from(*item.scope);
        detail::put_optional(o, "expires_at", item.expires_at);
        detail::put_optional(o, "note", item.note);
        items.push_back(std::move(o));
    }
    parts.append_segment("suppressions");
    parts.append_segment("bulk");
    boost::json::object body;
    body["items"] = std::move(items);
    detail::append_json(parts.body(), body);
    return {};
}

} // namespace cfmail

#endif
