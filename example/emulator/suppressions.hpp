// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_EMULATOR_SUPPRESSIONS_HPP
#define CFMAIL_EMULATOR_SUPPRESSIONS_HPP

// The suppression list cfmail-emulator keeps in memory (and loads with --suppressions): the
// addresses it refuses to send to. No HTTP here; handler.hpp turns requests into these calls.

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace cfmail_emulator {

// The API's timestamps carry at most milliseconds here.
using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

inline std::string lowercase(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    return out;
}

// An RFC 3339 date-time (`2026-07-01T12:00:00Z`, `2026-07-01t14:00:00.5+02:00`), fractions
// beyond milliseconds dropped, a leap second read as the second before it.
inline std::optional<timestamp> parse_timestamp(std::string_view s) {
    using namespace std::chrono;
    std::size_t pos = 0;
    auto number = [&](std::size_t digits, int& out) {
        if (pos + digits > s.size())
            return false;
        out = 0;
        for (std::size_t i = 0; i < digits; ++i) {
            const char c = s[pos + i];
            if (c < '0' || c > '9')
                return false;
            out = out * 10 + (c - '0');
        }
        pos += digits;
        return true;
    };
    auto literal = [&](std::string_view accepted) {
        if (pos < s.size() && accepted.find(s[pos]) != std::string_view::npos) {
            ++pos;
            return true;
        }
        return false;
    };
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!number(4, y) || !literal("-") || !number(2, mo) || !literal("-") || !number(2, d) ||
        !literal("Tt") || !number(2, h) || !literal(":") || !number(2, mi) || !literal(":") ||
        !number(2, sec))
        return std::nullopt;
    int millis = 0;
    if (literal(".")) {
        const std::size_t start = pos;
        for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
            if (pos - start < 3)
                millis = millis * 10 + (s[pos] - '0');
        }
        if (pos == start)
            return std::nullopt;
        for (auto n = pos - start; n < 3; ++n)
            millis *= 10;
    }
    int offset_minutes = 0;
    if (!literal("Zz")) {
        if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-'))
            return std::nullopt;
        const int sign = s[pos++] == '-' ? -1 : 1;
        int oh = 0, om = 0;
        if (!number(2, oh) || !literal(":") || !number(2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset_minutes = sign * (oh * 60 + om);
    }
    if (pos != s.size() || h > 23 || mi > 59 || sec > 60)
        return std::nullopt;
    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                              day{static_cast<unsigned>(d)}};
    if (!date.ok())
        return std::nullopt;
    return timestamp{sys_days{date}} + hours{h} + minutes{mi} + seconds{sec == 60 ? 59 : sec} +
           milliseconds{millis} - minutes{offset_minutes};
}

// RFC 3339 in UTC, with milliseconds only when there are any.
inline std::string format_timestamp(timestamp t) {
    using namespace std::chrono;
    const auto midnight = floor<days>(t);
    const year_month_day date{midnight};
    const hh_mm_ss<milliseconds> time{t - midnight};
    char out[40];
    const int y = static_cast<int>(date.year());
    const unsigned ms = static_cast<unsigned>(time.subseconds().count());
    const int n = std::snprintf(
        out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d", y, static_cast<unsigned>(date.month()),
        static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
        static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
    std::string text(out, static_cast<std::size_t>(n > 0 ? n : 0));
    if (ms != 0) {
        std::snprintf(out, sizeof out, ".%03u", ms);
        text += out;
    }
    return text + 'Z';
}

// An address the list can hold: printable ASCII without spaces or the characters that
// delimit addresses in a header, with a local part and a domain.
inline bool valid_address(std::string_view a) {
    if (a.empty() || a.size() > 254)
        return false;
    for (char c : a) {
        if (c <= 0x20 || c > 0x7e || std::string_view("<>,;").find(c) != std::string_view::npos)
            return false;
    }
    const auto at = a.rfind('@');
    return at != std::string_view::npos && at > 0 && at + 1 < a.size();
}

// A DNS name, as a sending domain is.
inline bool valid_domain(std::string_view d) {
    if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.' ||
        d.find("..") != std::string_view::npos)
        return false;
    for (char c : d) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

struct suppression {
    std::string id;
    std::string email;
    std::string reason = "manual";
    timestamp created_at{};
    std::optional<timestamp> expires_at; // none: permanent
    bool read_only = false;
    std::optional<std::string> note;
    std::optional<std::string> domain; // the sending_domain scope's value; none: account scope
};

inline boost::json::object scope_json(const std::optional<std::string>& domain) {
    if (!domain)
        return {{"type", "account"}};
    return {{"type", "sending_domain"}, {"value", *domain}};
}

inline boost::json::object to_json(const suppression& s) {
    boost::json::object out{{"id", s.id},
                            {"email", s.email},
                            {"reason", s.reason},
                            {"created_at", format_timestamp(s.created_at)}};
    if (s.expires_at)
        out["expires_at"] = format_timestamp(*s.expires_at);
    else
        out["expires_at"] = nullptr;
    out["read_only"] = s.read_only;
    if (s.note)
        out["note"] = *s.note;
    else
        out["note"] = nullptr;
    out["scope"] = scope_json(s.domain);
    return out;
}

// The suppressions in creation order, found by id and by address and scope. At most one
// suppression exists for an address in a scope; addresses and domains compare without case.
class suppression_list {
public:
    using entries_type = std::map<std::uint64_t, suppression>; // by creation order

    const entries_type& entries() const { return by_order_; }
    std::size_t size() const { return by_order_.size(); }

    suppression* find(std::string_view id) {
        auto it = by_id_.find(std::string(id));
        return it == by_id_.end() ? nullptr : &by_order_.at(it->second);
    }
    const suppression* find(std::string_view id) const {
        auto it = by_id_.find(std::string(id));
        return it == by_id_.end() ? nullptr : &by_order_.at(it->second);
    }

    suppression* find(std::string_view email, const std::optional<std::string>& domain) {
        auto it = by_key_.find(key(email, domain));
        return it == by_key_.end() ? nullptr : &by_order_.at(it->second);
    }

    // Whether a message from `sender_domain` may not go to `recipient`: an account-wide
    // suppression, or one for that sending domain.
    bool blocks(std::string_view recipient, std::string_view sender_domain) const {
        if (by_key_.count(key(recipient, std::nullopt)))
            return true;
        return !sender_domain.empty() &&
               by_key_.count(key(recipient, std::string(sender_domain))) != 0;
    }

    // Adds `s`, whose id and address with scope must be new to the list.
    const suppression& add(suppression s) {
        const auto order = next_order_++;
        by_id_.emplace(s.id, order);
        by_key_.emplace(key(s.email, s.domain), order);
        return by_order_.emplace(order, std::move(s)).first->second;
    }

    bool remove(std::string_view id) {
        auto it = by_id_.find(std::string(id));
        if (it == by_id_.end())
            return false;
        const auto order = it->second;
        const auto& s = by_order_.at(order);
        by_key_.erase(key(s.email, s.domain));
        by_id_.erase(it);
        by_order_.erase(order);
        return true;
    }

    // Drops what expired at `now`: an expired suppression no longer exists.
    void expire(timestamp now) {
        for (auto it = by_order_.begin(); it != by_order_.end();) {
            if (it->second.expires_at && *it->second.expires_at <= now) {
                by_key_.erase(key(it->second.email, it->second.domain));
                by_id_.erase(it->second.id);
                it = by_order_.erase(it);
            } else {
                ++it;
            }
        }
    }

private:
    static std::string key(std::string_view email, const std::optional<std::string>& domain) {
        // Neither addresses nor domains hold a newline, so the key cannot be ambiguous.
        return (domain ? "d" + lowercase(*domain) : std::string("a")) + '\n' + lowercase(email);
    }

    entries_type by_order_;
    std::unordered_map<std::string, std::uint64_t> by_id_;
    std::unordered_map<std::string, std::uint64_t> by_key_;
    std::uint64_t next_order_ = 1;
};

namespace detail {

// Each reader below leaves its output alone and returns what is wrong, or nothing.

inline std::optional<std::string> read_email(const boost::json::value& v, std::string& out) {
    const auto* s = v.if_string();
    if (!s)
        return "email must be a string";
    if (!valid_address(*s))
        return "email is not a printable ASCII address";
    out.assign(s->data(), s->size());
    return std::nullopt;
}

inline std::optional<std::string> read_scope(const boost::json::value& v,
                                             std::optional<std::string>& out) {
    const auto* o = v.if_object();
    if (!o)
        return "scope must be an object";
    for (const auto& field : *o) {
        if (field.key() != "type" && field.key() != "value")
            return "scope takes only type and value";
    }
    const auto* type = o->contains("type") ? o->at("type").if_string() : nullptr;
    if (!type || (*type != "account" && *type != "sending_domain"))
        return "scope.type must be account or sending_domain";
    const auto* value = o->if_contains("value");
    if (*type == "account") {
        if (value && !value->is_null())
            return "scope.value goes only with scope.type sending_domain";
        out.reset();
        return std::nullopt;
    }
    const auto* domain = value ? value->if_string() : nullptr;
    if (!domain || !valid_domain(*domain))
        return "scope.value must be a domain name";
    out.emplace(domain->data(), domain->size());
    return std::nullopt;
}

inline std::optional<std::string> read_expiry(const boost::json::value& v,
                                              std::optional<timestamp>& out) {
    if (v.is_null()) {
        out.reset();
        return std::nullopt;
    }
    const auto* s = v.if_string();
    const auto t = s ? parse_timestamp(*s) : std::nullopt;
    if (!t)
        return "expires_at must be an RFC 3339 timestamp or null";
    out = *t;
    return std::nullopt;
}

// An empty note is no note: that is how a note is cleared.
inline std::optional<std::string> read_note(const boost::json::value& v,
                                            std::optional<std::string>& out) {
    if (v.is_null()) {
        out.reset();
        return std::nullopt;
    }
    const auto* s = v.if_string();
    if (!s)
        return "note must be a string or null";
    if (s->empty())
        out.reset();
    else
        out.emplace(s->data(), s->size());
    return std::nullopt;
}

} // namespace detail

// Loads the suppressions of a --suppressions file, a JSON array of suppression objects as the
// API returns them: only `email` is required; `id` defaults to a new one from `new_id`,
// `reason` to manual, `created_at` to `now`, `read_only` to false, the scope to the account.
// Returns what is wrong with the file, or nothing; on an error the list is left unchanged.
template <class NewId>
std::optional<std::string> load_suppressions(std::string_view text, suppression_list& list,
                                             timestamp now, NewId&& new_id) {
    boost::system::error_code ec;
    const auto doc = boost::json::parse(text, ec);
    if (ec)
        return "not JSON: " + ec.message();
    const auto* items = doc.if_array();
    if (!items)
        return std::string("expected a JSON array of suppressions");
    suppression_list loaded = list;
    for (std::size_t i = 0; i < items->size(); ++i) {
        const std::string where = "suppression " + std::to_string(i) + ": ";
        const auto* o = (*items)[i].if_object();
        if (!o)
            return where + "not an object";
        suppression s;
        s.created_at = now;
        if (!o->contains("email"))
            return where + "email is required";
        for (const auto& field : *o) {
            const auto name = field.key();
            const auto& v = field.value();
            std::optional<std::string> wrong;
            if (name == "email") {
                wrong = detail::read_email(v, s.email);
            } else if (name == "id") {
                const auto* id = v.if_string();
                // Any printable id can be reached: ids in paths are percent-decoded.
                if (!id || id->empty() || id->size() > 128 ||
                    !std::all_of(id->begin(), id->end(),
                                 [](char c) { return c >= 0x20 && c < 0x7f; }))
                    wrong = "id must be 1 to 128 printable ASCII characters";
                else
                    s.id.assign(id->data(), id->size());
            } else if (name == "reason") {
                const auto* r = v.if_string();
                if (!r || r->empty())
                    wrong = "reason must be a non-empty string";
                else
                    s.reason.assign(r->data(), r->size());
            } else if (name == "created_at") {
                const auto* c = v.if_string();
                const auto t = c ? parse_timestamp(*c) : std::nullopt;
                if (!t)
                    wrong = "created_at must be an RFC 3339 timestamp";
                else
                    s.created_at = *t;
            } else if (name == "expires_at") {
                wrong = detail::read_expiry(v, s.expires_at);
            } else if (name == "read_only") {
                if (!v.is_bool())
                    wrong = "read_only must be true or false";
                else
                    s.read_only = v.get_bool();
            } else if (name == "note") {
                wrong = detail::read_note(v, s.note);
            } else if (name == "scope") {
                wrong = detail::read_scope(v, s.domain);
            } else {
                // A misspelt field would otherwise be dropped without a word.
                wrong = "unknown field " + std::string(name);
            }
            if (wrong)
                return where + *wrong;
        }
        if (s.id.empty()) {
            do
                s.id = new_id();
            while (loaded.find(s.id));
        } else if (loaded.find(s.id)) {
            return where + "id " + s.id + " appears twice";
        }
        if (loaded.find(s.email, s.domain))
            return where + s.email + " appears twice in the same scope";
        loaded.add(std::move(s));
    }
    list = std::move(loaded);
    return std::nullopt;
}

} // namespace cfmail_emulator

#endif
