// The example programs as child processes: cfmail-emulator (over TLS or plain HTTP),
// cfmail-send and cfmail-suppressions. Their paths come from CFMAIL_EMULATOR, CFMAIL_SEND and
// CFMAIL_SUPPRESSIONS.
#ifndef CFMAIL_TEST_PROCESSES_HPP
#define CFMAIL_TEST_PROCESSES_HPP

#include "test_server.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace cfmail_test {

namespace fs = std::filesystem;

inline std::string program(const char* variable) {
    const char* path = std::getenv(variable);
    BOOST_TEST_REQUIRE(path != nullptr, variable << " must name the program to test");
    return path;
}

inline std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

inline void write_file(const fs::path& p, const std::string& data) {
    std::ofstream out(p, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

struct run_result {
    int status = -1;
    std::string out;
    std::string err;
};

// The emulator in a child process, over TLS with a fresh certificate or over plain HTTP on
// 127.0.0.1, storing into a fresh maildir; `extra` is added to its command line.
class emulator_process {
public:
    explicit emulator_process(bool tls = true, const std::vector<std::string>& extra = {})
        : dir_(fs::temp_directory_path() / ("cfmail-emulator-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(next_id()))) {
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "mail");
        cert_ = certificate::make("localhost", "DNS:localhost,IP:127.0.0.1");
        const auto out_file = dir_ / "emulator.out";
        const std::string exe = program("CFMAIL_EMULATOR");
        const std::string mail = (dir_ / "mail").string();
        std::vector<std::string> args{exe, "--listen", "127.0.0.1:0"};
        if (tls)
            args.insert(args.end(), {"--tls-cert", cert_.cert_file, "--tls-key", cert_.key_file});
        args.insert(args.end(), {"--maildir", mail, "--token", "cli-SECRET-token"});
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            std::freopen(out_file.c_str(), "w", stdout);
            std::freopen((dir_ / "emulator.err").c_str(), "w", stderr);
            ::execv(exe.c_str(), argv.data());
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

    // A sanitizer's report or a crash in the emulator fails the test that ran it.
    ~emulator_process() {
        const bool running = pid_ > 0;
        const int status = stop();
        if (running) {
            const auto err = read_file(dir_ / "emulator.err");
            BOOST_TEST(status == 0, "cfmail-emulator exited with " << status << ": " << err);
            BOOST_TEST(err.find("Sanitizer") == std::string::npos, err);
            BOOST_TEST(err.find("runtime error:") == std::string::npos, err);
        }
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
    unsigned short port() const {
        return static_cast<unsigned short>(std::stoi(base_url_.substr(base_url_.rfind(':') + 1)));
    }

    // `GET /_emulator/stats`, over TLS when the emulator uses it: {requests, accepted}.
    std::pair<int, int> stats() const {
        auto json = stats_object();
        return {static_cast<int>(json.at("requests").as_int64()),
                static_cast<int>(json.at("accepted").as_int64())};
    }

    // Waits (bounded) until the emulator has closed `n` connections after answering: the
    // close has then been sent, and a client on 127.0.0.1 sees it at its next look.
    void wait_for_closes(int n) const {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (stats_object().at("closed_after_answer").as_int64() < n) {
            BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < give_up),
                               "the emulator did not close " << n << " connections");
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }

    boost::json::object stats_object() const {
        asio::io_context ioc;
        tcp::socket socket(ioc);
        socket.connect({asio::ip::make_address("127.0.0.1"), port()});
        http::request<http::empty_body> req{http::verb::get, "/_emulator/stats", 11};
        req.set(http::field::host, "127.0.0.1");
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        if (base_url_.rfind("https:", 0) == 0) {
            asio::ssl::context tls(asio::ssl::context::tls_client);
            tls.add_certificate_authority(asio::buffer(cert_.pem));
            tls.set_verify_mode(asio::ssl::verify_peer);
            asio::ssl::stream<tcp::socket&> stream(socket, tls);
            stream.handshake(asio::ssl::stream_base::client);
            http::write(stream, req);
            http::read(stream, buffer, res);
        } else {
            http::write(socket, req);
            http::read(socket, buffer, res);
        }
        return boost::json::parse(res.body()).as_object();
    }
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
        return run("CFMAIL_SEND", args, env, with_ca);
    }

    // Runs cfmail-suppressions the same way.
    run_result suppressions(const std::string& args,
                            const std::string& env = "CLOUDFLARE_API_TOKEN=cli-SECRET-token",
                            bool with_ca = true) const {
        return run("CFMAIL_SUPPRESSIONS", args, env, with_ca);
    }

    // Runs the program that `variable` names with `args`, `--ca-file` last unless told not to
    // (so `args` must not end the options with `--`).
    run_result run(const char* variable, const std::string& args, const std::string& env,
                   bool with_ca) const {
        const std::string cmd =
            "env -u CLOUDFLARE_API_TOKEN -u CLOUDFLARE_EMAIL -u CLOUDFLARE_API_KEY "
            "-u CLOUDFLARE_ACCOUNT_ID -u CLOUDFLARE_BASE_URL -u https_proxy -u HTTPS_PROXY "
            "-u no_proxy -u NO_PROXY " +
            env + " timeout 60 " + quote(program(variable)) + " " + args +
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
    static int next_id() {
        static int id = 0;
        return id++;
    }

    fs::path dir_;
    certificate cert_;
    pid_t pid_ = -1;
    std::string base_url_;
    mutable int counter_ = 0;
};

} // namespace cfmail_test

#endif
