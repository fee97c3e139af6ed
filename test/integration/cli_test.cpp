// cfmail-send against cfmail-emulator over TLS, as separate processes: every exit code, and a
// byte-exact round trip.
#include "processes.hpp"

#include <algorithm>
#include <random>

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
