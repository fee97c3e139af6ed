// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_EMULATOR_HANDLER_HPP
#define CFMAIL_EMULATOR_HANDLER_HPP

// The request handling of cfmail-emulator, without I/O: what the API answers to one request.
// The server (emulator.cpp) feeds it requests and carries out what it answers.

#include <boost/json.hpp>

#include <openssl/crypto.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace cfmail_emulator {

// The emulator's settings.
struct settings {
    std::optional<std::string> token; // when set, only `Authorization: Bearer <token>` passes
    std::size_t max_message_size = 5u * 1024u * 1024u;
    std::size_t max_recipients = 50;
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

// Answers one request as the Email Sending API documents it.
inline answer handle(const settings& config, const incoming& req) {
    constexpr std::string_view prefix = "/client/v4/accounts/";
    constexpr std::string_view suffix = "/email/sending/send_raw";
    std::string_view path = req.target.substr(0, req.target.find('?'));
    if (path.size() <= prefix.size() + suffix.size() || path.substr(0, prefix.size()) != prefix ||
        path.substr(path.size() - suffix.size()) != suffix)
        return error_answer(404, 10000, "Not found");
    const std::string_view account_id =
        path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (account_id.find('/') != std::string_view::npos || account_id.empty())
        return error_answer(404, 10000, "Not found");
    if (req.method != "POST") {
        auto a = error_answer(405, 10000, "Method not allowed");
        a.headers.emplace_back("Allow", "POST");
        return a;
    }

    // Authentication: a bearer token, or an email with a global key.
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

    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(req.body, ec);
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

    message.file_stem = random_hex(16);
    message.message_id = "<" + message.file_stem + "@emulator.cfmail.test>";
    if (misbehave == fault::escape_ok)
        message.message_id =
            "<\x1b]0;title\x07\x1b[2J\xc2\x9b\x7f" + message.file_stem + "@emulator.cfmail.test>";
    message.account_id.assign(account_id);
    message.from.assign(from->data(), from->size());
    message.mime_message.assign(mime->data(), mime->size());

    answer a;
    a.misbehave = misbehave;
    if (misbehave == fault::success_false)
        return error_answer(200, 10002, "Internal error reported with status 200");
    if (misbehave == fault::malformed) {
        a.body = "{\"success\":true,\"result\":{";
    } else if (misbehave == fault::wrong_shape) {
        a.body = R"({"success":true,"errors":[],"messages":[],"result":{"delivered":"nobody"}})";
    } else if (misbehave == fault::bad_gateway || misbehave == fault::unavailable) {
        a.status = misbehave == fault::bad_gateway ? 502 : 503;
        a.body = "<html><body>upstream error</body></html>";
        a.headers.emplace_back("Content-Type", "text/html");
    } else {
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
        boost::json::object env{{"success", true},
                                {"errors", boost::json::array{}},
                                {"messages", boost::json::array{}},
                                {"result", std::move(result)}};
        a.body = boost::json::serialize(env);
        if (misbehave == fault::oversize)
            a.body += std::string(2 * 1024 * 1024, ' ');
    }
    a.stored = std::move(message);
    return a;
}

} // namespace cfmail_emulator

#endif
