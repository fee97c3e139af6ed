// Transport options for the integration tests' TLS servers: trust exactly the test
// certificate, with timeouts short enough for a test and long enough for a sanitizer build.
#ifndef CFMAIL_TEST_TRUSTING_HPP
#define CFMAIL_TEST_TRUSTING_HPP

#include "test_server.hpp"

#include <cfmail/transport/https.hpp>

#include <chrono>

namespace cfmail_test {

inline cfmail::https_options trusting(const certificate& c) {
    cfmail::https_options o;
    o.tls.ca_pem = c.pem;
    o.connect_timeout = std::chrono::seconds(5);
    o.attempt_timeout = std::chrono::seconds(10);
    return o;
}

} // namespace cfmail_test

#endif
