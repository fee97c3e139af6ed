// cfmail-send: sends a MIME message from a file or stdin through the Email Sending API.
//
//   cfmail-send --account ID --from ADDR --to ADDR [--to ADDR ...] [--base-url URL]
//               [--ca-file PEM] [--timeout SECONDS] [--max-retries N] [FILE]
//
// Credentials: CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY. Defaults:
// CLOUDFLARE_ACCOUNT_ID for --account, CLOUDFLARE_BASE_URL for --base-url.
// Exit status: 0 sent; 1 the API answered with an error; 2 usage or invalid input (nothing
// sent); 3 network, TLS, timeout, unreadable answer, or an unknown outcome.
#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string_view>

namespace po = boost::program_options;

namespace {

constexpr int exit_api_error = 1;
constexpr int exit_usage = 2;
constexpr int exit_failure = 3;

// The length of the well-formed UTF-8 sequence that starts `s` (not empty), 0 when there is
// none: overlong forms, surrogates and code points above U+10FFFF are not well-formed.
std::size_t utf8_sequence(std::string_view s) {
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
std::string neutralised(std::string_view s, escaping style) {
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

// One line on stderr, whatever the server put in its messages.
int fail(int code, const std::string& text) {
    std::cerr << "cfmail-send: " << neutralised(text, escaping::text) << '\n';
    return code;
}

int exit_code_for(const boost::system::error_code& ec) {
    if (ec == cfmail::error::api_rejected || ec == cfmail::error::unexpected_http_status)
        return exit_api_error;
    if (ec == cfmail::error::invalid_request || ec == cfmail::error::missing_credentials)
        return exit_usage;
    return exit_failure;
}

std::string env_or(const char* name, std::string fallback) {
    const char* value = std::getenv(name);
    return value && *value ? std::string(value) : fallback;
}

boost::json::array to_json(const std::vector<std::string>& addresses) {
    boost::json::array out;
    for (const auto& a : addresses)
        out.emplace_back(a);
    return out;
}

} // namespace

int main(int argc, char** argv) try {
    std::string account, from, base_url, ca_file, file = "-";
    std::vector<std::string> to;
    double timeout_seconds = 60;
    int max_retries = -1;

    po::options_description visible("Options");
    visible.add_options()("help,h", "print this help and exit")("version", "print the version")(
        "account", po::value(&account), "Cloudflare account id (default: $CLOUDFLARE_ACCOUNT_ID)")(
        "from", po::value(&from), "SMTP envelope sender")(
        "to", po::value(&to), "SMTP envelope recipient; repeat for several")(
        "base-url", po::value(&base_url),
        "API base URL (default: $CLOUDFLARE_BASE_URL, else the public API)")(
        "ca-file", po::value(&ca_file), "PEM file of trusted CA certificates")(
        "timeout", po::value(&timeout_seconds)->default_value(60),
        "seconds for each whole attempt, connection to last byte")(
        "max-retries", po::value(&max_retries), "retries of attempts that provably sent nothing");
    po::options_description hidden;
    hidden.add_options()("file", po::value(&file));
    po::options_description all;
    all.add(visible).add(hidden);
    po::positional_options_description positional;
    positional.add("file", 1);

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return fail(exit_usage, e.what());
    }
    if (vm.count("help")) {
        std::cout << "usage: cfmail-send --account ID --from ADDR --to ADDR [--to ADDR ...] "
                     "[FILE]\n\nSends FILE (or stdin when FILE is - or absent) as a raw MIME "
                     "message.\nCredentials: CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and "
                     "CLOUDFLARE_API_KEY.\n\n"
                  << visible
                  << "\nExit status: 0 sent, 1 API error, 2 usage or invalid input (nothing "
                     "sent),\n3 network/TLS/timeout/unreadable answer/unknown outcome.\n";
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "cfmail-send " CFMAIL_VERSION_STRING "\n";
        return 0;
    }

    if (account.empty())
        account = env_or("CLOUDFLARE_ACCOUNT_ID", "");
    if (base_url.empty())
        base_url = env_or("CLOUDFLARE_BASE_URL", cfmail::client_options{}.base_url);
    if (account.empty())
        return fail(exit_usage, "no account: pass --account or set CLOUDFLARE_ACCOUNT_ID");
    if (from.empty())
        return fail(exit_usage, "no sender: pass --from");
    if (to.empty())
        return fail(exit_usage, "no recipient: pass --to");
    // Checked in milliseconds, the unit the transport uses: a timeout that rounds to 0 would
    // fail every attempt before it starts.
    if (!std::isfinite(timeout_seconds) || timeout_seconds > 86400 ||
        std::llround(timeout_seconds * 1000) < 1)
        return fail(exit_usage, "--timeout takes a number of seconds from 0.001 to 86400");
    if (vm.count("max-retries") && (max_retries < 0 || max_retries > 100))
        return fail(exit_usage, "--max-retries takes a number from 0 to 100");

    cfmail::send_raw_request req{account, from, to, {}};
    if (file == "-") {
        req.mime_message.assign(std::istreambuf_iterator<char>(std::cin), {});
    } else {
        std::ifstream in(file, std::ios::binary);
        if (!in)
            return fail(exit_usage, "cannot read the message file " + file);
        req.mime_message.assign(std::istreambuf_iterator<char>(in), {});
    }
    if (req.mime_message.empty())
        return fail(exit_usage, "the message is empty");

    cfmail::client_options options;
    options.base_url = base_url;
    if (vm.count("max-retries"))
        options.retry.max_retries = static_cast<unsigned>(max_retries);

    cfmail::https_options https;
    https.attempt_timeout = std::chrono::milliseconds(std::llround(timeout_seconds * 1000));
    https.connect_timeout = std::min(https.connect_timeout, https.attempt_timeout);
    https.tls.ca_file = ca_file;

    std::optional<cfmail::blocking_client> client;
    try {
        client.emplace(cfmail::blocking_https_transport(https),
                       cfmail::credentials::from_environment(), options);
    } catch (const std::exception& e) {
        return fail(exit_usage, std::string("cannot use the TLS settings: ") + e.what());
    }

    boost::system::error_code ec;
    cfmail::diagnostics diag;
    auto result = client->send_raw(req, ec, diag);
    if (ec) {
        std::string text = ec.message();
        if (auto details = diag.to_string(); !details.empty())
            text += ": " + details;
        if (cfmail::may_have_been_sent(ec, diag) && ec != cfmail::error::outcome_unknown)
            text += " (the message may have been sent)";
        return fail(exit_code_for(ec), text);
    }

    boost::json::object out{{"delivered", to_json(result.delivered)},
                            {"permanent_bounces", to_json(result.permanent_bounces)},
                            {"queued", to_json(result.queued)}};
    if (!result.message_id.empty())
        out["message_id"] = result.message_id;
    if (!result.suppressed_recipients.empty())
        out["suppressed_recipients"] = to_json(result.suppressed_recipients);
    // The message id and the addresses are the server's words too.
    std::cout << neutralised(boost::json::serialize(out), escaping::json) << std::endl;
    return 0;
} catch (const std::exception& e) {
    return fail(exit_failure, e.what());
}
