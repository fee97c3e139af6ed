// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_SATURATE_HPP
#define CFMAIL_DETAIL_SATURATE_HPP

// Duration arithmetic that cannot overflow. Users give durations such as milliseconds::max()
// to mean "never", and servers send absurd delays; a wrapped sum would turn either into "now".

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace cfmail::detail {

// `now + d`, clamped to the clock's last time point; a negative `d` counts as zero.
template <class TimePoint, class Rep, class Period>
TimePoint saturating_add(TimePoint now, std::chrono::duration<Rep, Period> d) noexcept {
    using given = std::chrono::duration<Rep, Period>;
    // The room below is only exact for an integer count no finer than the clock's.
    static_assert(std::is_integral_v<Rep> &&
                  std::ratio_greater_equal_v<Period, typename TimePoint::period>);
    if (d <= given::zero())
        return now;
    // The room left before the clock ends, in the unit of `d` (rounded down: no overflow).
    // Before the epoch, max() - now would overflow: the room is then at least max()'s.
    const auto to_end =
        now < TimePoint() ? TimePoint::max().time_since_epoch() : TimePoint::max() - now;
    const auto room = std::chrono::duration_cast<given>(to_end);
    if (d >= room)
        return TimePoint::max();
    return now + std::chrono::duration_cast<typename TimePoint::duration>(d);
}

// `a + b` for non-negative milliseconds, clamped to milliseconds::max().
inline std::chrono::milliseconds saturating_sum(std::chrono::milliseconds a,
                                                std::chrono::milliseconds b) noexcept {
    using ms = std::chrono::milliseconds;
    a = std::max(a, ms::zero());
    b = std::max(b, ms::zero());
    return a > ms::max() - b ? ms::max() : a + b;
}

// A count of milliseconds held in a double (NaN and negative values count as zero), clamped
// to milliseconds::max(); casting a larger double to an integer is undefined.
inline std::chrono::milliseconds saturating_milliseconds(double value) noexcept {
    using ms = std::chrono::milliseconds;
    if (!(value > 0))
        return ms::zero();
    // 2^63 is exactly representable; every double below it converts without overflow.
    constexpr double limit = 9223372036854775808.0;
    if (value >= limit)
        return ms::max();
    return ms(static_cast<std::int64_t>(value));
}

} // namespace cfmail::detail

#endif
