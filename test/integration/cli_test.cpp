// cfmail-send and cfmail-suppressions against cfmail-emulator over TLS, as separate
// processes: every exit code, a byte-exact round trip, what reaches the terminal; and the
// emulator against clients that break the rules.
#include "processes.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <set>
#include <sys/socket.h>

// The file's names in a namespace of their own: the build may compile test files together.
namespace integration_cli_test {

using namespace cfmail_test;
namespace fs = std::filesystem;

namespace {

const std::string hello =
    "From: sender@example.com\r\nTo: recipient@example.com\r\nSubject: Hi\r\n\r\nHello\r\n";

std::string common_args(const emulator_process& e,
                        const std::string& account = "023e105f4ecef8ad9ca31a8372d0c353") {
    return "--account " + quote(account) + " --from sender@example.com --base-url " +
           quote(e.base_url() + "/");
}

std::string suppression_args(const emulator_process& e,
                             const std::string& account = "023e105f4ecef8ad9ca31a8372d0c353") {
    return "--account " + quote(account) + " --base-url " + quote(e.base_url() + "/");
}

// Each line of `out` as a JSON object; anything else, or a last line without its newline,
// fails the test.
std::vector<boost::json::object> json_lines(const std::string& out) {
    BOOST_TEST_REQUIRE((out.empty() || out.back() == '\n'), out);
    std::vector<boost::json::object> objects;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        BOOST_TEST_REQUIRE(!ec, line);
        BOOST_TEST_REQUIRE(v.is_object(), line);
        objects.push_back(std::move(v.as_object()));
    }
    return objects;
}

// The one object a command printed.
boost::json::object json_object(const run_result& r) {
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    BOOST_TEST(r.err.empty(), r.err);
    auto objects = json_lines(r.out);
    BOOST_TEST_REQUIRE(objects.size() == 1u, r.out);
    return std::move(objects[0]);
}

void check_one_line_without_secret(const run_result& r) {
    BOOST_TEST(r.out.empty());
    BOOST_TEST(!r.err.empty());
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    BOOST_TEST(r.err.find("SECRET") == std::string::npos);
}

// Whether `s` is well-formed UTF-8 without a C0 control (but a final newline), DEL or a C1
// control: nothing a terminal would act on.
bool terminal_safe(std::string_view s) {
    if (!s.empty() && s.back() == '\n')
        s.remove_suffix(1);
    for (std::size_t i = 0; i < s.size();) {
        const unsigned c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c < 0x80) {
            ++i;
            continue;
        }
        const std::size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (c < 0xc2 || c > 0xf4 || i + length > s.size())
            return false;
        unsigned cp = c & (0x7f >> length);
        for (std::size_t k = 1; k < length; ++k) {
            const unsigned b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (b & 0x3f);
        }
        constexpr unsigned smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < smallest[length] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) || cp <= 0x9f)
            return false;
        i += length;
    }
    return true;
}

// cfmail-emulator run with `args` to completion (bounded in time): status, stdout, stderr.
run_result run_emulator(const std::string& args) {
    const auto dir =
        fs::temp_directory_path() / ("cfmail-emulator-args-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string cmd = "timeout 10 " + quote(program("CFMAIL_EMULATOR")) + " " + args +
                            " </dev/null >" + quote((dir / "out").string()) + " 2>" +
                            quote((dir / "err").string());
    run_result r;
    const int raw = std::system(cmd.c_str());
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_file(dir / "out");
    r.err = read_file(dir / "err");
    fs::remove_all(dir);
    return r;
}

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// A plain TCP connection to 127.0.0.1 that sends whatever it is told, however malformed or
// slow, and watches for the peer closing.
class raw_connection {
public:
    struct outcome {
        bool closed = false;   // the peer closed or reset the connection
        std::string received;  // what the peer sent before
        std::size_t sent = 0;  // bytes the peer took
        milliseconds after{0}; // from the call to the close (or to the end of the wait)
    };

    explicit raw_connection(unsigned short port)
        : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        BOOST_TEST_REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_TEST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    }
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;
    ~raw_connection() { ::close(fd_); }

    // Sends `data` (as much of it as the peer takes) while reading what comes back, until the
    // peer closes, `until` has been received (when not empty), or `limit` has passed.
    outcome exchange(std::string_view data, milliseconds limit, std::string_view until = {}) {
        outcome r;
        const auto start = std::chrono::steady_clock::now();
        const auto deadline = start + limit;
        bool writing = !data.empty();
        for (;;) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline || (!until.empty() && r.received.find(until) != std::string::npos))
                break;
            pollfd p{fd_, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
            const auto wait = std::chrono::duration_cast<milliseconds>(deadline - now).count();
            if (::poll(&p, 1, static_cast<int>(wait) + 1) < 0 && errno != EINTR)
                break;
            if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
                char buffer[65536];
                const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
                if (n > 0) {
                    r.received.append(buffer, static_cast<std::size_t>(n));
                    continue;
                }
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                    r.closed = true;
                    break;
                }
            }
            if (writing && (p.revents & POLLOUT)) {
                const auto n =
                    ::send(fd_, data.data() + r.sent, data.size() - r.sent, MSG_NOSIGNAL);
                if (n > 0)
                    r.sent += static_cast<std::size_t>(n);
                // A peer that stopped taking the request may still answer it: read on.
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    writing = false;
                writing = writing && r.sent < data.size();
            }
        }
        r.after =
            std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
        return r;
    }

    // Sends `data` one byte every `interval`, until the peer closes or `limit` has passed.
    outcome trickle(std::string_view data, milliseconds interval, milliseconds limit) {
        outcome r;
        const auto start = std::chrono::steady_clock::now();
        const auto deadline = start + limit;
        while (!r.closed && std::chrono::steady_clock::now() < deadline) {
            if (r.sent < data.size()) {
                if (::send(fd_, data.data() + r.sent, 1, MSG_NOSIGNAL) == 1)
                    ++r.sent;
                else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    r.closed = true;
            }
            const auto left = std::chrono::duration_cast<milliseconds>(
                deadline - std::chrono::steady_clock::now());
            auto pause = exchange({}, std::clamp(left, 0ms, interval));
            r.received += pause.received;
            r.closed = r.closed || pause.closed;
        }
        r.after =
            std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
        return r;
    }

private:
    int fd_;
};

const std::string send_raw_target = "/client/v4/accounts/abc/email/sending/send_raw";
const std::string valid_body =
    R"({"from":"s@example.com","recipients":["r@example.com"],"mime_message":"Subject: x\r\n\r\ny"})";
const std::string post_head = "POST " + send_raw_target +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Authorization: Bearer cli-SECRET-token\r\n"
                              "Content-Type: application/json\r\n";
const std::string stats_request = "GET /_emulator/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

std::string hex(std::size_t n) {
    std::ostringstream out;
    out << std::hex << n;
    return out.str();
}

bool starts_with(const std::string& s, std::string_view prefix) {
    return s.rfind(prefix, 0) == 0;
}

int answers_in(const std::string& s) {
    int n = 0;
    for (auto at = s.find("HTTP/1.1 "); at != std::string::npos; at = s.find("HTTP/1.1 ", at + 1))
        ++n;
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(byte_exact_round_trip_and_routing) {
    emulator_process e;
    // UTF-8, control characters, and 2 MiB of base64 in 76-character lines.
    std::string message = "From: =?UTF-8?Q?Andr=C3=A9?= <sender@example.com>\r\n"
                          "To: recipient@example.com\r\nSubject: caf\xc3\xa9 \xe2\x98\x95\r\n"
                          "Content-Type: application/octet-stream\r\n"
                          "Content-Transfer-Encoding: base64\r\n\r\n"
                          "ctl:\x01\x02\x1b\t\x7f \"quotes\" \\backslash\\\r\n";
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::mt19937 rng(7);
    while (message.size() < 2 * 1024 * 1024) {
        for (int i = 0; i < 76; ++i)
            message += alphabet[rng() % 64];
        message += "\r\n";
    }
    const auto file = e.message_file(message);
    auto r =
        e.send(common_args(e) +
               " --to recipient@example.com --to b@bounce.test --to q@queue.test " + quote(file));
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    auto json = boost::json::parse(r.out).as_object();
    BOOST_TEST(json.at("delivered").as_array().size() == 1u);
    BOOST_TEST(json.at("permanent_bounces").at(0).as_string() == "b@bounce.test");
    BOOST_TEST(json.at("queued").at(0).as_string() == "q@queue.test");
    const std::string id(json.at("message_id").as_string());
    auto stored = e.stored();
    BOOST_TEST_REQUIRE(stored.size() == 1u);
    BOOST_TEST(read_file(stored[0]) == message);
    BOOST_TEST(id.find(stored[0].stem().string()) != std::string::npos);
    auto envelope = boost::json::parse(read_file(stored[0].replace_extension(".json"))).as_object();
    BOOST_TEST(envelope.at("recipients").as_array().size() == 3u);
    BOOST_TEST(envelope.at("from").as_string() == "sender@example.com");
}

BOOST_AUTO_TEST_CASE(message_from_stdin_and_settings_from_the_environment) {
    emulator_process e;
    const auto file = e.message_file(hello);
    auto r = e.send(
        "--from sender@example.com --to r@example.com - <" + quote(file),
        "CLOUDFLARE_API_TOKEN=cli-SECRET-token CLOUDFLARE_ACCOUNT_ID=abc CLOUDFLARE_BASE_URL=" +
            quote(e.base_url()));
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(e.stored().size() == 1u);
}

BOOST_AUTO_TEST_CASE(exit_1_for_api_errors) {
    emulator_process e;
    const auto file = e.message_file(hello);
    auto wrong_token = e.send(common_args(e) + " --to r@example.com " + quote(file),
                              "CLOUDFLARE_API_TOKEN=wrong-SECRET");
    BOOST_TEST(wrong_token.status == 1);
    check_one_line_without_secret(wrong_token);
    BOOST_TEST(wrong_token.err.find("401") != std::string::npos, wrong_token.err);
    BOOST_TEST(wrong_token.err.find("10101") != std::string::npos, wrong_token.err);

    const int before = e.stats().first;
    auto success_false =
        e.send(common_args(e, "fault-successfalse-1") + " --to r@example.com " + quote(file));
    BOOST_TEST(success_false.status == 1);
    check_one_line_without_secret(success_false);
    BOOST_TEST(e.stats().first == before + 1); // an API error is final: sent once, not retried
}

BOOST_AUTO_TEST_CASE(exit_2_for_usage_and_invalid_input_without_connecting) {
    emulator_process e;
    const auto good = e.message_file(hello);
    const auto empty = e.message_file("");
    // A base URL where nothing listens: reaching the network would give exit 3, not 2.
    const std::string nowhere =
        " --account abc --from sender@example.com --base-url http://127.0.0.1:" +
        std::to_string(closed_port());
    for (const std::string& args :
         {nowhere + " --to r@example.com /nonexistent/message.eml",
          nowhere + " --to r@example.com " + quote(empty),
          nowhere + " --to 'bad address' " + quote(good), nowhere + " " + quote(good),
          std::string("--from s@example.com --to r@example.com ") + quote(good),
          nowhere + " --to r@example.com --timeout -1 " + quote(good),
          nowhere + " --to r@example.com --timeout 0.0001 " + quote(good),
          nowhere + " --to r@example.com --timeout 0 " + quote(good),
          nowhere + " --to r@example.com --unknown-option " + quote(good),
          nowhere + " --to r@example.com --ca-file /nonexistent.pem " + quote(good)}) {
        auto r = e.send(args, "CLOUDFLARE_API_TOKEN=cli-SECRET-token", false);
        BOOST_TEST(r.status == 2, args << ": " << r.err);
        check_one_line_without_secret(r);
    }
    auto no_credentials = e.send(nowhere + " --to r@example.com " + quote(good), "", false);
    BOOST_TEST(no_credentials.status == 2, no_credentials.err);
    BOOST_TEST(e.stats().first == 0); // the emulator was never asked either
}

BOOST_AUTO_TEST_CASE(exit_3_for_network_tls_and_unknown_outcomes) {
    emulator_process e;
    const auto file = e.message_file(hello);
    const std::string to = " --to r@example.com " + quote(file);

    auto gateway = e.send(common_args(e, "fault-502-x") + to);
    BOOST_TEST(gateway.status == 3);
    check_one_line_without_secret(gateway);
    BOOST_TEST(gateway.err.find("may have been sent") != std::string::npos, gateway.err);
    BOOST_TEST(gateway.err.find("502") != std::string::npos, gateway.err);
    BOOST_TEST(e.stored().size() == 1u); // accepted once, never resent

    auto unknown_ca = e.send(common_args(e) + to, "CLOUDFLARE_API_TOKEN=cli-SECRET-token", false);
    BOOST_TEST(unknown_ca.status == 3);
    check_one_line_without_secret(unknown_ca);

    auto refused = e.send("--account abc --from s@example.com --base-url http://127.0.0.1:" +
                          std::to_string(closed_port()) + " --max-retries 0" + to);
    BOOST_TEST(refused.status == 3);
    check_one_line_without_secret(refused);

    auto wrong_shape = e.send(common_args(e, "fault-wrongshape-x") + to);
    BOOST_TEST(wrong_shape.status == 3);
    check_one_line_without_secret(wrong_shape);

    auto oversize = e.send(common_args(e, "fault-oversize-x") + to);
    BOOST_TEST(oversize.status == 3);
    check_one_line_without_secret(oversize);

    auto slow = e.send(common_args(e, "fault-slow-x") + " --timeout 0.5" + to);
    BOOST_TEST(slow.status == 3);
    BOOST_TEST(slow.err.find("may have been sent") != std::string::npos, slow.err);
}

BOOST_AUTO_TEST_CASE(timeout_that_rounds_to_zero_is_a_usage_error) {
    emulator_process e;
    const auto file = e.message_file(hello);
    auto r = e.send(common_args(e) + " --to r@example.com --timeout 0.0001 " + quote(file));
    BOOST_TEST(r.status == 2, r.err);
    check_one_line_without_secret(r);
    BOOST_TEST(r.err.find("--timeout") != std::string::npos, r.err);
    BOOST_TEST(e.stats().first == 0); // nothing was sent
    auto smallest = e.send(common_args(e) + " --to r@example.com --timeout 0.001 " + quote(file));
    BOOST_TEST(smallest.status != 2, smallest.err); // 1 ms is a timeout, not a usage error
}

BOOST_AUTO_TEST_CASE(compose_mode_builds_the_message) {
    emulator_process e;
    const auto text = e.message_file("Hello from stdin\n");
    const auto image = (e.dir() / "pixel.bin").string(); // the extension does not tell
    write_file(image, std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
    const auto pdf = (e.dir() / "report.pdf").string();
    write_file(pdf, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
    const std::string subject = "Gr\xc3\xbc\xc3\x9f"
                                "e";
    auto r = e.send(common_args(e) +
                    " --to r@example.com --cc c@example.com --bcc hidden@example.com"
                    " --reply-to reply@example.com --subject " +
                    quote(subject) + " --text - --attach " + quote(image + ";type=image/png") +
                    " --attach " + quote(pdf) + " <" + quote(text));
    auto json = json_object(r);
    std::set<std::string> delivered;
    for (const auto& a : json.at("delivered").as_array())
        delivered.emplace(a.as_string());
    BOOST_TEST((delivered ==
                std::set<std::string>{"r@example.com", "c@example.com", "hidden@example.com"}));

    auto stored = e.stored();
    BOOST_TEST_REQUIRE(stored.size() == 1u);
    const auto message = read_file(stored[0]);
    for (std::string_view expected :
         {"\r\nTo: r@example.com\r\n", "\r\nCc: c@example.com\r\n",
          "\r\nReply-To: reply@example.com\r\n", "\r\nSubject: =?UTF-8?", "Hello from stdin",
          "Content-Type: application/pdf", "report.pdf", "Content-Type: image/png", "pixel.bin"})
        BOOST_TEST(message.find(expected) != std::string::npos, expected << " in " << message);
    BOOST_TEST(message.find("Bcc:") == std::string::npos, message);
    BOOST_TEST(message.find("hidden@") == std::string::npos, message);
    auto envelope = boost::json::parse(read_file(stored[0].replace_extension(".json"))).as_object();
    BOOST_TEST(envelope.at("from").as_string() == "sender@example.com");
    BOOST_TEST(envelope.at("recipients").as_array().size() == 3u);
}

BOOST_AUTO_TEST_CASE(compose_mode_refuses_invalid_input_before_sending) {
    emulator_process e;
    const auto good = e.message_file(hello);
    const auto blob = (e.dir() / "x.bin").string();
    write_file(blob, "bytes");
    const std::string args = common_args(e) + " --to r@example.com";
    const std::vector<std::string> invalid = {
        " --subject Hi " + quote(good), // a message FILE and options that compose one
        " --subject Hi --attach /nonexistent/file.pdf",
        " --attach " + quote(blob + ";type=notatype"),
        " --attach " + quote(blob + ";type="),
        " --attach " + quote(e.dir().string()),
        " --text /nonexistent/body.txt",
        " --subject " + quote("line\nbreak"),
        " --cc 'not an address'"};
    for (const auto& compose : invalid) {
        auto r = e.send(args + compose);
        BOOST_TEST(r.status == 2, compose << ": " << r.err);
        check_one_line_without_secret(r);
        BOOST_TEST(starts_with(r.err, "cfmail-send: "), r.err);
    }
    auto bad_type = e.send(args + " --attach " + quote(blob + ";type=notatype"));
    BOOST_TEST(bad_type.err.find("content_type") != std::string::npos, bad_type.err);
    BOOST_TEST(e.stats().first == 0); // nothing reached the API
    BOOST_TEST(e.stored().empty());
}

BOOST_AUTO_TEST_CASE(server_text_reaches_the_terminal_neutralised) {
    emulator_process e;
    const auto file = e.message_file(hello);
    // An error message with ESC sequences, BEL, DEL and U+009B (CSI), a cf-ray with a lone
    // 0x9B byte (not UTF-8).
    auto r = e.send(common_args(e, "fault-escape-x") + " --to r@example.com " + quote(file));
    BOOST_TEST(r.status == 1, r.err);
    check_one_line_without_secret(r);
    BOOST_TEST(terminal_safe(r.err), r.err);
    for (std::string_view visible : {"\\x1b[31mred\\x1b[0m", "\\u009b2J", "\\x7f\\x07",
                                     "\\x9b31m-EMU", "10001", "caf\xc3\xa9"})
        BOOST_TEST(r.err.find(visible) != std::string::npos, visible << " in " << r.err);

    // On success the JSON carries the server's message id: still valid JSON, still the same
    // string once parsed, but nothing raw on the terminal.
    auto ok = e.send(common_args(e, "fault-escapeok-x") + " --to r@example.com " + quote(file));
    BOOST_TEST_REQUIRE(ok.status == 0, ok.err);
    BOOST_TEST(terminal_safe(ok.out), ok.out);
    const std::string id(boost::json::parse(ok.out).at("message_id").as_string());
    BOOST_TEST(starts_with(id, "<\x1b]0;title\x07\x1b[2J\xc2\x9b\x7f"), id);
    BOOST_TEST(e.stored().size() == 1u);
}

BOOST_AUTO_TEST_CASE(suppressions_commands_against_the_emulator) {
    // Two entries a page unless a list asks for another size: listing takes several pages.
    emulator_process e(true, {"--page-size", "2"});
    const auto args = suppression_args(e);

    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
        const auto n = std::to_string(i);
        auto added = json_object(
            e.suppressions(args + " add user" + n + "@example.com --note " + quote("note " + n)));
        BOOST_TEST(added.at("scope").at("type").as_string() == "account");
        ids.emplace_back(added.at("id").as_string());
    }
    const std::string in_one_domain =
        " --domain mail.example.com --expires-at 2099-12-31T23:59:59Z";
    auto domain = json_object(e.suppressions(args + " add user0@example.com" + in_one_domain));
    BOOST_TEST(domain.at("scope").at("type").as_string() == "sending_domain");
    BOOST_TEST(domain.at("scope").at("value").as_string() == "mail.example.com");
    const std::string domain_id(domain.at("id").as_string());

    // Every entry once, in three requests of two, two and one.
    int before = e.stats().first;
    auto all = e.suppressions(args + " list");
    BOOST_TEST_REQUIRE(all.status == 0, all.err);
    BOOST_TEST(all.err.empty(), all.err);
    const auto listed = json_lines(all.out);
    BOOST_TEST(listed.size() == 5u, all.out);
    BOOST_TEST(e.stats().first == before + 3);
    std::set<std::string> listed_ids;
    for (const auto& s : listed)
        listed_ids.emplace(s.at("id").as_string());
    BOOST_TEST(listed_ids.size() == 5u);
    BOOST_TEST(listed_ids.count(domain_id) == 1u);

    // The filters hold on every page: four account entries in two pages.
    before = e.stats().first;
    auto account_only = e.suppressions(args + " list --scope account");
    BOOST_TEST_REQUIRE(account_only.status == 0, account_only.err);
    const auto account_entries = json_lines(account_only.out);
    BOOST_TEST(account_entries.size() == 4u, account_only.out);
    for (const auto& s : account_entries)
        BOOST_TEST(s.at("scope").at("type").as_string() == "account");
    BOOST_TEST(e.stats().first == before + 2);
    auto user0 = e.suppressions(args + " list --search user0@ --per-page 1");
    BOOST_TEST_REQUIRE(user0.status == 0, user0.err);
    const auto user0_entries = json_lines(user0.out);
    BOOST_TEST(user0_entries.size() == 2u, user0.out);
    for (const auto& s : user0_entries)
        BOOST_TEST(s.at("email").as_string() == "user0@example.com");
    auto in_domain = e.suppressions(args + " list --scope mail.example.com");
    BOOST_TEST_REQUIRE(in_domain.status == 0, in_domain.err);
    BOOST_TEST(json_lines(in_domain.out).size() == 1u, in_domain.out);

    auto got = json_object(e.suppressions(args + " get " + quote(ids[1])));
    BOOST_TEST(got.at("id").as_string() == ids[1]);
    BOOST_TEST(got.at("email").as_string() == "user1@example.com");
    BOOST_TEST(got.at("note").as_string() == "note 1");

    auto renoted = json_object(e.suppressions(args + " edit " + quote(ids[1]) + " --note changed"));
    BOOST_TEST(renoted.at("note").as_string() == "changed");
    auto cleared = json_object(e.suppressions(args + " edit " + quote(ids[1]) + " --note ''"));
    BOOST_TEST(cleared.at("note").is_null());
    auto permanent =
        json_object(e.suppressions(args + " edit " + quote(domain_id) + " --permanent"));
    BOOST_TEST(permanent.at("expires_at").is_null());
    auto expiring = json_object(
        e.suppressions(args + " edit " + quote(ids[2]) + " --expires-at 2099-01-01T00:00:00Z"));
    BOOST_TEST(expiring.at("expires_at").is_string());
    BOOST_TEST(expiring.at("note").as_string() == "note 2"); // what was not named stays

    auto removed = json_object(e.suppressions(args + " remove " + quote(ids[3])));
    BOOST_TEST(removed.at("id").as_string() == ids[3]);
    auto gone = e.suppressions(args + " get " + quote(ids[3]));
    BOOST_TEST(gone.status == 1);
    check_one_line_without_secret(gone);
    BOOST_TEST(gone.err.find("404") != std::string::npos, gone.err);

    // A JSON array from a file, then addresses a line from stdin.
    const auto array_file = e.message_file(
        R"([{"email":"bulk0@example.com"},
            {"email":"bulk1@example.com","note":"from a file",
             "scope":{"type":"sending_domain","value":"mail.example.com"}},
            {"email":"bulk2@example.com","scope":{"type":"account"},
             "expires_at":"2099-12-31T23:59:59Z","note":null}])");
    auto imported = json_object(e.suppressions(args + " import " + quote(array_file)));
    BOOST_TEST(imported.at("total").as_int64() == 3);
    BOOST_TEST(imported.at("processed").as_int64() == 3);
    BOOST_TEST(imported.at("items").as_array().size() == 3u);
    const auto lines_file =
        e.message_file("# addresses\nline0@example.com\r\n\n  line1@example.com  \n");
    auto from_stdin = json_object(e.suppressions(args + " import - <" + quote(lines_file)));
    BOOST_TEST(from_stdin.at("total").as_int64() == 2);
    BOOST_TEST(from_stdin.at("processed").as_int64() == 2);

    // A note with ESC sequences, BEL, U+009B and DEL comes back as the same string, but
    // nothing raw reaches the terminal.
    const std::string raw_note = "\x1b]0;title\x07\x1b[2J\xc2\x9b\x7f";
    auto odd = json_object(e.suppressions(args + " add odd@example.com --note " + quote(raw_note)));
    auto odd_entry = e.suppressions(args + " get " + quote(std::string(odd.at("id").as_string())));
    BOOST_TEST_REQUIRE(odd_entry.status == 0, odd_entry.err);
    BOOST_TEST(terminal_safe(odd_entry.out), odd_entry.out);
    BOOST_TEST(json_object(odd_entry).at("note").as_string() == raw_note);

    auto final_list = e.suppressions(args + " list");
    BOOST_TEST_REQUIRE(final_list.status == 0, final_list.err);
    BOOST_TEST(json_lines(final_list.out).size() == 10u, final_list.out);
    for (std::size_t start = 0; start < final_list.out.size();) {
        const auto end = final_list.out.find('\n', start) + 1;
        BOOST_TEST(terminal_safe(final_list.out.substr(start, end - start)));
        start = end;
    }
    BOOST_TEST(final_list.out.find("SECRET") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(suppressions_exit_statuses) {
    emulator_process e;
    const auto empty_array = e.message_file("[]");
    const auto empty_file = e.message_file("# nothing\n\n");
    std::string many;
    for (int i = 0; i <= 1000; ++i)
        many += "user" + std::to_string(i) + "@example.com\n";
    const auto too_many = e.message_file(many);
    const auto not_json = e.message_file("[{\"email\": ");
    const auto misspelt = e.message_file(R"([{"email":"a@example.com","notes":"x"}])");
    const auto bad_scope =
        e.message_file(R"([{"email":"a@example.com","scope":{"type":"domain"}}])");
    const auto bad_address = e.message_file("good@example.com\nnot an address\n");
    // A base URL where nothing listens: reaching the network would give exit 3, not 2.
    const std::string nowhere =
        "--account abc --base-url http://127.0.0.1:" + std::to_string(closed_port());
    for (const std::string& args :
         {nowhere,
          nowhere + " frobnicate",
          nowhere + " get",
          nowhere + " get a b",
          nowhere + " list extra",
          nowhere + " list --note x",
          nowhere + " add a@example.com --permanent",
          nowhere + " edit some-id",
          nowhere + " edit some-id --permanent --expires-at 2099-12-31T23:59:59Z",
          nowhere + " list --per-page 0",
          nowhere + " list --per-page 1001",
          nowhere + " list --scope ''",
          nowhere + " list --email 'not an address'",
          nowhere + " add 'bad address'",
          nowhere + " add a@example.com --expires-at tomorrow",
          nowhere + " add a@example.com --domain 'not a domain'",
          nowhere + " get 'a/b'",
          nowhere + " import",
          nowhere + " import " + quote(empty_array),
          nowhere + " import " + quote(empty_file),
          nowhere + " import " + quote(too_many),
          nowhere + " import " + quote(not_json),
          nowhere + " import " + quote(misspelt),
          nowhere + " import " + quote(bad_scope),
          nowhere + " import " + quote(bad_address),
          nowhere + " import /nonexistent/list.json",
          std::string("list"),
          nowhere + " --timeout 0 list",
          nowhere + " --max-retries 101 list",
          nowhere + " --ca-file /nonexistent.pem list",
          nowhere + " list --unknown-option"}) {
        auto r = e.suppressions(args, "CLOUDFLARE_API_TOKEN=cli-SECRET-token", false);
        BOOST_TEST(r.status == 2, args << ": " << r.err);
        check_one_line_without_secret(r);
        BOOST_TEST(starts_with(r.err, "cfmail-suppressions: "), r.err);
    }
    auto no_credentials = e.suppressions(nowhere + " list", "", false);
    BOOST_TEST(no_credentials.status == 2, no_credentials.err);
    check_one_line_without_secret(no_credentials);
    BOOST_TEST(e.stats().first == 0); // the emulator was never asked either

    // 1: the API's answers.
    const auto args = suppression_args(e);
    auto missing = e.suppressions(args + " get no-such-id");
    BOOST_TEST(missing.status == 1);
    check_one_line_without_secret(missing);
    BOOST_TEST(missing.err.find("404") != std::string::npos, missing.err);
    BOOST_TEST(missing.err.find("10000") != std::string::npos, missing.err);
    auto wrong_token = e.suppressions(args + " list", "CLOUDFLARE_API_TOKEN=wrong-SECRET");
    BOOST_TEST(wrong_token.status == 1);
    check_one_line_without_secret(wrong_token);
    BOOST_TEST(wrong_token.err.find("401") != std::string::npos, wrong_token.err);
    auto escaped = e.suppressions(suppression_args(e, "fault-escape-x") + " get some-id");
    BOOST_TEST(escaped.status == 1);
    check_one_line_without_secret(escaped);
    BOOST_TEST(terminal_safe(escaped.err), escaped.err);
    BOOST_TEST(escaped.err.find("\\x1b[31mred\\x1b[0m") != std::string::npos, escaped.err);

    // 3: nothing listens, or the answer cannot be read.
    auto refused = e.suppressions(nowhere + " --max-retries 0 list");
    BOOST_TEST(refused.status == 3);
    check_one_line_without_secret(refused);
    auto wrong_shape = e.suppressions(suppression_args(e, "fault-wrongshape-x") + " list");
    BOOST_TEST(wrong_shape.status == 3);
    check_one_line_without_secret(wrong_shape);

    auto help = e.suppressions("--help", "", false);
    BOOST_TEST(help.status == 0);
    BOOST_TEST(help.out.find("import") != std::string::npos);
    auto version = e.suppressions("--version", "", false);
    BOOST_TEST(version.status == 0);
    BOOST_TEST(version.out.find("cfmail-suppressions") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(emulator_rejects_bad_command_lines) {
    for (const std::string args :
         {"--listen 127.0.0.1:70000", "--listen 127.0.0.1:65536", "--listen 127.0.0.1:-1",
          "--listen 127.0.0.1:99999999999999999999", "--listen 127.0.0.1:http",
          "--listen 127.0.0.1:", "--listen 127.0.0.1", "--listen not-an-address:8080",
          "--read-timeout 0", "--read-timeout 0.0001", "--read-timeout nan", "--max-connections 0",
          "--max-connections 10001"}) {
        auto r = run_emulator(args);
        BOOST_TEST(r.status == 2, args << ": " << r.err);
        BOOST_TEST(r.out.find("listening") == std::string::npos, args);
        BOOST_TEST(r.err.find("cfmail-emulator:") != std::string::npos, args << ": " << r.err);
    }
}

BOOST_AUTO_TEST_CASE(emulator_read_timeout_ends_slow_and_idle_connections) {
    emulator_process e(false, {"--read-timeout", "1"});
    // A header begun and never finished.
    raw_connection partial(e.port());
    auto r = partial.exchange(post_head, 5s);
    BOOST_TEST(r.closed);
    BOOST_TEST(r.after.count() < 3000);

    // A header that trickles in a byte every 100 ms, each byte well within any per-read
    // timeout: the deadline covers the whole request.
    raw_connection slow(e.port());
    const std::string header = "GET /_emulator/stats HTTP/1.1\r\nX-Slow: " + std::string(60, 'a');
    auto t = slow.trickle(header, 100ms, 6s);
    BOOST_TEST(t.closed);
    BOOST_TEST(t.after.count() < 3000);
    BOOST_TEST(t.sent < header.size());

    // A body announced and never sent whole.
    raw_connection body(e.port());
    auto b = body.exchange(post_head + "Content-Length: 100\r\n\r\n{\"from\":", 5s);
    BOOST_TEST(b.closed);
    BOOST_TEST(b.after.count() < 3000);
    BOOST_TEST(b.received.empty());

    // An idle keep-alive connection, after an answer.
    raw_connection idle(e.port());
    auto k = idle.exchange(stats_request, 5s);
    BOOST_TEST(starts_with(k.received, "HTTP/1.1 200"), k.received);
    BOOST_TEST(k.closed);
    BOOST_TEST(k.after.count() < 3000);
    BOOST_TEST(e.stats().first == 0);

    // Over TLS, the handshake is under the same deadline: no ClientHello, or half of one.
    emulator_process tls(true, {"--read-timeout", "1"});
    raw_connection silent(tls.port());
    auto s = silent.exchange({}, 5s);
    BOOST_TEST(s.closed);
    BOOST_TEST(s.after.count() < 3000);
    raw_connection half_hello(tls.port());
    auto h = half_hello.exchange(std::string("\x16\x03\x01\x02\x00\x01\x00", 7), 5s);
    BOOST_TEST(h.closed);
    BOOST_TEST(h.after.count() < 3000);
}

BOOST_AUTO_TEST_CASE(emulator_refuses_framing_it_cannot_read_safely) {
    emulator_process e(false);
    // Chunked as the last coding is read as such: the control case.
    raw_connection good(e.port());
    auto g = good.exchange(post_head + "Transfer-Encoding: chunked\r\n\r\n" +
                               hex(valid_body.size()) + "\r\n" + valid_body + "\r\n0\r\n\r\n",
                           5s, "}");
    BOOST_TEST(starts_with(g.received, "HTTP/1.1 200"), g.received);

    // Another last coding: 400 and the connection closed, the body never taken for a request.
    for (const std::string te : {"gzip", "chunked, gzip", "chunked\r\nTransfer-Encoding: gzip",
                                 "chunked, chunked", "x y, chunked"}) {
        raw_connection c(e.port());
        auto r = c.exchange(post_head + "Transfer-Encoding: " + te + "\r\n\r\n" +
                                hex(valid_body.size()) + "\r\n" + valid_body + "\r\n0\r\n\r\n",
                            5s);
        BOOST_TEST(starts_with(r.received, "HTTP/1.1 400"), te << ": " << r.received);
        BOOST_TEST(answers_in(r.received) == 1, te << ": " << r.received);
        BOOST_TEST(r.closed, te);
    }
    raw_connection plain_gzip(e.port());
    auto pg = plain_gzip.exchange(post_head + "Transfer-Encoding: gzip\r\n\r\n" + valid_body, 5s);
    BOOST_TEST(starts_with(pg.received, "HTTP/1.1 400"), pg.received);
    BOOST_TEST(answers_in(pg.received) == 1, pg.received);
    BOOST_TEST(pg.closed);

    // A 1 MiB chunk extension, a 1 MiB trailer: refused once the bounded read buffer is full,
    // never buffered whole, never handled.
    const std::string mib(1024 * 1024, 'a');
    raw_connection extension(e.port());
    auto x = extension.exchange(post_head + "Transfer-Encoding: chunked\r\n\r\n" +
                                    hex(valid_body.size()) + ";ext=" + mib + "\r\n" + valid_body +
                                    "\r\n0\r\n\r\n",
                                5s);
    BOOST_TEST(starts_with(x.received, "HTTP/1.1 413"), x.received.substr(0, 200));
    BOOST_TEST(x.closed);
    raw_connection trailer(e.port());
    auto tr =
        trailer.exchange(post_head + "Transfer-Encoding: chunked\r\n\r\n" + hex(valid_body.size()) +
                             "\r\n" + valid_body + "\r\n0\r\nX-Trailer: " + mib + "\r\n\r\n",
                         5s);
    BOOST_TEST(starts_with(tr.received, "HTTP/1.1 413"), tr.received.substr(0, 200));
    BOOST_TEST(tr.closed);
    // A header over the limit.
    raw_connection big_header(e.port());
    auto bh = big_header.exchange(post_head + "X-Big: " + std::string(100 * 1024, 'a') +
                                      "\r\nContent-Length: 2\r\n\r\n{}",
                                  5s);
    BOOST_TEST(starts_with(bh.received, "HTTP/1.1 431"), bh.received.substr(0, 200));
    BOOST_TEST(bh.closed);

    // Only the control request reached the API.
    BOOST_TEST(e.stats().first == 1);
    BOOST_TEST(e.stored().size() == 1u);
}

BOOST_AUTO_TEST_CASE(emulator_bounds_its_connections) {
    emulator_process e(false, {"--max-connections", "4", "--read-timeout", "3"});
    std::vector<std::unique_ptr<raw_connection>> held;
    for (int i = 0; i < 4; ++i)
        held.push_back(std::make_unique<raw_connection>(e.port()));
    std::this_thread::sleep_for(200ms);
    // A fifth waits to be accepted while four are open, and is served once one closes.
    raw_connection fifth(e.port());
    auto waiting = fifth.exchange(stats_request, 500ms);
    BOOST_TEST(waiting.received.empty(), waiting.received);
    BOOST_TEST(!waiting.closed);
    held.pop_back();
    auto served = fifth.exchange({}, 2s, "}");
    BOOST_TEST(starts_with(served.received, "HTTP/1.1 200"), served.received);
    held.clear();

    // Far more connections than the bound, then gone: the emulator survives and answers.
    std::vector<std::unique_ptr<raw_connection>> flood;
    for (int i = 0; i < 200; ++i)
        flood.push_back(std::make_unique<raw_connection>(e.port()));
    std::this_thread::sleep_for(300ms);
    flood.clear();
    raw_connection after(e.port());
    auto a = after.exchange(stats_request, 10s, "}");
    BOOST_TEST(starts_with(a.received, "HTTP/1.1 200"), a.received);
    BOOST_TEST(e.stop() == 0);
}

BOOST_AUTO_TEST_CASE(help_version_and_clean_stop) {
    emulator_process e;
    auto help = e.send("--help", "", false);
    BOOST_TEST(help.status == 0);
    BOOST_TEST(help.out.find("--account") != std::string::npos);
    auto version = e.send("--version", "", false);
    BOOST_TEST(version.status == 0);
    BOOST_TEST(version.out.find("cfmail-send") != std::string::npos);
    BOOST_TEST(e.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_cli_test
