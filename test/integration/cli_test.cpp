// cfmail-send against cfmail-emulator over TLS, as separate processes: every exit code, and a
// byte-exact round trip. The paths of the programs come from CFMAIL_SEND and CFMAIL_EMULATOR.
#include "test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>

using namespace cfmail_test;
namespace fs = std::filesystem;

namespace {

std::string program(const char* variable) {
    const char* path = std::getenv(variable);
    BOOST_TEST_REQUIRE(path != nullptr, variable << " must name the program to test");
    return path;
}

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const fs::path& p, const std::string& data) {
    std::ofstream out(p, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

struct run_result {
    int status = -1;
    std::string out;
    std::string err;
};

// The emulator over TLS in a child process, with a fresh certificate and maildir.
class emulator_process {
public:
    emulator_process()
        : dir_(fs::temp_directory_path() / ("cfmail-cli-" + std::to_string(::getpid()))) {
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "mail");
        cert_ = certificate::make("localhost", "DNS:localhost,IP:127.0.0.1");
        const auto out_file = dir_ / "emulator.out";
        const std::string exe = program("CFMAIL_EMULATOR");
        const std::string mail = (dir_ / "mail").string();
        pid_ = ::fork();
        if (pid_ == 0) {
            std::freopen(out_file.c_str(), "w", stdout);
            std::freopen((dir_ / "emulator.err").c_str(), "w", stderr);
            ::execl(exe.c_str(), exe.c_str(), "--listen", "127.0.0.1:0", "--tls-cert",
                    cert_.cert_file.c_str(), "--tls-key", cert_.key_file.c_str(), "--maildir",
                    mail.c_str(), "--token", "cli-SECRET-token", static_cast<char*>(nullptr));
            std::_Exit(127);
        }
        for (int i = 0; i < 200 && base_url_.empty(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            std::istringstream lines(read_file(out_file));
            std::string line;
            if (std::getline(lines, line) && line.rfind("listening on ", 0) == 0)
                base_url_ = line.substr(13);
        }
        if (base_url_.empty())
            stop();
        BOOST_TEST_REQUIRE(!base_url_.empty(), "the emulator did not start");
    }

    ~emulator_process() {
        stop();
        fs::remove_all(dir_);
    }

    // Stops with SIGTERM and returns the exit status (-1 when not running).
    int stop() {
        if (pid_ <= 0) // kill(-1, ...) would signal every process
            return -1;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    const std::string& base_url() const { return base_url_; }
    const certificate& cert() const { return cert_; }
    const fs::path& dir() const { return dir_; }

    std::vector<fs::path> stored() const {
        std::vector<fs::path> out;
        for (const auto& entry : fs::directory_iterator(dir_ / "mail")) {
            if (entry.path().extension() == ".eml")
                out.push_back(entry.path());
        }
        return out;
    }

    // Runs cfmail-send with `args` (and the CA file unless told not to), bounded in time.
    run_result send(const std::string& args,
                    const std::string& env = "CLOUDFLARE_API_TOKEN=cli-SECRET-token",
                    bool with_ca = true) const {
        const std::string cmd =
            "env -u CLOUDFLARE_API_TOKEN -u CLOUDFLARE_EMAIL -u CLOUDFLARE_API_KEY "
            "-u CLOUDFLARE_ACCOUNT_ID -u CLOUDFLARE_BASE_URL " +
            env + " timeout 60 " + quote(program("CFMAIL_SEND")) + " " + args +
            (with_ca ? " --ca-file " + quote(cert_.cert_file) : "") + " >" +
            quote((dir_ / "send.out").string()) + " 2>" + quote((dir_ / "send.err").string());
        run_result r;
        const int raw = std::system(cmd.c_str());
        r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        r.out = read_file(dir_ / "send.out");
        r.err = read_file(dir_ / "send.err");
        return r;
    }

    std::string message_file(const std::string& content) const {
        const auto p = dir_ / ("message-" + std::to_string(counter_++) + ".eml");
        write_file(p, content);
        return p.string();
    }

private:
    fs::path dir_;
    certificate cert_;
    pid_t pid_ = -1;
    std::string base_url_;
    mutable int counter_ = 0;
};

const std::string hello =
    "From: sender@example.com\r\nTo: recipient@example.com\r\nSubject: Hi\r\n\r\nHello\r\n";

std::string common_args(const emulator_process& e,
                        const std::string& account = "023e105f4ecef8ad9ca31a8372d0c353") {
    return "--account " + quote(account) + " --from sender@example.com --base-url " +
           quote(e.base_url() + "/");
}

void check_one_line_without_secret(const run_result& r) {
    BOOST_TEST(r.out.empty());
    BOOST_TEST(!r.err.empty());
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    BOOST_TEST(r.err.find("SECRET") == std::string::npos);
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

    auto success_false =
        e.send(common_args(e, "fault-successfalse-1") + " --to r@example.com " + quote(file));
    BOOST_TEST(success_false.status == 1);
    check_one_line_without_secret(success_false);
    BOOST_TEST(e.stored().empty());
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
          nowhere + " --to r@example.com --unknown-option " + quote(good),
          nowhere + " --to r@example.com --ca-file /nonexistent.pem " + quote(good)}) {
        auto r = e.send(args, "CLOUDFLARE_API_TOKEN=cli-SECRET-token", false);
        BOOST_TEST(r.status == 2, args << ": " << r.err);
        check_one_line_without_secret(r);
    }
    auto no_credentials = e.send(nowhere + " --to r@example.com " + quote(good), "", false);
    BOOST_TEST(no_credentials.status == 2, no_credentials.err);
    BOOST_TEST(e.stored().empty());
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
