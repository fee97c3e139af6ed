// Client options for tests against local servers: the given base URL and retries a few
// milliseconds apart, so that retry paths run without slowing the suite.
#ifndef CFMAIL_TEST_FAST_RETRIES_HPP
#define CFMAIL_TEST_FAST_RETRIES_HPP

#include <cfmail/options.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace cfmail_test {

inline cfmail::client_options fast_retries(std::string base_url,
                                           std::chrono::milliseconds initial_backoff) {
    cfmail::client_options o;
    o.base_url = std::move(base_url);
    o.retry.initial_backoff = initial_backoff;
    o.retry.max_backoff = 2 * initial_backoff;
    return o;
}

} // namespace cfmail_test

#endif
