// What cfmail-send and cfmail-suppressions share: their exit statuses, the blocking client
// made from their common options, and the output of text that came from the server.
#ifndef CFMAIL_EXAMPLE_CLI_COMMON_HPP
#define CFMAIL_EXAMPLE_CLI_COMMON_HPP

#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace cfmail_cli {

inline constexpr int exit_api_error = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_failure = 3;

// The length of the well-formed UTF-8 sequence that starts `s` (not empty), 0 when there is
// none: overlong forms, surrogates and code points above U+10FFFF are not well-formed.
inline std::size_t utf8_sequence(std::string_view s) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned lead = byte(0);
    std::size_t length = 0;
    unsigned low = 0x80, high = 0xbf; // the range of the second byte
    if (lead < 0x80)
        return 1;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        low = lead == 0xe0 ? 0xa0 : 0x80;
        high = lead == 0xed ? 0x9f : 0xbf;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        low = lead == 0xf0 ? 0x90 : 0x80;
        high = lead == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (s.size() < length || byte(1) < low || byte(1) > high)
        return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xbf)
            return 0;
    }
    return length;
}

enum class escaping { text, json };

// Text that came from the server (or was made from what it sent), fit for a terminal: a server
// must not be able to move the cursor, rewrite the screen or set the window title. C0
// controls (ESC included), DEL, C1 controls (U+0080 to U+009F) and bytes that are not UTF-8
// become visible escapes; printable UTF-8 stays as it is. In JSON (already escaped by
// Boost.JSON below U+0020, not for DEL or C1) the escapes are JSON's own, and a byte that is
// not UTF-8 becomes U+FFFD, so the output stays valid JSON with the same strings.
inline std::string neutralised(std::string_view s, escaping style) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    auto escape = [&](const char* prefix, unsigned value) {
        out += prefix;
        out += hex[(value >> 4) & 15];
        out += hex[value & 15];
    };
    for (std::size_t i = 0; i < s.size();) {
        const unsigned c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += s[i++];
            continue;
        }
        if (c < 0x80) {
            if (style == escaping::json)
                escape("\\u00", c);
            else if (c == '\n')
                out += "\\n";
            else if (c == '\r')
                out += "\\r";
            else if (c == '\t')
                out += "\\t";
            else
                escape("\\x", c);
            ++i;
            continue;
        }
        const auto length = utf8_sequence(s.substr(i));
        if (length == 0) {
            if (style == escaping::json)
                out += "\\ufffd";
            else
                escape("\\x", c);
            ++i;
        } else if (length == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0) {
            escape("\\u00", static_cast<unsigned char>(s[i + 1]));
            i += 2;
        } else {
            out.append(s.substr(i, length));
            i += length;
        }
    }
    return out;
}

inline int exit_code_for(const boost::system::error_code& ec) {
    if (ec == cfmail::error::api_rejected || ec == cfmail::error::unexpected_http_status)
        return exit_api_error;
    if (ec == cfmail::error::invalid_request || ec == cfmail::error::missing_credentials)
        return exit_usage;
    return exit_failure;
}

// The error's message and, when there are any, the diagnostics: status, cf-ray, the API's
// codes and messages. Never a credential; the server's words still need neutralising.
inline std::string failure_text(const boost::system::error_code& ec,
                                const cfmail::diagnostics& diag) {
    std::string text = ec.message();
    if (auto details = diag.to_string(); !details.empty())
        text += ": " + details;
    return text;
}

inline std::string env_or(const char* name, std::string fallback) {
    const char* value = std::getenv(name);
    return value && *value ? std::string(value) : fallback;
}

// Checked in milliseconds, the unit the transport uses: a timeout that rounds to 0 would fail
// every attempt before it starts.
inline bool valid_timeout(double seconds) {
    return std::isfinite(seconds) && seconds <= 86400 && std::llround(seconds * 1000) >= 1;
}

inline bool valid_max_retries(int retries) {
    return retries >= 0 && retries <= 100;
}

// The options every program takes, already checked with the functions above.
struct connection_settings {
    std::string base_url;
    std::string ca_file;
    double timeout_seconds = 60;
    std::optional<unsigned> max_retries;
    std::optional<std::string> proxy; // --proxy: replaces the environment's proxy
    bool no_proxy = false;            // --no-proxy: no proxy at all
};

// The proxy options both programs share: --proxy URL and --no-proxy.
inline void add_proxy_options(boost::program_options::options_description& options,
                              connection_settings& settings) {
    options.add_options()(
        "proxy", boost::program_options::value<std::string>()->notifier([&](const std::string& u) {
            settings.proxy = u;
        }),
        "HTTP proxy to tunnel through, http://[user:password@]host[:port] (default: "
        "$https_proxy or $HTTPS_PROXY, except hosts that $no_proxy or $NO_PROXY names)")(
        "no-proxy", boost::program_options::bool_switch(&settings.no_proxy),
        "connect directly, whatever the environment says");
}

// Credentials from the environment. Throws when the TLS settings cannot be used (an
// unreadable CA file).
inline cfmail::blocking_client make_client(const connection_settings& settings) {
    cfmail::client_options options;
    options.base_url = settings.base_url;
    if (settings.max_retries)
        options.retry.max_retries = *settings.max_retries;

    cfmail::https_options https;
    https.attempt_timeout =
        std::chrono::milliseconds(std::llround(settings.timeout_seconds * 1000));
    https.connect_timeout = std::min(https.connect_timeout, https.attempt_timeout);
    https.tls.ca_file = settings.ca_file;
    if (!settings.no_proxy) {
        https.proxy = cfmail::proxy_options::from_environment(); // keeps NO_PROXY with --proxy
        if (settings.proxy)
            https.proxy.url = *settings.proxy;
    }

    return cfmail::blocking_client(cfmail::blocking_https_transport(https),
                                   cfmail::credentials::from_environment(), options);
}

} // namespace cfmail_cli

#endif
