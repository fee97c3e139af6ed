// HTTPS through an HTTP proxy: tinyproxy from Debian, started on 127.0.0.1 by the test, with and
// without Basic authentication; a small CONNECT server of the test's own for the faults
// tinyproxy cannot make (407, a 502, a tunnel closed at once); NO_PROXY; and cfmail-send's
// --proxy, --no-proxy and environment.
#include "processes.hpp"
#include "test_server.hpp"
#include "trusting.hpp"

#include <cfmail.hpp>
#include <cfmail/https_client.hpp>
#include <cfmail/testing/mock_transport.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// The file's names in a namespace of their own: the build may compile test files together.
namespace integration_proxy_test {

using namespace cfmail_test;
using namespace std::chrono_literals;

namespace {

const std::string ok_answer = cfmail::testing::mock_transport::success_body(
    cfmail::send_raw_result{.delivered = {"recipient@example.com"}});

const certificate& server_cert() {
    static const certificate c = certificate::make("localhost", "DNS:localhost,IP:127.0.0.1");
    return c;
}

cfmail::send_raw_request a_message() {
    return {"023e105f4ecef8ad9ca31a8372d0c353",
            "sender@example.com",
            {"recipient@example.com"},
            "From: sender@example.com\r\nTo: recipient@example.com\r\nSubject: Hi\r\n\r\nHi\r\n"};
}

reply ok() {
    reply r;
    r.body = ok_answer;
    return r;
}

unsigned short free_port() {
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

// tinyproxy in a child process, in the foreground, logging every CONNECT it serves.
class tinyproxy_process {
public:
    explicit tinyproxy_process(const std::string& user = "", const std::string& password = "")
        : dir_(fs::temp_directory_path() /
               ("cfmail-tinyproxy-" + std::to_string(::getpid()) + "-" + std::to_string(next()))) {
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        // The port is free when chosen, but another process may take it before tinyproxy
        // binds it: then tinyproxy exits, and another port is tried.
        std::string err_path;
        for (int round = 0; round < 5 && !accepting(); ++round)
            err_path = start(user, password);
        BOOST_TEST_REQUIRE(accepting(), "tinyproxy did not start (test/run.sh installs "
                                        "tinyproxy-bin): "
                                            << read_file(err_path));
    }

    ~tinyproxy_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        fs::remove_all(dir_);
    }

    unsigned short port() const { return port_; }
    std::string url(const std::string& userinfo = "") const {
        return "http://" + (userinfo.empty() ? "" : userinfo + "@") +
               "127.0.0.1:" + std::to_string(port_);
    }
    std::string log() const { return read_file(dir_ / "tinyproxy.log"); }

private:
    static int next() {
        static int n = 0;
        return n++;
    }
    // Starts tinyproxy on a fresh port; returns the file its output goes to.
    std::string start(const std::string& user, const std::string& password) {
        port_ = free_port();
        std::string conf = "Port " + std::to_string(port_) +
                           "\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nAllow 127.0.0.1\n"
                           "LogLevel Connect\nLogFile \"" +
                           (dir_ / "tinyproxy.log").string() + "\"\n";
        if (!user.empty())
            conf += "BasicAuth " + user + " " + password + "\n";
        write_file(dir_ / "tinyproxy.conf", conf);
        const std::string conf_path = (dir_ / "tinyproxy.conf").string();
        const std::string err_path = (dir_ / "tinyproxy.err").string();
        pid_ = ::fork();
        if (pid_ == 0) {
            // dup2, not freopen: freopen would flush this process's buffered output twice.
            const int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execlp("tinyproxy", "tinyproxy", "-d", "-c", conf_path.c_str(), nullptr);
            std::_Exit(127);
        }
        for (int i = 0; i < 200 && !accepting(); ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) { // it exited: the port was taken
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(25ms);
        }
        return err_path;
    }
    bool accepting() const {
        asio::io_context ioc;
        tcp::socket socket(ioc);
        boost::system::error_code ec;
        socket.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
        return !ec;
    }

    fs::path dir_;
    unsigned short port_ = 0;
    pid_t pid_ = -1;
};

// A CONNECT server that answers every request with `answer`, then closes: the faults a real
// proxy does not make on demand.
// Reads one request head per connection and writes `answer`; an empty answer means none: the
// connection is held open, silent, until the proxy is destroyed.
class fake_proxy {
public:
    explicit fake_proxy(std::string answer)
        : answer_(std::move(answer)) {
        acceptor_.open(tcp::v4());
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~fake_proxy() {
        ioc_.stop();
        thread_.join();
    }
    std::string url(const std::string& userinfo = "") const {
        return "http://" + (userinfo.empty() ? "" : userinfo + "@") +
               "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    std::vector<std::string> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] =
                co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            asio::co_spawn(ioc_, serve(std::move(socket)), asio::detached);
        }
    }
    asio::awaitable<void> serve(tcp::socket socket) {
        asio::streambuf buffer;
        auto [ec, n] = co_await asio::async_read_until(socket, buffer, "\r\n\r\n",
                                                       asio::as_tuple(asio::use_awaitable));
        if (ec)
            co_return;
        {
            std::lock_guard lock(mutex_);
            requests_.emplace_back(asio::buffers_begin(buffer.data()),
                                   asio::buffers_begin(buffer.data()) + static_cast<long>(n));
        }
        if (answer_.empty()) {
            char byte;
            co_await asio::async_read(socket, asio::buffer(&byte, 1),
                                      asio::as_tuple(asio::use_awaitable));
            co_return;
        }
        co_await asio::async_write(socket, asio::buffer(answer_),
                                   asio::as_tuple(asio::use_awaitable));
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
    }

    std::string answer_;
    asio::io_context ioc_;
    tcp::acceptor acceptor_{ioc_};
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

cfmail::client_options fast_options(const test_server& server) {
    cfmail::client_options o;
    o.base_url = server.base_url();
    o.retry.initial_backoff = 5ms;
    o.retry.max_backoff = 10ms;
    return o;
}

cfmail::https_options through(const std::string& proxy_url, const std::string& no_proxy = "") {
    cfmail::https_options https = trusting(server_cert());
    https.proxy = proxy_url;
    https.proxy.no_proxy = no_proxy;
    return https;
}

struct attempt {
    boost::system::error_code ec;
    cfmail::diagnostics diag;
};

attempt send_through(const test_server& server, const cfmail::https_options& https) {
    cfmail::blocking_client client(cfmail::blocking_https_transport(https),
                                   cfmail::api_token{"proxy-test-token"}, fast_options(server));
    attempt out;
    client.send_raw(a_message(), out.ec, out.diag);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(proxy)

BOOST_AUTO_TEST_CASE(tls_runs_through_a_tinyproxy_tunnel_to_the_real_host) {
    test_server server([](const request&, int) { return ok(); }, &server_cert());
    tinyproxy_process tinyproxy;
    auto out = send_through(server, through(tinyproxy.url()));
    BOOST_TEST(!out.ec, out.ec.message() << " / " << out.diag);
    const std::string authority = "127.0.0.1:" + std::to_string(server.port());
    BOOST_TEST(tinyproxy.log().find("CONNECT " + authority) != std::string::npos, tinyproxy.log());
    auto received = server.received();
    BOOST_TEST_REQUIRE(received.size() == 1u);
    BOOST_TEST(received[0]["Host"] == authority);
    BOOST_TEST(received[0]["Authorization"] == "Bearer proxy-test-token");

    // The pool tunnels each of its connections the same way, from a coroutine.
    asio::io_context ioc;
    cfmail::pool_options pool;
    pool.max_connections = 2;
    pool.https = through(tinyproxy.url());
    cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                 cfmail::api_token{"proxy-test-token"}, fast_options(server));
    int delivered = 0, completed = 0;
    const auto req = a_message();
    for (int i = 0; i < 4; ++i)
        client.async_send_raw(req, [&](std::exception_ptr e, auto) {
            delivered += e ? 0 : 1;
            if (++completed == 4)
                client.transport().close(); // the idle timer would hold run() for 30 s
        });
    ioc.run_for(30s);
    BOOST_TEST(delivered == 4);
    BOOST_TEST(server.requests() == 5);
}

BOOST_AUTO_TEST_CASE(basic_authentication_goes_to_the_proxy_only) {
    test_server server([](const request&, int) { return ok(); }, &server_cert());
    tinyproxy_process tinyproxy("alice", "Pr0xyPass");
    auto good = send_through(server, through(tinyproxy.url("alice:Pr0xyPass")));
    BOOST_TEST(!good.ec, good.ec.message() << " / " << good.diag);
    auto received = server.received();
    BOOST_TEST_REQUIRE(received.size() == 1u);
    BOOST_TEST(received[0].count("Proxy-Authorization") == 0u); // never past the proxy

    // Refused credentials: nothing sent, not repeated, the proxy's status in diagnostics and
    // the password nowhere.
    auto refused = send_through(server, through(tinyproxy.url("alice:Wr0ngPass")));
    BOOST_TEST(refused.ec == cfmail::error::proxy_refused);
    BOOST_TEST((refused.diag.proxy_status == 401u || refused.diag.proxy_status == 407u));
    BOOST_TEST(refused.diag.attempts == 1u);
    BOOST_TEST(!cfmail::may_have_been_sent(refused.ec, refused.diag));
    BOOST_TEST(
        (cfmail::what_now(refused.ec, refused.diag).step == cfmail::next_step::fix_configuration));
    const std::string text = refused.ec.message() + " " + refused.diag.to_string();
    BOOST_TEST(text.find(std::to_string(refused.diag.proxy_status)) != std::string::npos, text);
    BOOST_TEST(text.find("Wr0ngPass") == std::string::npos, text);
    BOOST_TEST(server.requests() == 1);
}

BOOST_AUTO_TEST_CASE(no_proxy_names_the_hosts_reached_directly) {
    test_server server([](const request&, int) { return ok(); }, &server_cert());
    const std::string unreachable_proxy = "http://127.0.0.1:" + std::to_string(closed_port());
    // Named by NO_PROXY (a host, an address, a range, with the port): direct.
    for (const std::string& list :
         std::vector<std::string>{"127.0.0.1", "localhost, 127.0.0.0/8", "*",
                                  "127.0.0.1:" + std::to_string(server.port())}) {
        auto out = send_through(server, through(unreachable_proxy, list));
        BOOST_TEST(!out.ec, list << ": " << out.ec.message() << " / " << out.diag);
    }
    // Not named (another port, another host), loopback included: through the proxy, which
    // cannot be reached. Nothing was sent, so every attempt was made.
    for (const std::string list : {"", "example.com", "127.0.0.1:1"}) {
        auto out = send_through(server, through(unreachable_proxy, list));
        BOOST_TEST(out.ec == asio::error::connection_refused, list << ": " << out.ec.message());
        BOOST_TEST(out.diag.attempts == 3u);
        BOOST_TEST(!cfmail::may_have_been_sent(out.ec, out.diag));
    }
    BOOST_TEST(server.requests() == 4);
}

// The rules of NO_PROXY, as curl applies them.
BOOST_AUTO_TEST_CASE(no_proxy_lists_match_as_curl_reads_them) {
    cfmail::proxy_options p("http://proxy.example:3128");
    p.no_proxy = " .Example.com, 10.0.0.0/8 ,[::1]:443, localhost:8080, 192.168.1.2, fd00::/8";
    const struct {
        const char* host;
        const char* port;
        bool proxied;
    } rows[] = {
        {"api.cloudflare.com", "443", true},
        {"example.com", "443", false},
        {"a.b.EXAMPLE.com", "443", false},
        {"badexample.com", "443", true},
        {"example.com.", "443", false},
        {"10.1.2.3", "443", false},
        {"11.1.2.3", "443", true},
        {"::1", "443", false},
        {"::1", "8443", true},
        {"localhost", "8080", false},
        {"localhost", "443", true},
        {"127.0.0.1", "443", true},
        {"192.168.1.2", "1", false},
        {"192.168.1.20", "1", true},
        {"fd12::1", "443", false},
        {"fe80::1", "443", true},
    };
    for (const auto& row : rows)
        BOOST_TEST(p.applies_to(row.host, row.port) == row.proxied, row.host << ":" << row.port);

    cfmail::proxy_options q("http://proxy.example:3128");
    q.no_proxy = "2.3, 0.0.0.0/0"; // no name matches an address; /0 is no wildcard
    BOOST_TEST(q.applies_to("10.1.2.3", "443"));
    q.no_proxy = "example.com, *"; // `*` is a wildcard alone only
    BOOST_TEST(q.applies_to("api.cloudflare.com", "443"));
    q.no_proxy = " * ";
    BOOST_TEST(!q.applies_to("api.cloudflare.com", "443"));
    q.url.clear();
    q.no_proxy.clear();
    BOOST_TEST(!q.applies_to("api.cloudflare.com", "443")); // no proxy at all
}

// The environment, as curl reads it: the lower-case variable first, even when empty. Run
// while no other thread of this process runs (setenv is not thread-safe), restoring what was
// there.
BOOST_AUTO_TEST_CASE(the_environment_is_read_as_curl_reads_it) {
    const char* names[] = {"https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"};
    std::vector<std::optional<std::string>> saved;
    for (const char* name : names) {
        const char* value = std::getenv(name);
        saved.push_back(value ? std::optional<std::string>(value) : std::nullopt);
    }
    auto set = [](const char* name, const char* value) {
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    };
    set("HTTPS_PROXY", "http://upper.example:3128");
    set("https_proxy", "http://lower.example:3128");
    set("NO_PROXY", ".internal.example");
    set("no_proxy", nullptr);
    const auto both = cfmail::proxy_options::from_environment();
    set("https_proxy", "");
    const auto emptied = cfmail::proxy_options::from_environment();
    set("https_proxy", nullptr);
    const auto upper = cfmail::proxy_options::from_environment();
    set("HTTPS_PROXY", nullptr);
    const auto none = cfmail::proxy_options::from_environment();
    for (std::size_t i = 0; i < saved.size(); ++i)
        set(names[i], saved[i] ? saved[i]->c_str() : nullptr);

    BOOST_TEST(both.url == "http://lower.example:3128");
    BOOST_TEST(both.no_proxy == ".internal.example");
    BOOST_TEST(!both.applies_to("mail.internal.example", "443"));
    BOOST_TEST(!both.applies_to("internal.example", "443"));
    BOOST_TEST(both.applies_to("api.cloudflare.com", "443"));
    BOOST_TEST(both.applies_to("127.0.0.1", "443")); // loopback too, unless named
    BOOST_TEST(emptied.url.empty()); // set but empty: no proxy, HTTPS_PROXY not read
    BOOST_TEST(upper.url == "http://upper.example:3128");
    BOOST_TEST(none.url.empty());
}

// What tinyproxy does not do on demand: a 407 with a challenge, a failing gateway (retried,
// nothing sent), a tunnel closed as soon as it opens (nothing sent either).
BOOST_AUTO_TEST_CASE(faults_of_a_proxy_fail_before_anything_is_written) {
    test_server server([](const request&, int) { return ok(); }, &server_cert());
    {
        fake_proxy proxy("HTTP/1.1 407 Proxy Authentication Required\r\n"
                         "Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n");
        auto out = send_through(server, through(proxy.url("us%40er:p%3Ass%20word")));
        BOOST_TEST(out.ec == cfmail::error::proxy_refused);
        BOOST_TEST(out.diag.proxy_status == 407u);
        BOOST_TEST(out.diag.attempts == 1u);
        auto requests = proxy.requests();
        BOOST_TEST_REQUIRE(requests.size() == 1u);
        const std::string authority = "127.0.0.1:" + std::to_string(server.port());
        BOOST_TEST(requests[0].rfind("CONNECT " + authority + " HTTP/1.1\r\n", 0) == 0u,
                   requests[0]);
        // base64("us@er:p:ss word"): the user and password percent-decoded.
        BOOST_TEST(requests[0].find("\r\nProxy-Authorization: Basic dXNAZXI6cDpzcyB3b3Jk\r\n") !=
                       std::string::npos,
                   requests[0]);
        BOOST_TEST(requests[0].find("proxy-test-token") == std::string::npos);
        BOOST_TEST(out.diag.to_string().find("word") == std::string::npos);
    }
    {
        fake_proxy proxy("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        auto out = send_through(server, through(proxy.url()));
        BOOST_TEST(out.ec == cfmail::error::proxy_refused);
        BOOST_TEST(out.diag.proxy_status == 502u);
        BOOST_TEST(out.diag.attempts == 3u); // a failing gateway may recover: retried
        BOOST_TEST(!cfmail::may_have_been_sent(out.ec, out.diag));
        BOOST_TEST((cfmail::what_now(out.ec, out.diag).step == cfmail::next_step::retry_later));
        BOOST_TEST(proxy.requests().size() == 3u);
        BOOST_TEST(proxy.requests()[0].find("Proxy-Authorization") == std::string::npos);
    }
    {
        fake_proxy proxy("HTTP/1.1 200 Connection established\r\n\r\n");
        auto out = send_through(server, through(proxy.url()));
        BOOST_TEST(out.ec);
        BOOST_TEST(out.ec != cfmail::error::proxy_refused);
        BOOST_TEST(out.diag.attempts == 3u);
        BOOST_TEST(!cfmail::may_have_been_sent(out.ec, out.diag));
    }
    { // a proxy that never answers the CONNECT: connect_timeout ends each attempt
        fake_proxy proxy("");
        auto https = through(proxy.url());
        https.connect_timeout = 200ms;
        https.attempt_timeout = 30s;
        const auto started = std::chrono::steady_clock::now();
        auto out = send_through(server, https);
        BOOST_TEST(out.ec == boost::asio::error::timed_out, out.ec.message());
        BOOST_TEST(out.diag.attempts == 3u); // nothing was written: retried
        BOOST_TEST(!cfmail::may_have_been_sent(out.ec, out.diag));
        BOOST_TEST(proxy.requests().size() == 3u);
        BOOST_TEST((std::chrono::steady_clock::now() - started < 10s)); // not attempt_timeout
    }
    { // interim answers are read past: the refusal after them is what counts
        fake_proxy proxy("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                         "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
        auto out = send_through(server, through(proxy.url()));
        BOOST_TEST(out.ec == cfmail::error::proxy_refused);
        BOOST_TEST(out.diag.proxy_status == 407u);
    }
    // No HTTP answer a proxy gives: a head over the cap, bytes after a 2xx, another protocol,
    // a page without a status line. Refused, not repeated, and certainly not "maybe sent".
    for (const std::string& answer :
         {"HTTP/1.1 200 OK\r\nX-Filler: " + std::string(70 * 1024, 'a') + "\r\n\r\n",
          std::string("HTTP/1.1 200 Connection established\r\n\r\nstray bytes"),
          std::string("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n"),
          std::string("<html><body>Blocked by policy</body></html>\r\n\r\n")}) {
        fake_proxy proxy(answer);
        auto out = send_through(server, through(proxy.url()));
        BOOST_TEST(out.ec == cfmail::error::proxy_refused);
        BOOST_TEST(out.diag.proxy_status == 0u);
        BOOST_TEST(out.diag.attempts == 1u);
        BOOST_TEST(!cfmail::may_have_been_sent(out.ec, out.diag));
    }
    BOOST_TEST(server.requests() == 0);

    // A proxy URL that cannot be used is refused when the transport is made, without its
    // password in the message.
    for (const char* url : {"socks5://user:SECRETpw@proxy:1080", "https://user:SECRETpw@proxy",
                            "http://user:SECRETpw@proxy:99999", "http://user:SECRETpw@proxy/x"}) {
        try {
            cfmail::blocking_https_transport transport(through(url));
            BOOST_FAIL("accepted " << url);
        } catch (const std::invalid_argument& e) {
            BOOST_TEST(std::string(e.what()).find("SECRETpw") == std::string::npos, e.what());
        }
    }
}

// A plain-HTTP base URL (a local emulator) never goes through the proxy: in its tunnel the
// token would cross to the proxy in clear, and the request land on the proxy's loopback.
BOOST_AUTO_TEST_CASE(plain_http_is_not_sent_through_the_proxy) {
    test_server server([](const request&, int) { return ok(); });
    fake_proxy proxy("HTTP/1.1 200 Connection established\r\n\r\n");
    auto out = send_through(server, through(proxy.url()));
    BOOST_TEST(!out.ec, out.ec.message());
    BOOST_TEST(server.requests() == 1);
    BOOST_TEST(proxy.requests().empty());
}

BOOST_AUTO_TEST_CASE(cfmail_send_uses_the_environment_and_its_options) {
    emulator_process e;
    tinyproxy_process tinyproxy("alice", "Pr0xyPass");
    const std::string file = e.message_file(
        "From: sender@example.com\r\nTo: recipient@example.com\r\nSubject: Hi\r\n\r\nHi\r\n");
    const std::string args = "--account 023e105f4ecef8ad9ca31a8372d0c353 --from "
                             "sender@example.com --to recipient@example.com --base-url " +
                             quote(e.base_url() + "/") + " --max-retries 1 ";
    const std::string token = "CLOUDFLARE_API_TOKEN=cli-SECRET-token ";

    auto through_option =
        e.send(args + "--proxy " + quote(tinyproxy.url("alice:Pr0xyPass")) + " " + quote(file));
    BOOST_TEST(through_option.status == 0, through_option.err);
    BOOST_TEST(tinyproxy.log().find("CONNECT 127.0.0.1:" + std::to_string(e.port())) !=
               std::string::npos);

    // The environment's proxy, with a password the proxy refuses: exit 3, one line with the
    // proxy's status, never the password.
    auto refused = e.send(args + quote(file),
                          token + "HTTPS_PROXY=" + quote(tinyproxy.url("alice:Wr0ngPass")));
    BOOST_TEST(refused.status == 3, refused.err);
    BOOST_TEST(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
    BOOST_TEST((refused.err.find("HTTP 401") != std::string::npos ||
                refused.err.find("HTTP 407") != std::string::npos),
               refused.err);
    BOOST_TEST(refused.err.find("Wr0ngPass") == std::string::npos, refused.err);
    BOOST_TEST(refused.out.find("Wr0ngPass") == std::string::npos);
    BOOST_TEST(refused.err.find("SECRET") == std::string::npos);

    // --no-proxy ignores the environment; NO_PROXY names the emulator's host.
    const std::string dead_proxy = "http://127.0.0.1:" + std::to_string(closed_port());
    auto direct = e.send(args + "--no-proxy " + quote(file), token + "HTTPS_PROXY=" + dead_proxy);
    BOOST_TEST(direct.status == 0, direct.err);
    auto bypassed =
        e.send(args + quote(file), token + "https_proxy=" + dead_proxy + " no_proxy=127.0.0.1");
    BOOST_TEST(bypassed.status == 0, bypassed.err);
    // --proxy replaces the environment's proxy.
    auto replaced =
        e.send(args + "--proxy " + quote(tinyproxy.url("alice:Pr0xyPass")) + " " + quote(file),
               token + "HTTPS_PROXY=" + dead_proxy);
    BOOST_TEST(replaced.status == 0, replaced.err);

    // An unreachable proxy: exit 3, nothing sent.
    auto unreachable = e.send(args + quote(file), token + "HTTPS_PROXY=" + dead_proxy);
    BOOST_TEST(unreachable.status == 3, unreachable.err);
    // A proxy URL it cannot use, or both options: exit 2, the password never shown.
    auto unusable = e.send(args + "--proxy socks5://u:SECRETpw@h:1 " + quote(file));
    BOOST_TEST(unusable.status == 2, unusable.err);
    BOOST_TEST(unusable.err.find("SECRETpw") == std::string::npos, unusable.err);
    auto both = e.send(args + "--proxy http://h:1 --no-proxy " + quote(file));
    BOOST_TEST(both.status == 2, both.err);
    BOOST_TEST(e.stored().size() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_proxy_test
