// cfmail-send: sends a MIME message from a file or stdin through the Email Sending API.
//
//   cfmail-send --account ID --from ADDR --to ADDR [--to ADDR ...] [--base-url URL]
//               [--ca-file PEM] [--timeout SECONDS] [--max-retries N] [FILE]
//
// Credentials: CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY. Defaults:
// CLOUDFLARE_ACCOUNT_ID for --account, CLOUDFLARE_BASE_URL for --base-url.
// Exit status: 0 sent; 1 the API answered with an error; 2 usage or invalid input (nothing
// sent); 3 network, TLS, timeout, unreadable answer, or an unknown outcome.
#include "cli_common.hpp"

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
using namespace cfmail_cli;

namespace {

// One line on stderr, whatever the server put in its messages.
int fail(int code, const std::string& text) {
    std::cerr << "cfmail-send: " << neutralised(text, escaping::text) << '\n';
    return code;
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
    if (!valid_timeout(timeout_seconds))
        return fail(exit_usage, "--timeout takes a number of seconds from 0.001 to 86400");
    if (vm.count("max-retries") && !valid_max_retries(max_retries))
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

    connection_settings settings{base_url, ca_file, timeout_seconds, std::nullopt};
    if (vm.count("max-retries"))
        settings.max_retries = static_cast<unsigned>(max_retries);
    std::optional<cfmail::blocking_client> client;
    try {
        client.emplace(make_client(settings));
    } catch (const std::exception& e) {
        return fail(exit_usage, std::string("cannot use the TLS settings: ") + e.what());
    }

    boost::system::error_code ec;
    cfmail::diagnostics diag;
    auto result = client->send_raw(req, ec, diag);
    if (ec) {
        std::string text = failure_text(ec, diag);
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
