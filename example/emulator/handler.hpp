// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_EMULATOR_HANDLER_HPP
#define CFMAIL_EMULATOR_HANDLER_HPP

// The request handling of cfmail-emulator, without I/O: what the API answers to one request.
// The server (emulator.cpp) feeds it requests and carries out what it answers.

#include "compose.hpp"
#include "suppressions.hpp"

#include <boost/json.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cfmail_emulator {

// The emulator's settings.
struct settings {
    std::optional<std::string> token; // when set, only `Authorization: Bearer <token>` passes
    std::size_t max_message_size = 5u * 1024u * 1024u;
    std::size_t max_recipients = 50;
    std::size_t page_size = 50; // suppressions a list page holds when per_page is not given
    std::size_t max_per_page = 100;
    std::size_t max_bulk_items = 1000;
    std::size_t bulk_imports_per_minute = 10; // per account, over the last 60 seconds
    // The emulator's own bound, so that a runaway client cannot grow it without end.
    std::size_t max_suppressions = 100000;
};

// A message the API accepted, to be stored.
struct accepted_message {
    std::string message_id; // made by the emulator: `<hex@emulator.cfmail.test>`
    std::string file_stem;  // made by the emulator, safe as a file name: hex only
    std::string account_id;
    std::string from;
    std::vector<std::string> recipients;
    std::string mime_message;
};

// How to misbehave, chosen by an account id that starts with `fault-<name>-`.
enum class fault {
    none,
    rate_limited,  // fault-429-: 429 with Retry-After: 1 and envelope 10004
    internal,      // fault-500-: 500 with envelope 10002 (nothing stored)
    bad_gateway,   // fault-502-: 502 without envelope, after storing the message
    unavailable,   // fault-503-: 503 without envelope, after storing the message
    success_false, // fault-successfalse-: 200 with success:false
    malformed,     // fault-malformed-: 200 with a body that is not JSON, after storing
    wrong_shape, // fault-wrongshape-: success:true with a result of the wrong shape, after storing
    short_body,  // fault-short-: Content-Length larger than the body, after storing
    drop,        // fault-drop-: close the connection without answering, after storing
    slow,        // fault-slow-: answer after 3 s, after storing
    oversize,    // fault-oversize-: a 2 MiB answer, after storing
    idle_close,  // fault-idleclose-: answer, then close the connection without notice
    escape,      // fault-escape-: 400 whose message and cf-ray carry terminal control sequences
    escape_ok,   // fault-escapeok-: success with a message id full of control characters, stored
};

// One answer.
struct answer {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    fault misbehave = fault::none;
    std::optional<accepted_message> stored; // present when the message must be stored
};

// The request as the server read it.
struct incoming {
    std::string_view method;
    std::string_view target;
    std::string_view authorization;
    std::string_view auth_email;
    std::string_view auth_key;
    std::string_view body;
};

inline std::string envelope_error(std::int64_t code, std::string_view message) {
    boost::json::object entry{{"code", code}, {"message", message}};
    boost::json::object env{{"success", false},
                            {"errors", boost::json::array{std::move(entry)}},
                            {"messages", boost::json::array{}},
                            {"result", nullptr}};
    return boost::json::serialize(env);
}

inline answer error_answer(unsigned status, std::int64_t code, std::string_view message) {
    answer a;
    a.status = status;
    a.body = envelope_error(code, message);
    return a;
}

inline fault fault_of(std::string_view account_id) {
    struct named {
        std::string_view prefix;
        fault value;
    };
    static constexpr named table[] = {
        {"fault-429-", fault::rate_limited},
        {"fault-500-", fault::internal},
        {"fault-502-", fault::bad_gateway},
        {"fault-503-", fault::unavailable},
        {"fault-successfalse-", fault::success_false},
        {"fault-malformed-", fault::malformed},
        {"fault-wrongshape-", fault::wrong_shape},
        {"fault-short-", fault::short_body},
        {"fault-drop-", fault::drop},
        {"fault-slow-", fault::slow},
        {"fault-oversize-", fault::oversize},
        {"fault-idleclose-", fault::idle_close},
        {"fault-escapeok-", fault::escape_ok},
        {"fault-escape-", fault::escape},
    };
    for (const auto& entry : table) {
        if (account_id.substr(0, entry.prefix.size()) == entry.prefix)
            return entry.value;
    }
    return fault::none;
}

inline bool printable_ascii(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s) {
        if (c < 0x20 || c > 0x7e)
            return false;
    }
    return true;
}

// Whether `given` is the secret `expected`, in a time that depends on their lengths only, so
// that timing the answers cannot reveal the secret byte by byte.
inline bool same_secret(std::string_view given, std::string_view expected) noexcept {
    return given.size() == expected.size() &&
           CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

// Whether a request's Transfer-Encoding (its fields' values joined with commas) ends with
// `chunked`, applied once, every coding being a plain token. Beast reads a request whose last
// coding is another as having no body, and the body would then be taken for the next request.
inline bool chunked_is_last(std::string_view transfer_encoding) {
    auto is_tchar = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    };
    auto is_chunked = [](std::string_view t) {
        constexpr std::string_view word = "chunked";
        if (t.size() != word.size())
            return false;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const char c =
                t[i] >= 'A' && t[i] <= 'Z' ? static_cast<char>(t[i] + ('a' - 'A')) : t[i];
            if (c != word[i])
                return false;
        }
        return true;
    };
    bool chunked_seen = false, last_chunked = false;
    std::size_t codings = 0;
    for (std::size_t start = 0; start <= transfer_encoding.size();) {
        auto end = transfer_encoding.find(',', start);
        if (end == std::string_view::npos)
            end = transfer_encoding.size();
        auto coding = transfer_encoding.substr(start, end - start);
        while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
            coding.remove_prefix(1);
        while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
            coding.remove_suffix(1);
        start = end + 1;
        if (coding.empty())
            continue; // empty list elements are allowed and mean nothing
        for (char c : coding) {
            if (!is_tchar(c))
                return false;
        }
        ++codings;
        last_chunked = is_chunked(coding);
        if (last_chunked && chunked_seen)
            return false;
        chunked_seen = chunked_seen || last_chunked;
    }
    return codings > 0 && last_chunked;
}

inline std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    std::string domain(at == std::string_view::npos ? std::string_view{} : address.substr(at + 1));
    for (auto& c : domain)
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    return domain;
}

inline std::string random_hex(std::size_t bytes) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        auto v = static_cast<unsigned>(rng() & 0xff);
        out += digits[v >> 4];
        out += digits[v & 15];
    }
    return out;
}

// Percent-decodes `s` (a `+` stays a `+`: an address may hold one); nothing when an escape is
// malformed.
inline std::optional<std::string> percent_decode(std::string_view s) {
    auto hex = [](char c) -> int {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
    };
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size())
            return std::nullopt;
        const int high = hex(s[i + 1]), low = hex(s[i + 2]);
        if (high < 0 || low < 0)
            return std::nullopt;
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

// The parameters of a query string, decoded, in order; nothing when one is malformed.
inline std::optional<std::vector<std::pair<std::string, std::string>>>
parse_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t start = 0; start <= query.size();) {
        auto end = query.find('&', start);
        if (end == std::string_view::npos)
            end = query.size();
        const auto piece = query.substr(start, end - start);
        start = end + 1;
        if (piece.empty())
            continue;
        const auto eq = piece.find('=');
        auto name = percent_decode(piece.substr(0, eq));
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                                 : piece.substr(eq + 1));
        if (!name || !value)
            return std::nullopt;
        out.emplace_back(std::move(*name), std::move(*value));
    }
    return out;
}

// What the emulator remembers between requests: the suppression list, the bulk imports of the
// last minute, the list cursors it issued. Nothing here is locked: the server answers every
// request on one thread.
struct state {
    suppression_list suppressions;
    std::map<std::string, std::deque<timestamp>, std::less<>> bulk_imports; // by account id
    std::map<std::string, std::uint64_t, std::less<>> cursors; // cursor -> where its page starts
    std::deque<std::string> cursors_issued;                    // oldest first
    // Replaceable so that tests can move time (expiry, the bulk import rate).
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };

    timestamp now() const { return std::chrono::floor<std::chrono::milliseconds>(clock()); }
};

namespace detail {

// Cursors issued and still honoured: older ones are forgotten, and a client that keeps one
// that long gets the unknown-cursor error.
constexpr std::size_t cursors_kept = 4096;

inline answer schema_error(std::string_view what) {
    return error_answer(400, 10001, "Invalid request schema: " + std::string(what));
}

inline answer method_not_allowed(std::string_view allowed) {
    auto a = error_answer(405, 10000, "Method not allowed");
    a.headers.emplace_back("Allow", std::string(allowed));
    return a;
}

// 404 for a suppression id that names none. The API documents 10000 for everything not found;
// the message tells a missing suppression from a wrong path.
inline answer no_such_suppression() {
    return error_answer(404, 10000, "Suppression not found");
}

inline answer read_only_suppression() {
    return error_answer(403, 10102, "Forbidden: the suppression is read-only");
}

// The answer to a request that was carried out, as the account's fault makes it. Faults that
// lose the answer (502, 503, malformed, ...) come after the work is done, as with a send.
inline answer succeeded(boost::json::value result, fault misbehave,
                        std::string_view wrong_shape_body,
                        std::optional<boost::json::object> result_info = std::nullopt) {
    answer a;
    a.misbehave = misbehave;
    if (misbehave == fault::malformed) {
        a.body = "{\"success\":true,\"result\":{";
    } else if (misbehave == fault::wrong_shape) {
        a.body = wrong_shape_body;
    } else if (misbehave == fault::bad_gateway || misbehave == fault::unavailable) {
        a.status = misbehave == fault::bad_gateway ? 502 : 503;
        a.body = "<html><body>upstream error</body></html>";
        a.headers.emplace_back("Content-Type", "text/html");
    } else {
        boost::json::object env{{"success", true},
                                {"errors", boost::json::array{}},
                                {"messages", boost::json::array{}},
                                {"result", std::move(result)}};
        if (result_info)
            env["result_info"] = std::move(*result_info);
        a.body = boost::json::serialize(env);
        if (misbehave == fault::oversize)
            a.body += std::string(2 * 1024 * 1024, ' ');
    }
    return a;
}

constexpr std::string_view send_wrong_shape =
    R"({"success":true,"errors":[],"messages":[],"result":{"delivered":"nobody"}})";
constexpr std::string_view suppression_wrong_shape =
    R"({"success":true,"errors":[],"messages":[],"result":{"id":7}})";

// Checks the credentials; returns the refusal, or nothing when they pass.
inline std::optional<answer> refuse_credentials(const settings& config, const incoming& req) {
    constexpr std::string_view bearer = "Bearer ";
    if (req.authorization.substr(0, bearer.size()) == bearer &&
        req.authorization.size() > bearer.size()) {
        const auto token = req.authorization.substr(bearer.size());
        if (config.token && !same_secret(token, *config.token))
            return error_answer(401, 10101, "Unauthorized: invalid API token");
    } else if (!config.token && !req.auth_email.empty() && !req.auth_key.empty()) {
        // The global key scheme is accepted when no specific token is required.
    } else {
        return error_answer(401, 10101, "Unauthorized: no valid credentials");
    }
    return std::nullopt;
}

// The refusal of a send to a suppressed recipient: the whole request fails, one error for
// each suppressed address. Nothing is sent or stored.
inline std::optional<answer> refuse_suppressed(const state& memory,
                                               const std::vector<std::string>& recipients,
                                               std::string_view from) {
    const auto sender_domain = domain_of(from);
    boost::json::array errors;
    std::vector<std::string> seen;
    for (const auto& r : recipients) {
        auto lower = lowercase(r);
        if (std::find(seen.begin(), seen.end(), lower) != seen.end() ||
            !memory.suppressions.blocks(r, sender_domain))
            continue;
        seen.push_back(std::move(lower));
        errors.emplace_back(boost::json::object{{"code", std::int64_t{10001}},
                                                {"message", "Recipient is suppressed: " + r}});
    }
    if (errors.empty())
        return std::nullopt;
    answer a;
    a.status = 400;
    a.body = boost::json::serialize(boost::json::object{{"success", false},
                                                        {"errors", std::move(errors)},
                                                        {"messages", boost::json::array{}},
                                                        {"result", nullptr}});
    return a;
}

// The answer to an accepted message, sent by send_raw or send, as the account's fault makes it.
inline answer accepted_answer(accepted_message message, fault misbehave) {
    if (misbehave == fault::success_false)
        return error_answer(200, 10002, "Internal error reported with status 200");
    boost::json::array delivered, queued, bounced;
    for (const auto& r : message.recipients) {
        const auto domain = domain_of(r);
        (domain == "bounce.test"  ? bounced
         : domain == "queue.test" ? queued
                                  : delivered)
            .emplace_back(r);
    }
    boost::json::object result{{"delivered", std::move(delivered)},
                               {"permanent_bounces", std::move(bounced)},
                               {"queued", std::move(queued)},
                               {"message_id", message.message_id}};
    auto a = succeeded(std::move(result), misbehave, send_wrong_shape);
    a.stored = std::move(message);
    return a;
}

inline std::string new_message_stem() {
    return random_hex(16);
}

inline answer send_raw(const settings& config, const state& memory, std::string_view account_id,
                       std::string_view request_body, fault misbehave) {
    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(request_body, ec);
    auto* obj = ec ? nullptr : body.if_object();
    if (!obj || obj->size() != 3 || !obj->contains("from") || !obj->contains("recipients") ||
        !obj->contains("mime_message"))
        return error_answer(
            400, 10001, "Invalid request schema: expected exactly from, recipients, mime_message");
    auto* from = obj->at("from").if_string();
    auto* recipients = obj->at("recipients").if_array();
    auto* mime = obj->at("mime_message").if_string();
    if (!from || !recipients || !mime)
        return error_answer(400, 10001, "Invalid request schema: wrong field type");
    if (!printable_ascii(*from))
        return error_answer(400, 10001, "Invalid request schema: from is not printable ASCII");
    if (recipients->empty() || recipients->size() > config.max_recipients)
        return error_answer(400, 10001, "Invalid request schema: 1 to 50 recipients");
    accepted_message message;
    for (const auto& r : *recipients) {
        auto* s = r.if_string();
        if (!s || !printable_ascii(*s))
            return error_answer(400, 10001,
                                "Invalid request schema: recipient is not printable ASCII");
        message.recipients.emplace_back(s->data(), s->size());
    }
    if (mime->empty())
        return error_answer(400, 10001, "Invalid request schema: mime_message is empty");
    if (mime->size() > config.max_message_size)
        return error_answer(400, 10202, "Email too big: the limit is 5 MiB");
    if (auto refusal = refuse_suppressed(memory, message.recipients, *from))
        return std::move(*refusal);

    message.file_stem = new_message_stem();
    message.message_id = "<" + message.file_stem + "@emulator.cfmail.test>";
    if (misbehave == fault::escape_ok)
        message.message_id =
            "<\x1b]0;title\x07\x1b[2J\xc2\x9b\x7f" + message.file_stem + "@emulator.cfmail.test>";
    message.account_id.assign(account_id);
    message.from.assign(from->data(), from->size());
    message.mime_message.assign(mime->data(), mime->size());
    return accepted_answer(std::move(message), misbehave);
}

inline answer send_structured(const settings& config, const state& memory,
                              std::string_view account_id, std::string_view request_body,
                              fault misbehave) {
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(request_body, ec);
    if (ec)
        return schema_error("the body is not JSON");
    structured_message m;
    if (auto problem = read_send(body, config.max_message_size, config.max_recipients, m)) {
        if (problem->too_big)
            return error_answer(400, 10202, "Email too big: the limit is 5 MiB");
        return schema_error(problem->message);
    }
    accepted_message message;
    message.recipients = m.recipients();
    if (auto refusal = refuse_suppressed(memory, message.recipients, m.from.address))
        return std::move(*refusal);

    message.file_stem = new_message_stem();
    message.message_id = "<" + message.file_stem + "@emulator.cfmail.test>";
    // The stored message keeps a clean Message-ID even when the answer's is garbled below.
    if (auto refused = compose(m, message.message_id, memory.now(), message.mime_message))
        return schema_error(*refused);
    if (misbehave == fault::escape_ok)
        message.message_id =
            "<\x1b]0;title\x07\x1b[2J\xc2\x9b\x7f" + message.file_stem + "@emulator.cfmail.test>";
    message.account_id.assign(account_id);
    message.from = m.from.address;
    return accepted_answer(std::move(message), misbehave);
}

inline std::string new_suppression_id(const suppression_list& list) {
    std::string id;
    do
        id = random_hex(16);
    while (list.find(id));
    return id;
}

inline answer list_suppressions(const settings& config, state& memory, std::string_view query,
                                fault misbehave) {
    const auto params = parse_query(query);
    if (!params)
        return schema_error("malformed query string");
    std::optional<std::string> per_page, cursor, email, reason, scope_type, scope_value, search;
    const std::pair<std::string_view, std::optional<std::string>*> known[] = {
        {"per_page", &per_page}, {"cursor", &cursor},         {"email", &email},
        {"reason", &reason},     {"scope_type", &scope_type}, {"scope_value", &scope_value},
        {"search", &search}};
    for (const auto& param : *params) {
        // Other parameters are ignored, as the API ignores what it does not know.
        const auto* slot = std::find_if(std::begin(known), std::end(known),
                                        [&](const auto& k) { return k.first == param.first; });
        if (slot == std::end(known))
            continue;
        if (*slot->second)
            return schema_error(param.first + " is given twice");
        *slot->second = param.second;
    }
    // An empty value filters nothing, as if the parameter were absent.
    for (const auto& k : known) {
        if (*k.second && k.second->value().empty())
            k.second->reset();
    }

    std::size_t size = config.page_size;
    if (per_page) {
        std::size_t n = 0;
        const bool digits =
            per_page->size() <= 4 && per_page->find_first_not_of("0123456789") == std::string::npos;
        for (char c : digits ? *per_page : std::string())
            n = n * 10 + static_cast<std::size_t>(c - '0');
        if (n < 1 || n > config.max_per_page)
            return schema_error("per_page takes a number from 1 to " +
                                std::to_string(config.max_per_page));
        size = n;
    }
    std::uint64_t start = 0;
    if (cursor) {
        auto it = memory.cursors.find(*cursor);
        if (it == memory.cursors.end())
            return schema_error("unknown cursor");
        start = it->second;
    }
    if (scope_type && *scope_type != "account" && *scope_type != "sending_domain")
        return schema_error("scope_type must be account or sending_domain");
    if (scope_value && scope_type != "sending_domain")
        return schema_error("scope_value needs scope_type=sending_domain");
    std::optional<std::string> search_user; // `user@`: that user at every domain
    if (search) {
        const auto at = search->rfind('@');
        if (at == std::string::npos || at == 0)
            return schema_error("search takes an address, or a user name followed by @");
        if (at + 1 == search->size())
            search_user = lowercase(*search);
    }

    auto matches = [&](const suppression& s) {
        if (email && lowercase(s.email) != lowercase(*email))
            return false;
        if (reason && s.reason != *reason)
            return false;
        if (scope_type && (*scope_type == "account") != !s.domain)
            return false;
        if (scope_value && (!s.domain || lowercase(*s.domain) != lowercase(*scope_value)))
            return false;
        if (search_user) {
            const auto local = lowercase(s.email.substr(0, s.email.rfind('@') + 1));
            if (local != *search_user)
                return false;
        } else if (search && lowercase(s.email) != lowercase(*search)) {
            return false;
        }
        return true;
    };
    boost::json::array page;
    std::optional<std::uint64_t> next;
    const auto& entries = memory.suppressions.entries();
    for (auto it = entries.lower_bound(start); it != entries.end(); ++it) {
        if (!matches(it->second))
            continue;
        if (page.size() == size) {
            next = it->first;
            break;
        }
        page.emplace_back(to_json(it->second));
    }
    boost::json::object info{{"count", page.size()}, {"per_page", size}};
    if (next) {
        std::string token;
        do
            token = random_hex(16);
        while (memory.cursors.count(token));
        memory.cursors.emplace(token, *next);
        memory.cursors_issued.push_back(token);
        if (memory.cursors_issued.size() > cursors_kept) {
            memory.cursors.erase(memory.cursors_issued.front());
            memory.cursors_issued.pop_front();
        }
        info["cursor"] = token;
    }
    return succeeded(std::move(page), misbehave, suppression_wrong_shape, std::move(info));
}

// Reads the fields of a suppression to create, from a create request or a bulk import item.
// Returns what is wrong, or nothing.
inline std::optional<std::string> read_new_suppression(const boost::json::object& o, timestamp now,
                                                       suppression& out) {
    for (const auto& field : o) {
        const auto name = field.key();
        std::optional<std::string> wrong;
        if (name == "email")
            wrong = detail::read_email(field.value(), out.email);
        else if (name == "expires_at")
            wrong = detail::read_expiry(field.value(), out.expires_at);
        else if (name == "note")
            wrong = detail::read_note(field.value(), out.note);
        else if (name == "scope")
            wrong = detail::read_scope(field.value(), out.domain);
        else
            wrong = "unknown field " + std::string(name);
        if (wrong)
            return wrong;
    }
    if (!o.contains("email"))
        return std::string("email is required");
    if (out.expires_at && *out.expires_at <= now)
        return std::string("expires_at must be in the future");
    return std::nullopt;
}

inline answer create_suppression(const settings& config, state& memory,
                                 std::string_view request_body, fault misbehave) {
    boost::system::error_code ec;
    const auto body = boost::json::parse(request_body, ec);
    const auto* o = ec ? nullptr : body.if_object();
    if (!o)
        return schema_error("the body must be a JSON object");
    const auto now = memory.now();
    suppression s;
    if (auto wrong = read_new_suppression(*o, now, s))
        return schema_error(*wrong);
    // Creating is idempotent: an existing suppression of the address in the scope answers.
    if (const auto* existing = memory.suppressions.find(s.email, s.domain))
        return succeeded(
            boost::json::object{{"id", existing->id}, {"scope", scope_json(existing->domain)}},
            misbehave, suppression_wrong_shape);
    if (memory.suppressions.size() >= config.max_suppressions)
        return error_answer(500, 10002, "Internal error: the emulator's suppression list is full");
    s.id = new_suppression_id(memory.suppressions);
    s.created_at = now;
    const auto& added = memory.suppressions.add(std::move(s));
    return succeeded(boost::json::object{{"id", added.id}, {"scope", scope_json(added.domain)}},
                     misbehave, suppression_wrong_shape);
}

inline answer edit_suppression(state& memory, const std::string& id, std::string_view request_body,
                               fault misbehave) {
    auto* s = memory.suppressions.find(id);
    if (!s)
        return no_such_suppression();
    boost::system::error_code ec;
    const auto body = boost::json::parse(request_body, ec);
    const auto* o = ec ? nullptr : body.if_object();
    if (!o)
        return schema_error("the body must be a JSON object");
    if (o->contains("scope"))
        return schema_error("scope_immutable: a suppression's scope cannot be changed; delete "
                            "it and create another");
    auto expires_at = s->expires_at;
    auto note = s->note;
    for (const auto& field : *o) {
        std::optional<std::string> wrong;
        if (field.key() == "expires_at")
            wrong = detail::read_expiry(field.value(), expires_at);
        else if (field.key() == "note")
            wrong = detail::read_note(field.value(), note);
        else
            wrong = "unknown field " + std::string(field.key());
        if (wrong)
            return schema_error(*wrong);
    }
    if (o->contains("expires_at") && expires_at && *expires_at <= memory.now())
        return schema_error("expires_at must be in the future");
    if (s->read_only)
        return read_only_suppression();
    s->expires_at = expires_at;
    s->note = std::move(note);
    return succeeded(to_json(*s), misbehave, suppression_wrong_shape);
}

inline answer delete_suppression(state& memory, const std::string& id, fault misbehave) {
    const auto* s = memory.suppressions.find(id);
    if (!s)
        return no_such_suppression();
    if (s->read_only)
        return read_only_suppression();
    boost::json::object result{{"id", s->id}, {"scope", scope_json(s->domain)}};
    memory.suppressions.remove(id);
    return succeeded(std::move(result), misbehave, suppression_wrong_shape);
}

// Whether the account may import once more now; records the import when it may. Answers the
// refusal otherwise, with the seconds until the oldest import of the minute leaves it.
inline std::optional<answer> throttle_bulk(const settings& config, state& memory,
                                           std::string_view account_id) {
    const auto now = memory.now();
    const auto window_start = now - std::chrono::minutes(1);
    // Accounts idle for a minute are forgotten, so the map holds only the last minute's.
    for (auto it = memory.bulk_imports.begin(); it != memory.bulk_imports.end();) {
        auto& times = it->second;
        while (!times.empty() && times.front() <= window_start)
            times.pop_front();
        it = times.empty() ? memory.bulk_imports.erase(it) : std::next(it);
    }
    auto& times = memory.bulk_imports[std::string(account_id)];
    if (times.size() >= config.bulk_imports_per_minute) {
        const auto wait = std::chrono::ceil<std::chrono::seconds>(times.front() - window_start);
        auto a = error_answer(429, 10004,
                              "Too many requests: at most " +
                                  std::to_string(config.bulk_imports_per_minute) +
                                  " bulk imports a minute");
        a.headers.emplace_back("Retry-After",
                               std::to_string(std::max<std::int64_t>(wait.count(), 1)));
        return a;
    }
    times.push_back(now);
    return std::nullopt;
}

inline answer import_suppressions(const settings& config, state& memory,
                                  std::string_view request_body, fault misbehave) {
    boost::system::error_code ec;
    const auto body = boost::json::parse(request_body, ec);
    const auto* o = ec ? nullptr : body.if_object();
    if (!o)
        return schema_error("the body must be a JSON object");
    for (const auto& field : *o) {
        if (field.key() != "items")
            return schema_error("unknown field " + std::string(field.key()));
    }
    const auto* items = o->contains("items") ? o->at("items").if_array() : nullptr;
    if (!items || items->empty() || items->size() > config.max_bulk_items)
        return schema_error("items must be an array of 1 to " +
                            std::to_string(config.max_bulk_items) + " suppressions");

    const auto now = memory.now();
    std::size_t processed = 0, invalid = 0, errors = 0, skipped = 0, deduplicated = 0;
    std::set<std::string> seen; // lowercase scope and address of the items before
    boost::json::array results;
    for (std::size_t i = 0; i < items->size(); ++i) {
        boost::json::object entry{{"index", i}};
        const auto* item = (*items)[i].if_object();
        suppression s;
        std::optional<std::string> wrong =
            item ? read_new_suppression(*item, now, s) : std::string("item must be an object");
        if (item) {
            if (const auto* e = item->if_contains("email"); e && e->is_string())
                entry["email"] = e->get_string();
        }
        if (wrong) {
            ++invalid;
            entry["status"] = "invalid";
            entry["error"] = *wrong;
            results.emplace_back(std::move(entry));
            continue;
        }
        // Repeats of an earlier item are dropped from the answer, only counted.
        if (!seen.insert((s.domain ? "d" + lowercase(*s.domain) : std::string("a")) + '\n' +
                         lowercase(s.email))
                 .second) {
            ++deduplicated;
            continue;
        }
        entry["scope"] = scope_json(s.domain);
        if (const auto* existing = memory.suppressions.find(s.email, s.domain)) {
            if (existing->read_only) {
                ++skipped;
                entry["status"] = "skipped";
                entry["error"] = "a read-only suppression of this address exists in this scope";
            } else {
                ++processed;
                entry["status"] = "processed";
                entry["id"] = existing->id;
            }
        } else if (memory.suppressions.size() >= config.max_suppressions) {
            ++errors;
            entry["status"] = "error";
            entry["error"] = "the emulator's suppression list is full";
        } else {
            s.id = new_suppression_id(memory.suppressions);
            s.created_at = now;
            ++processed;
            entry["status"] = "processed";
            entry["id"] = memory.suppressions.add(std::move(s)).id;
        }
        results.emplace_back(std::move(entry));
    }
    boost::json::object result{{"total", items->size()},     {"processed", processed},
                               {"invalid", invalid},         {"errors", errors},
                               {"skipped", skipped},         {"deduplicated", deduplicated},
                               {"items", std::move(results)}};
    return succeeded(std::move(result), misbehave, suppression_wrong_shape);
}

} // namespace detail

// Answers one request as the Email Sending API documents it, remembering suppressions and
// list cursors in `memory`. Paths are relative to {base}/accounts/{account_id}/email/sending:
// POST send_raw, POST send, GET and POST suppressions, POST suppressions/bulk, and GET, PATCH
// and DELETE suppressions/{id} (the id percent-decoded).
inline answer handle(const settings& config, state& memory, const incoming& req) {
    constexpr std::string_view prefix = "/client/v4/accounts/";
    constexpr std::string_view sending = "/email/sending/";
    const auto query_at = req.target.find('?');
    const std::string_view path = req.target.substr(0, query_at);
    const std::string_view query =
        query_at == std::string_view::npos ? std::string_view{} : req.target.substr(query_at + 1);
    if (path.substr(0, prefix.size()) != prefix)
        return error_answer(404, 10000, "Not found");
    const auto rest = path.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 ||
        rest.substr(slash, sending.size()) != sending)
        return error_answer(404, 10000, "Not found");
    const std::string_view account_id = rest.substr(0, slash);
    const std::string_view endpoint = rest.substr(slash + sending.size());

    enum class route { send_raw, send, suppressions, bulk, one_suppression };
    constexpr std::string_view collection = "suppressions";
    route where = route::send_raw;
    std::string_view allowed;
    std::string_view raw_id;
    if (endpoint == "send_raw") {
        where = route::send_raw;
        allowed = "POST";
    } else if (endpoint == "send") {
        where = route::send;
        allowed = "POST";
    } else if (endpoint == collection) {
        where = route::suppressions;
        allowed = "GET, POST";
    } else if (endpoint == "suppressions/bulk") {
        where = route::bulk;
        allowed = "POST";
    } else if (endpoint.substr(0, collection.size() + 1) == "suppressions/" &&
               endpoint.size() > collection.size() + 1 &&
               endpoint.find('/', collection.size() + 1) == std::string_view::npos) {
        where = route::one_suppression;
        allowed = "GET, PATCH, DELETE";
        raw_id = endpoint.substr(collection.size() + 1);
    } else {
        return error_answer(404, 10000, "Not found");
    }
    const auto method = req.method;
    const bool method_ok =
        (where == route::suppressions && (method == "GET" || method == "POST")) ||
        (where == route::one_suppression &&
         (method == "GET" || method == "PATCH" || method == "DELETE")) ||
        ((where == route::send_raw || where == route::send || where == route::bulk) &&
         method == "POST");
    if (!method_ok)
        return detail::method_not_allowed(allowed);

    if (auto refusal = detail::refuse_credentials(config, req))
        return std::move(*refusal);

    const fault misbehave = fault_of(account_id);
    if (misbehave == fault::rate_limited) {
        auto a = error_answer(429, 10004, "Too many requests");
        a.headers.emplace_back("Retry-After", "1");
        return a;
    }
    if (misbehave == fault::internal)
        return error_answer(500, 10002, "Internal error");
    if (misbehave == fault::escape) {
        // ESC and BEL (escaped in the JSON, raw once parsed), DEL, U+009B (CSI among the C1
        // controls), and in cf-ray a lone 0x9B byte, which is not UTF-8 at all.
        auto a = error_answer(400, 10001,
                              "Invalid caf\xc3\xa9: \x1b[31mred\x1b[0m \xc2\x9b"
                              "2J \x7f\x07");
        a.headers.emplace_back("cf-ray", "\x9b"
                                         "31m-EMU");
        return a;
    }

    memory.suppressions.expire(memory.now());
    if (where == route::send_raw)
        return detail::send_raw(config, memory, account_id, req.body, misbehave);
    if (where == route::send)
        return detail::send_structured(config, memory, account_id, req.body, misbehave);
    // A send checks its request first; a suppression request fails before it changes anything.
    if (misbehave == fault::success_false)
        return error_answer(200, 10002, "Internal error reported with status 200");
    if (where == route::suppressions)
        return method == "GET" ? detail::list_suppressions(config, memory, query, misbehave)
                               : detail::create_suppression(config, memory, req.body, misbehave);
    if (where == route::bulk) {
        if (auto refusal = detail::throttle_bulk(config, memory, account_id))
            return std::move(*refusal);
        return detail::import_suppressions(config, memory, req.body, misbehave);
    }
    const auto id = percent_decode(raw_id);
    if (!id)
        return detail::no_such_suppression();
    if (method == "GET") {
        const auto* s = memory.suppressions.find(*id);
        return s ? detail::succeeded(to_json(*s), misbehave, detail::suppression_wrong_shape)
                 : detail::no_such_suppression();
    }
    if (method == "PATCH")
        return detail::edit_suppression(memory, *id, req.body, misbehave);
    return detail::delete_suppression(memory, *id, misbehave);
}

// Answers one request with nothing remembered from earlier ones: an empty suppression list.
inline answer handle(const settings& config, const incoming& req) {
    state fresh;
    return handle(config, fresh, req);
}

} // namespace cfmail_emulator

#endif
