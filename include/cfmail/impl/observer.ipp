// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_OBSERVER_IPP
#define CFMAIL_IMPL_OBSERVER_IPP

#include <cfmail/detail/json_escape.hpp>
#include <cfmail/observer.hpp>

#include <algorithm>
#include <charconv>

namespace cfmail {

namespace detail {

inline void append_number(std::string& out, std::uint64_t value) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
}

inline void append_signed(std::string& out, std::int64_t value) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
}

// A value from the server (cf-ray) may hold any byte: the line stays valid JSON and plain
// ASCII whatever it holds.
inline void append_printable_json_string(std::string& out, std::string_view s) {
    std::string printable(s);
    for (char& c : printable)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
            c = '?';
    append_json_string(out, printable);
}

inline void append_error(std::string& out, const boost::system::error_code& ec) {
    out += "{\"category\":";
    append_json_string(out, ec.category().name());
    out += ",\"value\":";
    append_signed(out, ec.value());
    out += ",\"message\":";
    append_printable_json_string(out, ec.message());
    out += '}';
}

} // namespace detail

CFMAIL_DECL std::string json_lines_observer::format(const attempt_event& event) {
    using detail::append_number;
    std::string line;
    line.reserve(256);
    line += event.phase == attempt_phase::started ? "{\"event\":\"attempt_started\""
            : event.phase == attempt_phase::ended ? "{\"event\":\"attempt_ended\""
                                                  : "{\"event\":\"operation_abandoned\"";
    line += ",\"operation\":";
    detail::append_printable_json_string(line, event.operation);
    line += ",\"attempt\":";
    append_number(line, event.attempt);
    if (event.phase == attempt_phase::started)
        return line += '}';
    if (event.phase == attempt_phase::abandoned) {
        line += ",\"outcome\":";
        detail::append_error(line, event.outcome);
        line += ",\"may_have_been_sent\":";
        line += event.may_have_been_sent ? "true" : "false";
        return line += '}';
    }

    line += ",\"http_status\":";
    append_number(line, event.http_status);
    line += ",\"cf_ray\":";
    detail::append_printable_json_string(line, event.cf_ray);
    line += ",\"error_codes\":[";
    for (std::size_t i = 0; i < event.errors.size(); ++i) {
        if (i)
            line += ',';
        detail::append_signed(line, event.errors[i].code);
    }
    line += "],\"bytes_written\":";
    append_number(line, event.bytes_written);
    line += ",\"bytes_read\":";
    append_number(line, event.bytes_read);
    line += ",\"duration_us\":";
    append_number(
        line,
        static_cast<std::uint64_t>(std::max<std::int64_t>(
            0, std::chrono::duration_cast<std::chrono::microseconds>(event.duration).count())));
    line += ",\"request_written\":";
    line += event.request_written ? "true" : "false";
    line += ",\"transport_error\":";
    if (event.transport_error)
        detail::append_error(line, event.transport_error);
    else
        line += "null";
    if (event.retrying) {
        line += ",\"decision\":\"retry\",\"retry_delay_ms\":";
        append_number(
            line, static_cast<std::uint64_t>(std::max<std::int64_t>(0, event.retry_delay.count())));
    } else {
        line += ",\"decision\":\"finish\",\"outcome\":";
        if (event.outcome)
            detail::append_error(line, event.outcome);
        else
            line += "null";
        line += ",\"may_have_been_sent\":";
        line += event.may_have_been_sent ? "true" : "false";
    }
    return line += '}';
}

CFMAIL_DECL void json_lines_observer::operator()(const attempt_event& event) const {
    std::string line = format(event);
    line += '\n';
    std::lock_guard lock(shared_->mutex);
    shared_->out->write(line.data(), static_cast<std::streamsize>(line.size()));
}

CFMAIL_DECL void attempt_metrics::operator()(const attempt_event& event) const noexcept {
    auto& c = *counters_;
    constexpr auto relaxed = std::memory_order_relaxed;
    if (event.phase == attempt_phase::started) {
        c.attempts_started.fetch_add(1, relaxed);
        return;
    }
    if (event.phase == attempt_phase::abandoned) {
        c.operations_failed.fetch_add(1, relaxed);
        if (event.may_have_been_sent)
            c.outcomes_unknown.fetch_add(1, relaxed);
        return;
    }
    c.attempts_ended.fetch_add(1, relaxed);
    const unsigned status = event.http_status;
    if (status == 0)
        c.transport_errors.fetch_add(1, relaxed);
    else if (status >= 200 && status < 300)
        c.answered_2xx.fetch_add(1, relaxed);
    else if (status == 429)
        c.answered_429.fetch_add(1, relaxed);
    else if (status >= 500)
        c.answered_5xx.fetch_add(1, relaxed);
    else
        c.answered_4xx.fetch_add(1, relaxed);
    if (event.retrying)
        c.retries.fetch_add(1, relaxed);
    else if (!event.outcome)
        c.operations_succeeded.fetch_add(1, relaxed);
    else {
        c.operations_failed.fetch_add(1, relaxed);
        if (event.may_have_been_sent)
            c.outcomes_unknown.fetch_add(1, relaxed);
    }
    c.api_errors.fetch_add(event.errors.size(), relaxed);
    c.bytes_written.fetch_add(event.bytes_written, relaxed);
    c.bytes_read.fetch_add(event.bytes_read, relaxed);
    const auto nanoseconds = static_cast<std::uint64_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(event.duration).count()));
    c.duration_nanoseconds.fetch_add(nanoseconds, relaxed);
    const double seconds = static_cast<double>(nanoseconds) / 1e9;
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(duration_bounds.begin(), duration_bounds.end(), seconds) -
        duration_bounds.begin());
    c.buckets[bucket].fetch_add(1, relaxed);
}

CFMAIL_DECL attempt_metrics::totals attempt_metrics::snapshot() const noexcept {
    const auto& c = *counters_;
    constexpr auto relaxed = std::memory_order_relaxed;
    totals t;
    t.attempts_started = c.attempts_started.load(relaxed);
    t.attempts_ended = c.attempts_ended.load(relaxed);
    t.answered_2xx = c.answered_2xx.load(relaxed);
    t.answered_429 = c.answered_429.load(relaxed);
    t.answered_4xx = c.answered_4xx.load(relaxed);
    t.answered_5xx = c.answered_5xx.load(relaxed);
    t.transport_errors = c.transport_errors.load(relaxed);
    t.retries = c.retries.load(relaxed);
    t.operations_succeeded = c.operations_succeeded.load(relaxed);
    t.operations_failed = c.operations_failed.load(relaxed);
    t.outcomes_unknown = c.outcomes_unknown.load(relaxed);
    t.api_errors = c.api_errors.load(relaxed);
    t.bytes_written = c.bytes_written.load(relaxed);
    t.bytes_read = c.bytes_read.load(relaxed);
    for (std::size_t i = 0; i < t.duration_buckets.size(); ++i)
        t.duration_buckets[i] = c.buckets[i].load(relaxed);
    t.duration_seconds_sum = static_cast<double>(c.duration_nanoseconds.load(relaxed)) / 1e9;
    return t;
}

} // namespace cfmail

#endif
