// cfmail-send: sends a MIME message from a file or stdin through the Email Sending API, or
// composes one from its options.
//
//   cfmail-send --account ID --from ADDR --to ADDR [--to ADDR ...] [--base-url URL]
//               [--ca-file PEM] [--timeout SECONDS] [--max-retries N]
//               [--proxy URL | --no-proxy] [FILE]
//   cfmail-send --account ID --from ADDR [--from-name NAME] [--to ADDR ...] [--cc ADDR ...]
//               [--bcc ADDR ...] [--reply-to ADDR] [--subject TEXT] [--text FILE|-]
//               [--html FILE] [--attach FILE[;type=major/minor] ...] [connection options]
//
// Any of the options of the second form composes the message (cfmail::mime::message) instead
// of reading FILE; giving FILE too is a usage error. The envelope recipients are then To, Cc
// and Bcc, each once; Bcc appears in no header.
//
// Credentials: CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY. Defaults:
// CLOUDFLARE_ACCOUNT_ID for --account, CLOUDFLARE_BASE_URL for --base-url.
// Exit status: 0 sent; 1 the API answered with an error; 2 usage or invalid input (nothing
// sent); 3 network, TLS, timeout, unreadable answer, or an unknown outcome.
#include "cli_common.hpp"

#include <cfmail.hpp>
#include <cfmail/https_client.hpp>
#include <cfmail/mime.hpp>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

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

// Input that cannot be sent as given: exit 2, before anything is sent.
struct invalid_input : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string read_stdin() {
    return {std::istreambuf_iterator<char>(std::cin), {}};
}

// A directory opens like a file and then reads as empty, so it is refused by name.
std::string read_file(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    if (!in || std::filesystem::is_directory(path, ec))
        throw invalid_input("cannot read " + what + " " + path);
    return {std::istreambuf_iterator<char>(in), {}};
}

// The types of the files mail usually carries; any other is sent as opaque bytes, which every
// mail reader offers to save.
std::string type_from_extension(const std::filesystem::path& file) {
    static constexpr std::pair<std::string_view, std::string_view> types[] = {
        {".pdf", "application/pdf"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".svg", "image/svg+xml"},
        {".txt", "text/plain"},
        {".csv", "text/csv"},
        {".html", "text/html"},
        {".htm", "text/html"},
        {".json", "application/json"},
        {".xml", "application/xml"},
        {".zip", "application/zip"},
        {".gz", "application/gzip"},
        {".ics", "text/calendar"},
        {".doc", "application/msword"},
        {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {".xls", "application/vnd.ms-excel"},
        {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {".ppt", "application/vnd.ms-powerpoint"},
        {".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"}};
    std::string extension = file.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& [known, type] : types) {
        if (extension == known)
            return std::string(type);
    }
    return "application/octet-stream";
}

// An --attach argument: FILE, or FILE;type=major/minor when the extension does not tell. The
// recipient sees the file's base name; the builder checks the type.
cfmail::attachment attachment_from(const std::string& argument) {
    constexpr std::string_view type_marker = ";type=";
    std::string path = argument, type;
    if (const auto at = argument.rfind(type_marker); at != std::string::npos) {
        path = argument.substr(0, at);
        type = argument.substr(at + type_marker.size());
        if (type.empty())
            throw invalid_input("--attach " + argument + ": no MIME type after ;type=");
    }
    const std::filesystem::path file(path);
    return {file.filename().string(),
            type.empty() ? type_from_extension(file) : type,
            read_file(path, "the attachment"),
            cfmail::content_disposition::attachment,
            {}};
}

// What the compose options name; the variables_map says which were given.
struct composition {
    std::string from_name, reply_to, subject, text_file, html_file;
    std::vector<std::string> cc, bcc, attachments;
};

// The message the compose options describe; throws invalid_input for a file it cannot read
// (the builder checks the fields when the request is made).
cfmail::mime::message composed(const std::string& from, const std::vector<std::string>& to,
                               const composition& c, const po::variables_map& vm) {
    cfmail::mime::message m;
    m.from({from, vm.count("from-name") ? std::optional(c.from_name) : std::nullopt});
    for (const auto& address : to)
        m.to(cfmail::mailbox{address});
    for (const auto& address : c.cc)
        m.cc(cfmail::mailbox{address});
    for (const auto& address : c.bcc)
        m.bcc(cfmail::mailbox{address});
    if (vm.count("reply-to"))
        m.reply_to(cfmail::mailbox{c.reply_to});
    m.subject(c.subject);
    if (vm.count("text"))
        m.text(c.text_file == "-" ? read_stdin() : read_file(c.text_file, "the text body"));
    if (vm.count("html"))
        m.html(read_file(c.html_file, "the HTML body"));
    for (const auto& argument : c.attachments)
        m.attach(attachment_from(argument));
    return m;
}

} // namespace

int main(int argc, char** argv) try {
    std::string account, from, base_url, ca_file, file = "-";
    std::vector<std::string> to;
    composition compose;
    double timeout_seconds = 60;
    int max_retries = -1;
    connection_settings settings;

    po::options_description visible("Options");
    visible.add_options()("help,h", "print this help and exit")("version", "print the version")(
        "account", po::value(&account), "Cloudflare account id (default: $CLOUDFLARE_ACCOUNT_ID)")(
        "from", po::value(&from), "SMTP envelope sender (and From when composing)")(
        "to", po::value(&to),
        "SMTP envelope recipient (and To when composing); repeat for several")(
        "base-url", po::value(&base_url),
        "API base URL (default: $CLOUDFLARE_BASE_URL, else the public API)")(
        "ca-file", po::value(&ca_file), "PEM file of trusted CA certificates")(
        "timeout", po::value(&timeout_seconds)->default_value(60),
        "seconds for each whole attempt, connection to last byte")(
        "max-retries", po::value(&max_retries), "retries of attempts that provably sent nothing");
    add_proxy_options(visible, settings);
    po::options_description composing("Composing the message instead of reading FILE");
    auto add_compose_option = composing.add_options();
    add_compose_option("from-name", po::value(&compose.from_name),
                       "display name of --from (UTF-8)");
    add_compose_option("cc", po::value(&compose.cc), "Cc recipient; repeat for several");
    add_compose_option("bcc", po::value(&compose.bcc),
                       "blind copy recipient, in no header; repeat for several");
    add_compose_option("reply-to", po::value(&compose.reply_to), "Reply-To address");
    add_compose_option("subject", po::value(&compose.subject), "subject (UTF-8)");
    add_compose_option("text", po::value(&compose.text_file),
                       "plain-text body from FILE, or stdin when -");
    add_compose_option("html", po::value(&compose.html_file), "HTML body from FILE");
    add_compose_option("attach", po::value(&compose.attachments),
                       "attach FILE, its type from its extension, or FILE;type=major/minor; "
                       "repeat for several");
    visible.add(composing);
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
                     "[FILE]\n       cfmail-send --account ID --from ADDR [--to ADDR ...] "
                     "COMPOSE-OPTIONS\n\nSends FILE (or stdin when FILE is - or absent) as a raw "
                     "MIME message, or,\nwhen any compose option is given, the message they "
                     "describe (envelope\nrecipients: To, Cc and Bcc).\nCredentials: "
                     "CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY.\n\n"
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
    const bool composing_message =
        std::any_of(composing.options().begin(), composing.options().end(),
                    [&](const auto& option) { return vm.count(option->long_name()) > 0; });
    if (composing_message && vm.count("file"))
        return fail(exit_usage, "FILE cannot be given with options that compose the message");
    // Cc and Bcc are compose options: without them the envelope is --to alone, as before.
    if (to.empty() && compose.cc.empty() && compose.bcc.empty())
        return fail(exit_usage, "no recipient: pass --to (or, when composing, --cc or --bcc)");
    if (!valid_timeout(timeout_seconds))
        return fail(exit_usage, "--timeout takes a number of seconds from 0.001 to 86400");
    if (vm.count("max-retries") && !valid_max_retries(max_retries))
        return fail(exit_usage, "--max-retries takes a number from 0 to 100");

    cfmail::send_raw_request req;
    if (composing_message) {
        boost::system::error_code ec;
        cfmail::diagnostics diag;
        req = composed(from, to, compose, vm).to_send_raw(account, ec, diag);
        if (ec)
            return fail(exit_usage, failure_text(ec, diag));
    } else {
        req = {account, from, to, file == "-" ? read_stdin() : read_file(file, "the message file")};
        if (req.mime_message.empty())
            return fail(exit_usage, "the message is empty");
    }

    if (settings.proxy && settings.no_proxy)
        return fail(exit_usage, "--proxy and --no-proxy cannot be given together");
    settings.base_url = base_url;
    settings.ca_file = ca_file;
    settings.timeout_seconds = timeout_seconds;
    if (vm.count("max-retries"))
        settings.max_retries = static_cast<unsigned>(max_retries);
    std::optional<cfmail::blocking_client> client;
    try {
        client.emplace(make_client(settings));
    } catch (const std::exception& e) {
        return fail(exit_usage, std::string("cannot use the connection settings: ") + e.what());
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
} catch (const invalid_input& e) {
    return fail(exit_usage, e.what());
} catch (const std::exception& e) {
    return fail(exit_failure, e.what());
}
