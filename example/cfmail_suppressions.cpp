// cfmail-suppressions: manages the account's suppression list through the Email Sending API.
//
//   cfmail-suppressions [--account ID] [--base-url URL] [--ca-file PEM] [--timeout SECONDS]
//                       [--max-retries N] [--proxy URL | --no-proxy] COMMAND [ARGS]
//
//   list [--email A] [--reason R] [--scope account|DOMAIN] [--search S] [--per-page N]
//   get ID
//   add EMAIL [--note TEXT] [--expires-at RFC3339] [--domain DOMAIN]
//   edit ID [--note TEXT] [--expires-at RFC3339 | --permanent]
//   remove ID
//   import FILE|-
//
// Credentials and defaults as for cfmail-send. Every answer is printed as JSON, one object a
// line. Exit status: 0 done; 1 the API answered with an error; 2 usage or invalid input
// (nothing sent); 3 network, TLS, timeout, unreadable answer, or an unknown outcome.
#include "cli_common.hpp"

#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace po = boost::program_options;
using namespace cfmail_cli;

namespace {

constexpr std::string_view program_name = "cfmail-suppressions";

// One line on stderr, whatever the server put in its messages.
int fail(int code, const std::string& text) {
    std::cerr << program_name << ": " << neutralised(text, escaping::text) << '\n';
    return code;
}

// A change that may have reached the API before the failure says so: running the same command
// again is safe, but the list may already show the change.
int failed(const boost::system::error_code& ec, const cfmail::diagnostics& diag, bool changes) {
    std::string text = failure_text(ec, diag);
    if (changes && cfmail::may_have_been_sent(ec, diag))
        text += " (the change may have been made)";
    return fail(exit_code_for(ec), text);
}

// The JSON carries the server's ids, addresses and notes.
void print(const boost::json::value& v) {
    std::cout << neutralised(boost::json::serialize(v), escaping::json) << '\n';
}

// The options that belong to one subcommand or two; the common ones go with all of them.
const std::map<std::string, std::set<std::string>, std::less<>> command_options{
    {"list", {"email", "reason", "scope", "search", "per-page"}},
    {"get", {}},
    {"add", {"note", "expires-at", "domain"}},
    {"edit", {"note", "expires-at", "permanent"}},
    {"remove", {}},
    {"import", {}},
};

std::string trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos)
        return {};
    return std::string(s.substr(first, s.find_last_not_of(" \t\r") - first + 1));
}

// An optional string field of an import entry: absent and null are the same.
std::string read_optional_string(const boost::json::object& o, std::string_view key,
                                 const std::string& where, std::optional<std::string>& out) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null())
        return {};
    const auto* s = v->if_string();
    if (!s)
        return where + "." + std::string(key) + ": not a string";
    out.emplace(s->data(), s->size());
    return {};
}

std::string read_scope(const boost::json::value& v, const std::string& where,
                       std::optional<cfmail::suppression_scope>& out) {
    if (v.is_null())
        return {};
    const auto* o = v.if_object();
    const auto* type = o ? o->if_contains("type") : nullptr;
    if (!type || !type->is_string())
        return where + ": an object with a type, account or sending_domain";
    for (const auto& field : *o) {
        if (field.key() != "type" && field.key() != "value")
            return where + ": unknown field " + std::string(field.key());
    }
    const auto* value = o->if_contains("value");
    if (type->get_string() == "account") {
        if (value && !value->is_null())
            return where + ".value: goes only with the type sending_domain";
        out = cfmail::account_scope{};
        return {};
    }
    if (type->get_string() != "sending_domain")
        return where + ".type: account or sending_domain";
    if (!value || !value->is_string())
        return where + ".value: the sending domain, a string";
    out = cfmail::sending_domain_scope{std::string(value->get_string())};
    return {};
}

// The entries of an import file: a JSON array of {email, scope?, expires_at?, note?} when the
// first character that is not white space is '[', else one address a line (blank lines and
// lines that start with '#' skipped). Returns what is wrong, empty when nothing is. An unknown
// field is refused, so that a misspelt one does not silently import an entry without it. Entries
// are counted from 0, as the client names them (`items[3].email`).
std::string read_import(const std::string& text, std::vector<cfmail::import_item>& items) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '[') {
        boost::system::error_code ec;
        const auto parsed = boost::json::parse(text, ec);
        if (ec)
            return "not valid JSON: " + ec.message();
        const auto& array = parsed.as_array();
        for (std::size_t i = 0; i < array.size(); ++i) {
            const std::string where = "items[" + std::to_string(i) + "]";
            const auto* o = array[i].if_object();
            if (!o)
                return where + ": not an object";
            for (const auto& field : *o) {
                const auto key = field.key();
                if (key != "email" && key != "scope" && key != "expires_at" && key != "note")
                    return where + ": unknown field " + std::string(key);
            }
            const auto* email = o->if_contains("email");
            if (!email || !email->is_string())
                return where + ".email: required, a string";
            cfmail::import_item item{std::string(email->get_string()), {}, {}, {}};
            std::string wrong;
            if (const auto* scope = o->if_contains("scope"))
                wrong = read_scope(*scope, where + ".scope", item.scope);
            if (wrong.empty())
                wrong = read_optional_string(*o, "expires_at", where, item.expires_at);
            if (wrong.empty())
                wrong = read_optional_string(*o, "note", where, item.note);
            if (!wrong.empty())
                return wrong;
            items.push_back(std::move(item));
        }
        return {};
    }
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        auto line = trimmed(std::string_view(text).substr(start, end - start));
        if (!line.empty() && line.front() != '#')
            items.push_back({std::move(line), {}, {}, {}});
        start = end + 1;
    }
    return {};
}

// Runs one operation and prints its result.
template <class Request>
int run(cfmail::blocking_client& client, const Request& req, bool changes) {
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    auto result = client.execute(req, ec, diag);
    if (ec)
        return failed(ec, diag, changes);
    print(boost::json::value_from(result));
    return 0;
}

// Every page, each entry as soon as its page arrives. A failure after the first page leaves
// the entries already printed, and the exit status says that the list is incomplete.
int list_all(cfmail::blocking_client& client, const cfmail::list_suppressions_request& req) {
    cfmail::suppression_pages<cfmail::blocking_client> pages(client, req);
    while (!pages.done()) {
        const std::string cursor = pages.next_request().cursor;
        boost::system::error_code ec;
        cfmail::diagnostics diag;
        const auto page = pages.next(ec, diag);
        if (ec)
            return failed(ec, diag, false);
        for (const auto& s : page.items)
            print(boost::json::value_from(s));
        std::cout.flush();
        // A server that hands back the cursor it was given would be listed forever.
        if (!pages.done() && pages.next_request().cursor == cursor)
            return fail(exit_failure, "the API answered the same page cursor again");
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) try {
    std::string account, base_url, ca_file, command;
    std::vector<std::string> arguments;
    double timeout_seconds = 60;
    int max_retries = -1;
    std::string email, reason, scope, search, note, expires_at, domain;
    long long per_page = 0;

    po::options_description common("Options");
    common.add_options()("help,h", "print this help and exit")("version", "print the version")(
        "account", po::value(&account), "Cloudflare account id (default: $CLOUDFLARE_ACCOUNT_ID)")(
        "base-url", po::value(&base_url),
        "API base URL (default: $CLOUDFLARE_BASE_URL, else the public API)")(
        "ca-file", po::value(&ca_file), "PEM file of trusted CA certificates")(
        "timeout", po::value(&timeout_seconds)->default_value(60),
        "seconds for each whole attempt, connection to last byte")(
        "max-retries", po::value(&max_retries), "retries of attempts that provably sent nothing");
    connection_settings settings;
    add_proxy_options(common, settings);
    po::options_description list_options("list options");
    list_options.add_options()("email", po::value(&email), "only this address")(
        "reason", po::value(&reason), "only this reason, e.g. hard_bounce")(
        "scope", po::value(&scope), "only this scope: account, or a sending domain")(
        "search", po::value(&search), "an address, or user@ for that user on every domain")(
        "per-page", po::value(&per_page), "entries a page, 1 to 1000 (default: the API's)");
    po::options_description change_options("add and edit options");
    change_options.add_options()("note", po::value(&note), "a note; with edit, '' clears it")(
        "expires-at", po::value(&expires_at),
        "when the entry lapses, RFC 3339 (e.g. 2026-12-31T23:59:59Z)")(
        "domain", po::value(&domain), "add: suppress for this sending domain only")(
        "permanent", "edit: make the entry permanent");
    po::options_description hidden;
    hidden.add_options()("command", po::value(&command))("argument", po::value(&arguments));
    po::options_description all;
    all.add(common).add(list_options).add(change_options).add(hidden);
    po::positional_options_description positional;
    positional.add("command", 1).add("argument", -1);

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return fail(exit_usage, e.what());
    }
    if (vm.count("help")) {
        std::cout
            << "usage: cfmail-suppressions [OPTIONS] COMMAND [ARGS]\n\n"
               "Commands:\n"
               "  list [--email A] [--reason R] [--scope account|DOMAIN] [--search S]\n"
               "       [--per-page N]     every entry, page after page, one JSON object a line\n"
               "  get ID                  one entry\n"
               "  add EMAIL [--note TEXT] [--expires-at TIME] [--domain DOMAIN]\n"
               "                          suppresses EMAIL; prints {id, scope}\n"
               "  edit ID [--note TEXT] [--expires-at TIME | --permanent]\n"
               "                          changes the note or the expiry; prints the entry\n"
               "  remove ID               removes an entry; prints {id, scope}\n"
               "  import FILE             1 to 1000 entries from FILE (- for stdin): a JSON\n"
               "                          array of {email, scope, expires_at, note}, or one\n"
               "                          address a line; prints the result of each\n\n"
               "Credentials: CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY.\n\n"
            << common << '\n'
            << list_options << '\n'
            << change_options
            << "\nExit status: 0 done, 1 API error, 2 usage or invalid input (nothing sent),\n"
               "3 network/TLS/timeout/unreadable answer/unknown outcome.\n";
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "cfmail-suppressions " CFMAIL_VERSION_STRING "\n";
        return 0;
    }

    if (command.empty())
        return fail(exit_usage, "no command: list, get, add, edit, remove or import");
    const auto allowed = command_options.find(command);
    if (allowed == command_options.end())
        return fail(exit_usage,
                    "unknown command " + command + ": list, get, add, edit, remove or import");
    for (const auto* options : {&list_options, &change_options}) {
        for (const auto& option : options->options()) {
            const auto& name = option->long_name();
            if (vm.count(name) && !allowed->second.count(name))
                return fail(exit_usage, "--" + name + " does not go with " + command);
        }
    }
    const std::size_t wanted = command == "list" ? 0 : 1;
    if (arguments.size() != wanted) {
        static const std::map<std::string, std::string, std::less<>> what{
            {"list", "no argument"},          {"get", "one suppression id"},
            {"add", "one address"},           {"edit", "one suppression id"},
            {"remove", "one suppression id"}, {"import", "one file name, or - for stdin"}};
        return fail(exit_usage, command + " takes " + what.at(command));
    }

    if (account.empty())
        account = env_or("CLOUDFLARE_ACCOUNT_ID", "");
    if (base_url.empty())
        base_url = env_or("CLOUDFLARE_BASE_URL", cfmail::client_options{}.base_url);
    if (account.empty())
        return fail(exit_usage, "no account: pass --account or set CLOUDFLARE_ACCOUNT_ID");
    if (!valid_timeout(timeout_seconds))
        return fail(exit_usage, "--timeout takes a number of seconds from 0.001 to 86400");
    if (vm.count("max-retries") && !valid_max_retries(max_retries))
        return fail(exit_usage, "--max-retries takes a number from 0 to 100");

    // Every request is made, and its input read, before any connection: a usage error or
    // invalid input sends nothing. The client checks the rest (addresses, timestamps, ids)
    // the same way, with exit status 2.
    cfmail::list_suppressions_request filters{account, {}, {}, email, reason, {}, search};
    cfmail::import_suppressions_request bulk{account, {}};
    if (command == "list") {
        if (vm.count("per-page")) {
            if (per_page < 1 || per_page > 1000)
                return fail(exit_usage, "--per-page takes a number from 1 to 1000");
            filters.per_page = static_cast<unsigned>(per_page);
        }
        if (vm.count("scope")) {
            if (scope.empty())
                return fail(exit_usage, "--scope takes account or a sending domain");
            if (scope == "account")
                filters.scope = cfmail::account_scope{};
            else
                filters.scope = cfmail::sending_domain_scope{scope};
        }
    } else if (command == "edit") {
        if (!vm.count("note") && !vm.count("expires-at") && !vm.count("permanent"))
            return fail(exit_usage, "edit needs --note, --expires-at or --permanent");
        if (vm.count("expires-at") && vm.count("permanent"))
            return fail(exit_usage, "--expires-at and --permanent do not go together");
    } else if (command == "add") {
        if (vm.count("domain") && domain.empty())
            return fail(exit_usage, "--domain takes a sending domain");
    } else if (command == "import") {
        const auto& file = arguments[0];
        std::string text;
        if (file == "-") {
            text.assign(std::istreambuf_iterator<char>(std::cin), {});
        } else {
            std::ifstream in(file, std::ios::binary);
            if (!in)
                return fail(exit_usage, "cannot read the import file " + file);
            text.assign(std::istreambuf_iterator<char>(in), {});
        }
        if (auto wrong = read_import(text, bulk.items); !wrong.empty())
            return fail(exit_usage, (file == "-" ? std::string("stdin") : file) + ": " + wrong);
        if (bulk.items.empty() || bulk.items.size() > cfmail::max_import_items)
            return fail(exit_usage, "import takes 1 to " +
                                        std::to_string(cfmail::max_import_items) +
                                        " entries, not " + std::to_string(bulk.items.size()));
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

    const std::string& argument = arguments.empty() ? command : arguments[0];
    if (command == "list")
        return list_all(*client, filters);
    if (command == "get")
        return run(*client, cfmail::get_suppression_request{account, argument}, false);
    if (command == "add") {
        cfmail::create_suppression_request req{account, argument, {}, {}, {}};
        if (vm.count("expires-at"))
            req.expires_at = expires_at;
        if (vm.count("note"))
            req.note = note;
        if (vm.count("domain"))
            req.scope = cfmail::sending_domain_scope{domain};
        return run(*client, req, true);
    }
    if (command == "edit") {
        cfmail::edit_suppression_request req{account, argument, {}, {}};
        if (vm.count("expires-at"))
            req.expires_at.emplace(expires_at);
        else if (vm.count("permanent"))
            req.expires_at.emplace(std::nullopt);
        if (vm.count("note"))
            req.note = note;
        return run(*client, req, true);
    }
    if (command == "remove")
        return run(*client, cfmail::delete_suppression_request{account, argument}, true);
    return run(*client, bulk, true);
} catch (const std::exception& e) {
    return fail(exit_failure, e.what());
}
