// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_RETRY_TIMING_IPP
#define CFMAIL_IMPL_RETRY_TIMING_IPP

// How long to wait before the next attempt: what the server asked for, or the backoff.

#include <cfmail/detail/exchange.hpp>
#include <cfmail/detail/saturate.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace cfmail::detail {

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

} // namespace cfmail::detail

#endif
