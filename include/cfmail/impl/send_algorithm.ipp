// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_SEND_ALGORITHM_IPP
#define CFMAIL_IMPL_SEND_ALGORITHM_IPP

#include <cfmail/detail/saturate.hpp>
#include <cfmail/detail/send_algorithm.hpp>
#include <cfmail/error.hpp>
#include <cfmail/impl/http_message.ipp>

#include <boost/asio/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cfmail::detail {

inline boost::system::error_code invalid(std::string& why, std::string text) {
    why = std::move(text);
    return error::invalid_request;
}

inline bool is_loopback_name(std::string_view host) noexcept {
    constexpr std::string_view localhost = "localhost";
    if (host.size() != localhost.size())
        return false;
    for (std::size_t i = 0; i < host.size(); ++i) {
        if ((host[i] | 0x20) != localhost[i])
            return false;
    }
    return true;
}

CFMAIL_DECL boost::system::error_code parse_base_url(std::string_view url, endpoint& out,
                                                     std::string& why) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed)
        return invalid(why, "base_url: not an absolute URL without a fragment");
    const boost::urls::url_view& u = *parsed;

    const bool https = u.scheme_id() == boost::urls::scheme::https;
    const bool http = u.scheme_id() == boost::urls::scheme::http;
    if (!https && !http)
        return invalid(why, "base_url: the scheme must be https");
    if (!u.has_authority() || u.encoded_host().empty())
        return invalid(why, "base_url: no host");
    if (u.has_userinfo())
        return invalid(why, "base_url: must not contain user information");
    if (u.has_query())
        return invalid(why, "base_url: must not contain a query");

    bool loopback = false;
    switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
        loopback = u.host_ipv4_address().is_loopback();
        break;
    case boost::urls::host_type::ipv6:
        loopback = u.host_ipv6_address().is_loopback();
        break;
    case boost::urls::host_type::name:
        loopback = is_loopback_name(u.encoded_host());
        break;
    default:
        return invalid(why, "base_url: unsupported host form");
    }
    if (http && !loopback)
        return invalid(why, "base_url: plain http is allowed only to a loopback host; use https");

    std::uint16_t port = https ? 443 : 80;
    if (u.has_port()) {
        auto digits = u.port();
        unsigned value = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
            value == 0 || value > 65535)
            return invalid(why, "base_url: invalid port");
        port = static_cast<std::uint16_t>(value);
    }

    out.scheme = https ? "https" : "http";
    out.host = u.host_address();
    out.port = std::to_string(port);
    out.host_header = u.encoded_host_and_port();
    out.base_path = u.encoded_path();
    while (!out.base_path.empty() && out.base_path.back() == '/')
        out.base_path.pop_back();
    return {};
}

inline boost::system::error_code validate_account_id(std::string_view id, std::string& why) {
    if (id.empty())
        return invalid(why, "account_id: empty");
    if (id.size() > 128)
        return invalid(why, "account_id: longer than 128 characters");
    for (char c : id) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f)
            return invalid(why, "account_id: contains whitespace or a control character");
        if (c == '/' || c == '?' || c == '#' || c == '%' || c == '\\')
            return invalid(why, std::string("account_id: contains '") + c + "'");
    }
    if (id == "." || id.find("..") != std::string_view::npos)
        return invalid(why, "account_id: contains a dot segment");
    return {};
}

inline bool is_atext(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::strchr("!#$%&'*+-/=?^_`{|}~.", c) != nullptr && c != '\0';
}

inline bool is_domain_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

// Dotted-quad IPv4, as in an address literal.
inline bool is_ipv4_literal(std::string_view s) noexcept {
    int parts = 0;
    while (!s.empty()) {
        const auto dot = s.find('.');
        const auto part = s.substr(0, dot);
        unsigned value = 256;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || part.size() > 3 || ec != std::errc{} ||
            end != part.data() + part.size() || value > 255 || ++parts > 4)
            return false;
        if (dot == std::string_view::npos)
            break;
        s.remove_prefix(dot + 1);
        if (s.empty())
            return false; // a trailing dot
    }
    return parts == 4;
}

// The inside of an RFC 5321 address literal: IPv4, or `tag:content` (IPv6 is the tag
// `IPv6`) with a letter-digit-hyphen tag and printable content without brackets or `\`.
inline bool is_address_literal(std::string_view content) noexcept {
    if (is_ipv4_literal(content))
        return true;
    const auto colon = content.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == content.size())
        return false;
    const auto tag = content.substr(0, colon);
    const auto rest = content.substr(colon + 1);
    auto ldh = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-';
    };
    return std::all_of(tag.begin(), tag.end(), ldh) && tag.back() != '-' &&
           rest.find_first_of("[]\\ ") == std::string_view::npos;
}

// An SMTP envelope address (RFC 5321 Mailbox) in printable ASCII: a dot-atom or quoted local
// part, '@', and a domain name or an address literal in brackets.
inline boost::system::error_code validate_address(std::string_view field, std::string_view addr,
                                                  std::string& why) {
    const std::string name(field);
    if (addr.empty())
        return invalid(why, name + ": empty");
    if (addr.size() > 320)
        return invalid(why, name + ": longer than 320 characters");
    for (char c : addr) {
        if (c == '\r' || c == '\n')
            return invalid(why, name + ": contains CR or LF");
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e)
            return invalid(why, name + ": contains a character outside printable ASCII");
    }
    const auto at = addr.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == addr.size())
        return invalid(why, name + ": not an address of the form local@domain");
    const auto local = addr.substr(0, at);
    const auto domain = addr.substr(at + 1);

    if (local.front() == '"') {
        if (local.size() < 2 || local.back() != '"')
            return invalid(why, name + ": unterminated quoted local part");
    } else if (!std::all_of(local.begin(), local.end(), is_atext) || local.front() == '.' ||
               local.back() == '.' || local.find("..") != std::string_view::npos) {
        return invalid(why, name + ": the local part is not a valid dot-atom (pass the bare "
                                   "address, without a display name or angle brackets)");
    }

    if (local.size() > 64)
        return invalid(why, name + ": the local part is longer than 64 characters");
    if (domain.front() == '[' || domain.back() == ']') {
        // An address literal (RFC 5321 4.1.3): [IPv4], [IPv6:...] or [tag:content].
        const auto content = domain.size() >= 2 && domain.front() == '[' && domain.back() == ']'
                                 ? domain.substr(1, domain.size() - 2)
                                 : std::string_view();
        if (!is_address_literal(content))
            return invalid(why, name + ": the address literal is empty or malformed");
        return {};
    }
    if (domain.size() > 253 || !std::all_of(domain.begin(), domain.end(), is_domain_char))
        return invalid(why, name + ": the domain is not a valid host name");
    // Every label: 1 to 63 letters, digits or hyphens, neither starting nor ending with one.
    for (std::size_t start = 0; start <= domain.size();) {
        auto dot = domain.find('.', start);
        if (dot == std::string_view::npos)
            dot = domain.size();
        const auto label = domain.substr(start, dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return invalid(why, name + ": the domain is not a valid host name (label \"" +
                                    std::string(label) + "\")");
        start = dot + 1;
    }
    return {};
}

// Returns the offset of the first byte that is not part of valid UTF-8, or npos.
inline std::size_t find_invalid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        // Most messages are ASCII (7-bit MIME): skip sixteen (SSE2) or eight bytes at a time.
#if defined(__SSE2__)
        while (i + 16 <= n &&
               _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))) == 0)
            i += 16;
#endif
        while (i + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            if (word & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + len > n)
            return i;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        // Overlong forms, surrogates and values past U+10FFFF.
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += len;
    }
    return std::string_view::npos;
}

// RFC 5322 2.1.1: a line is at most 998 octets, excluding its line break.
inline constexpr std::size_t max_mime_line_length = 998;

// The 1-based number of the first line longer than max_mime_line_length, if any. A line ends
// at LF; a CR right before it is part of the break.
inline std::optional<std::size_t> find_overlong_line(std::string_view mime) noexcept {
    std::size_t line = 1;
    const char* p = mime.data();
    const char* const end = p + mime.size();
    while (p != end) {
        const auto* lf = static_cast<const char*>(std::memchr(p, '\n', end - p));
        const char* line_end = lf ? lf : end;
        std::size_t length = static_cast<std::size_t>(line_end - p);
        if (lf && length > 0 && line_end[-1] == '\r')
            --length;
        if (length > max_mime_line_length)
            return line;
        if (!lf)
            break;
        p = lf + 1;
        ++line;
    }
    return std::nullopt;
}

inline boost::system::error_code validate_mime(std::string_view mime, std::size_t limit,
                                               std::string& why) {
    if (mime.empty())
        return invalid(why, "mime_message: empty");
    if (mime.size() > limit)
        return invalid(why, "mime_message: " + std::to_string(mime.size()) +
                                " bytes, more than the limit of " + std::to_string(limit));
    const auto colon = mime.find(':');
    const auto first_eol = mime.find_first_of("\r\n");
    if (colon == 0 || colon == std::string_view::npos || colon > first_eol ||
        !std::all_of(mime.begin(), mime.begin() + static_cast<std::ptrdiff_t>(colon),
                     [](char c) { return c > 0x20 && c < 0x7f; }))
        return invalid(why, "mime_message: does not start with a header field (Name: value)");
    if (mime.find("\r\n\r\n") == std::string_view::npos &&
        mime.find("\n\n") == std::string_view::npos)
        return invalid(why, "mime_message: no empty line ends the header block");
    if (auto bad = find_invalid_utf8(mime); bad != std::string_view::npos)
        return invalid(why, "mime_message: not valid UTF-8 at byte " + std::to_string(bad) +
                                " (encode 8-bit content with a Content-Transfer-Encoding)");
    if (auto line = find_overlong_line(mime))
        return invalid(why, "mime_message: line " + std::to_string(*line) + " is longer than " +
                                std::to_string(max_mime_line_length) +
                                " octets (RFC 5322; wrap it, or use a transfer encoding "
                                "such as base64 or quoted-printable)");
    return {};
}

CFMAIL_DECL boost::system::error_code
validate_request(const send_raw_request& req, const client_options& opts, std::string& why) {
    if (auto ec = validate_account_id(req.account_id, why))
        return ec;
    if (auto ec = validate_address("from", req.from, why))
        return ec;
    if (req.recipients.empty())
        return invalid(why, "recipients: empty, at least one is required");
    if (req.recipients.size() > opts.max_recipients)
        return invalid(why, "recipients: " + std::to_string(req.recipients.size()) +
                                " addresses, at most " + std::to_string(opts.max_recipients) +
                                " allowed");
    for (std::size_t i = 0; i < req.recipients.size(); ++i) {
        if (auto ec =
                validate_address("recipients[" + std::to_string(i) + "]", req.recipients[i], why))
            return ec;
    }
    return validate_mime(req.mime_message, std::min(opts.max_message_size, max_message_size_limit),
                         why);
}

inline bool is_header_value_safe(std::string_view value) noexcept {
    return std::all_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u != 0x7f;
    });
}

// Values that go into header fields must not be able to split the request.
inline boost::system::error_code
validate_header_inputs(const credentials& creds, const client_options& opts, std::string& why) {
    if (auto token = creds.token()) {
        if (token->token.empty() || !is_header_value_safe(token->token))
            return invalid(why, "credentials: the API token is empty or has a control character");
    } else if (auto key = creds.key()) {
        if (key->email.empty() || key->key.empty() || !is_header_value_safe(key->email) ||
            !is_header_value_safe(key->key))
            return invalid(why, "credentials: the email or key is empty or has a control "
                                "character");
    }
    if (!is_header_value_safe(opts.user_agent))
        return invalid(why, "user_agent: has a control character");
    return {};
}

CFMAIL_DECL void build_request(const send_raw_request& req, const endpoint& ep,
                               const credentials& creds, const client_options& opts,
                               http_request& out, bool stream_message) {
    out.scheme = ep.scheme;
    out.host = ep.host;
    out.port = ep.port;
    out.method = "POST";

    out.target = ep.base_path;
    out.target += "/accounts/";
    out.target += boost::urls::encode(req.account_id, boost::urls::pchars);
    out.target += "/email/sending/send_raw";

    // Assigning into the fields of the last request reuses their storage: a client that
    // sends repeatedly builds its requests without allocating.
    std::size_t field_count = 0;
    auto set_field = [&](std::string_view name, auto&&... value_parts) {
        if (out.headers.size() == field_count)
            out.headers.emplace_back();
        auto& field = out.headers[field_count++];
        field.name.assign(name);
        field.value.clear();
        (field.value.append(value_parts), ...);
    };
    set_field("Host", ep.host_header);
    set_field("User-Agent", opts.user_agent);
    set_field("Accept", "application/json");
    set_field("Content-Type", "application/json");
    if (auto token = creds.token()) {
        set_field("Authorization", "Bearer ", token->token);
    } else if (auto key = creds.key()) {
        set_field("X-Auth-Email", key->email);
        set_field("X-Auth-Key", key->key);
    }
    out.headers.resize(field_count);

    out.body.clear();
    out.body += "{\"from\":";
    append_json_string(out.body, req.from);
    out.body += ",\"recipients\":[";
    for (std::size_t i = 0; i < req.recipients.size(); ++i) {
        if (i != 0)
            out.body += ',';
        append_json_string(out.body, req.recipients[i]);
    }
    out.body += "],\"mime_message\":";
    if (stream_message) {
        // Not copied: the transport escapes the message as it writes the body.
        out.json_string_tail = req.mime_message;
        out.body_end = "}";
    } else {
        append_json_string(out.body, req.mime_message);
        out.body += '}';
        out.json_string_tail.reset();
        out.body_end = {};
    }
}

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// IMF-fixdate, the form RFC 9110 requires senders to use: "Sun, 06 Nov 1994 08:49:37 GMT".
// Seconds since the epoch: a far-future date must not overflow the clock's nanoseconds.
inline std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view s) {
    if (s.size() != 29)
        return std::nullopt;
    const std::string text(s);
    char weekday[4] = {}, month_name[4] = {}, zone[4] = {};
    int day = 0, year = 0, hour = 0, minute = 0, second = 0;
    if (std::sscanf(text.c_str(), "%3s, %2d %3s %4d %2d:%2d:%2d %3s", weekday, &day, month_name,
                    &year, &hour, &minute, &second, zone) != 8 ||
        std::strcmp(zone, "GMT") != 0)
        return std::nullopt;
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    unsigned month = 0;
    for (unsigned i = 0; i < 12; ++i) {
        if (std::strcmp(month_name, months[i]) == 0)
            month = i + 1;
    }
    using namespace std::chrono;
    const year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                              std::chrono::day{static_cast<unsigned>(day)}};
    if (month == 0 || !date.ok() || hour > 23 || minute > 59 || second > 60 || hour < 0 ||
        minute < 0 || second < 0)
        return std::nullopt;
    return sys_seconds{sys_days{date}} + hours{hour} + minutes{minute} + seconds{second};
}

CFMAIL_DECL std::optional<std::chrono::milliseconds>
parse_retry_after(const http_response& resp, std::chrono::system_clock::time_point now) {
    using std::chrono::milliseconds;
    // Bounds keep the conversions defined for absurd values; policies cap far below them.
    constexpr double max_ms = 1e12;
    if (auto value = trim(resp.header("retry-after-ms")); !value.empty()) {
        double ms = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
        if (ec == std::errc{} && end == value.data() + value.size() && std::isfinite(ms) && ms >= 0)
            return milliseconds(static_cast<std::int64_t>(std::ceil(std::min(ms, max_ms))));
    }
    auto value = trim(resp.header("retry-after"));
    if (value.empty())
        return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::uint64_t secs = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
        if (ec == std::errc::result_out_of_range || secs > 1'000'000'000)
            secs = 1'000'000'000;
        else if (ec != std::errc{})
            return std::nullopt;
        return milliseconds(static_cast<std::int64_t>(secs) * 1000);
    }
    if (auto when = parse_http_date(value)) {
        // In whole seconds, where neither a date centuries away nor `now` can overflow.
        const auto now_seconds = std::chrono::floor<std::chrono::seconds>(now);
        if (*when <= now_seconds)
            return milliseconds(0);
        const auto ahead = std::min<std::int64_t>((*when - now_seconds).count(), 1'000'000'000);
        return milliseconds(ahead * 1000);
    }
    return std::nullopt;
}

CFMAIL_DECL std::chrono::milliseconds backoff_delay(const retry_policy& policy, unsigned retry,
                                                    double unit_random) noexcept {
    // In double, where doubling cannot wrap; the conversion back saturates.
    double delay = std::max(0.0, static_cast<double>(policy.initial_backoff.count()));
    const double cap = std::max(0.0, static_cast<double>(policy.max_backoff.count()));
    for (unsigned i = 0; i < retry && delay < cap; ++i)
        delay *= 2;
    delay = std::min(delay, cap);
    // NaN settings or draws mean no jitter rather than an undefined conversion.
    const double jitter = std::isnan(policy.jitter) ? 0.0 : std::clamp(policy.jitter, 0.0, 1.0);
    const double draw = std::isnan(unit_random) ? 0.0 : std::clamp(unit_random, 0.0, 1.0);
    delay *= 1.0 - jitter * draw;
    return saturating_milliseconds(delay);
}

CFMAIL_DECL client_config::client_config(cfmail::credentials c, client_options o)
    : options(std::move(o))
    , creds(std::move(c)) {
    endpoint_error = parse_base_url(options.base_url, ep, endpoint_why);
}

CFMAIL_DECL next_action send_algorithm::start(const send_raw_request& req, diagnostics& diag) {
    req_ = &req;
    diag_ = &diag;
    retries_ = 0;
    diag.clear();
    result_ = send_raw_result{};
    response_.clear();

    if (cfg_->creds.empty()) {
        diag.detail = "no credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and "
                      "CLOUDFLARE_API_KEY";
        return finish(error::missing_credentials);
    }
    if (cfg_->endpoint_error) {
        diag.detail = cfg_->endpoint_why;
        return finish(cfg_->endpoint_error);
    }
    if (auto ec = validate_header_inputs(cfg_->creds, cfg_->options, diag.detail))
        return finish(ec);
    if (auto ec = validate_request(req, cfg_->options, diag.detail))
        return finish(ec);

    build_request(req, cfg_->ep, cfg_->creds, cfg_->options, request_, cfg_->stream_message);
    state_ = state::awaiting_response;
    return {next_action::kind::round_trip, std::chrono::milliseconds(0), {}};
}

CFMAIL_DECL next_action send_algorithm::resume(boost::system::error_code ec) {
    switch (state_) {
    case state::awaiting_response:
        ++diag_->attempts;
        return ec ? on_transport_error(ec) : on_answer();
    case state::awaiting_wait:
        if (ec)
            return finish(ec);
        response_.clear();
        state_ = state::awaiting_response;
        return {next_action::kind::round_trip, std::chrono::milliseconds(0), {}};
    case state::idle:
        break;
    }
    return finish(error::operation_in_progress);
}

CFMAIL_DECL next_action send_algorithm::abort() {
    return finish(boost::asio::error::operation_aborted);
}

CFMAIL_DECL next_action send_algorithm::finish(boost::system::error_code ec) {
    state_ = state::idle;
    return {next_action::kind::done, std::chrono::milliseconds(0), ec};
}

CFMAIL_DECL bool send_algorithm::retries_left() const noexcept {
    return retries_ < cfg_->options.retry.max_retries;
}

CFMAIL_DECL std::chrono::milliseconds send_algorithm::next_backoff() {
    const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    return backoff_delay(cfg_->options.retry, retries_, unit);
}

CFMAIL_DECL next_action send_algorithm::retry_after(std::chrono::milliseconds delay) {
    ++retries_;
    state_ = state::awaiting_wait;
    return {next_action::kind::wait, delay, {}};
}

CFMAIL_DECL next_action send_algorithm::on_transport_error(boost::system::error_code ec) {
    const bool written = response_.request_written;
    diag_->detail.clear();
    if (ec == boost::asio::error::operation_aborted) {
        diag_->unanswered_request = diag_->unanswered_request || written;
        return finish(ec);
    }
    diag_->transport_error = ec;
    // Final failures: another attempt would meet the same certificate, or an answer came that
    // does not say what happened. Whatever the transport wrote still counts.
    if (is_certificate_failure(ec) || ec == error::response_too_large ||
        ec == error::bad_response) {
        diag_->unanswered_request = diag_->unanswered_request || written;
        return finish(ec);
    }
    if (!written) {
        // Nothing reached the server: repeating cannot send the email twice.
        if (retries_left())
            return retry_after(next_backoff());
        return finish(ec);
    }
    diag_->unanswered_request = true;
    if (cfg_->options.retry.retry_outcome_unknown && retries_left())
        return retry_after(next_backoff());
    return finish(error::outcome_unknown);
}

// True when there are errors and every one of them is among `codes`: an envelope that also
// carries an undocumented code proves nothing.
inline bool only_error_codes(const std::vector<api_message>& entries,
                             std::initializer_list<std::int64_t> codes) noexcept {
    return !entries.empty() && std::all_of(entries.begin(), entries.end(), [&](const auto& m) {
        return std::find(codes.begin(), codes.end(), m.code) != codes.end();
    });
}

CFMAIL_DECL next_action send_algorithm::on_answer() {
    const unsigned status = response_.status;
    diag_->http_status = status;
    diag_->cf_ray = response_.header("cf-ray");
    diag_->errors.clear();
    diag_->messages.clear();
    diag_->detail.clear();
    diag_->retry_after = parse_retry_after(response_, std::chrono::system_clock::now());

    // The document lives in the algorithm's own buffer (spilling to the heap only for a large
    // answer): nothing of it outlives this function, and a small answer allocates nothing.
    boost::json::monotonic_resource json_memory(json_buffer_, sizeof json_buffer_);
    auto envelope = parse_envelope_common(response_.body, &json_memory);
    if (envelope) {
        diag_->errors = std::move(envelope->errors);
        diag_->messages = std::move(envelope->messages);
    }
    const bool error_envelope = envelope && !envelope->success;

    if (status >= 200 && status < 300) {
        if (envelope && !envelope->success)
            return finish(error::api_error);
        if (envelope && envelope->result && read_result(*envelope->result, result_))
            return finish({});
        // Accepted, but the answer does not say what happened to the email.
        result_ = send_raw_result{};
        diag_->unanswered_request = true;
        diag_->detail = envelope ? "success without a send_raw result of the documented shape"
                                 : "the answer is not a Cloudflare envelope";
        return finish(error::bad_response);
    }

    const bool server_forbids_retry = ascii_iequals(response_.header("x-should-retry"), "false");
    const auto& policy = cfg_->options.retry;
    // A delay the server asked for, when within the policy's cap; otherwise the backoff.
    auto server_or_backoff_delay = [&] {
        const auto asked = diag_->retry_after;
        return asked && *asked <= policy.max_retry_after ? *asked : next_backoff();
    };

    if (status == 429) {
        // The API documents that a throttled request sent nothing.
        if (retries_left() && !server_forbids_retry) {
            if (!diag_->retry_after)
                return retry_after(next_backoff());
            if (*diag_->retry_after <= policy.max_retry_after)
                return retry_after(*diag_->retry_after);
            diag_->detail = "Retry-After exceeds retry_policy::max_retry_after";
        }
        return finish(error_envelope ? error::api_error : error::unexpected_http_status);
    }

    if (status >= 500) {
        // Only the failures the API documents as "no email will be sent" prove that nothing
        // went out: 500 with 10002 (internal error) or 10003 (not implemented), 503 with
        // 10100 (authentication unavailable), and no other code beside. The transient ones
        // are safe to repeat.
        const auto& errors = diag_->errors;
        const bool transient =
            error_envelope && ((status == 500 && only_error_codes(errors, {10002})) ||
                               (status == 503 && only_error_codes(errors, {10100})));
        const bool not_sent =
            transient || (error_envelope && status == 500 && only_error_codes(errors, {10003}));
        if (not_sent) {
            if (transient && retries_left() && !server_forbids_retry)
                return retry_after(server_or_backoff_delay());
            return finish(error::api_error);
        }
        // Any other 5xx, envelope or not (an intermediary, or a failure after the API acted):
        // whether the email went out is unknown. The envelope's codes stay in diagnostics.
        diag_->unanswered_request = true;
        diag_->detail = "HTTP " + std::to_string(status) +
                        (error_envelope ? " is not an answer the API documents as \"nothing sent\""
                                        : " without a Cloudflare error envelope") +
                        ": the email may have been sent";
        if (policy.retry_outcome_unknown && retries_left() && !server_forbids_retry)
            return retry_after(server_or_backoff_delay());
        return finish(error::outcome_unknown);
    }

    // 1xx never reaches here (transports read past it); 3xx and 4xx are refusals.
    return finish(error_envelope ? error::api_error : error::unexpected_http_status);
}

} // namespace cfmail::detail

#endif
