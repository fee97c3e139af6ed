// The emulator's request handling, without a server: statuses, codes, routing and storage
// decisions as the API documents them; and how it stores messages.
#include "../../example/emulator/handler.hpp"
#include "../../example/emulator/maildir.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

using namespace cfmail_emulator;

namespace {

const std::string target = "/client/v4/accounts/abc/email/sending/send_raw";
const std::string good_body =
    R"({"from":"s@example.com","recipients":["a@example.com","b@bounce.test","c@queue.test"],)"
    R"("mime_message":"Subject: x\r\n\r\ny"})";

answer call(std::string_view method, std::string_view path, std::string_view body,
            std::string_view authorization = "Bearer any", const settings& s = {}) {
    return handle(s, {method, path, authorization, "", "", body});
}

std::int64_t first_code(const answer& a) {
    return boost::json::parse(a.body).at("errors").at(0).at("code").as_int64();
}

namespace fs = std::filesystem;

// A fresh directory, removed at the end of the test.
struct scratch_dir {
    fs::path path = fs::temp_directory_path() /
                    ("cfmail-maildir-" + std::to_string(::getpid()) + "-" + std::to_string(next()));
    scratch_dir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~scratch_dir() { fs::remove_all(path); }
    static int next() {
        static int n = 0;
        return n++;
    }
    // The names in the directory, sorted.
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& entry : fs::directory_iterator(path))
            out.push_back(entry.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

accepted_message sample_message(std::string stem) {
    accepted_message m;
    m.file_stem = std::move(stem);
    m.message_id = "<" + m.file_stem + "@emulator.cfmail.test>";
    m.account_id = "abc";
    m.from = "s@example.com";
    m.recipients = {"r@example.com"};
    m.mime_message = "Subject: x\r\n\r\ny";
    return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(emulator)

BOOST_AUTO_TEST_CASE(accepts_and_routes_by_domain) {
    auto a = call("POST", target, good_body);
    BOOST_TEST(a.status == 200u);
    BOOST_TEST_REQUIRE(a.stored.has_value());
    BOOST_TEST(a.stored->mime_message == "Subject: x\r\n\r\ny");
    BOOST_TEST(a.stored->file_stem.find_first_not_of("0123456789abcdef") == std::string::npos);
    auto result = boost::json::parse(a.body).at("result");
    BOOST_TEST(result.at("delivered").at(0).as_string() == "a@example.com");
    BOOST_TEST(result.at("permanent_bounces").at(0).as_string() == "b@bounce.test");
    BOOST_TEST(result.at("queued").at(0).as_string() == "c@queue.test");
    BOOST_TEST(result.at("message_id").as_string() == a.stored->message_id);
}

BOOST_AUTO_TEST_CASE(documented_errors) {
    BOOST_TEST(call("POST", "/client/v4/other", good_body).status == 404u);
    BOOST_TEST(first_code(call("POST", "/client/v4/other", good_body)) == 10000);
    BOOST_TEST(call("GET", target, "").status == 405u);
    BOOST_TEST(call("POST", target, good_body, "").status == 401u);
    BOOST_TEST(first_code(call("POST", target, good_body, "")) == 10101);
    settings only;
    only.token = "right";
    BOOST_TEST(call("POST", target, good_body, "Bearer wrong", only).status == 401u);
    BOOST_TEST(call("POST", target, good_body, "Bearer right", only).status == 200u);
    BOOST_TEST(handle({}, {"POST", target, "", "me@example.com", "key", good_body}).status == 200u);

    for (std::string body :
         {std::string("not json"), std::string(R"({"from":"s@example.com"})"),
          std::string(R"({"from":"s@example.com","recipients":[],"mime_message":"x"})"),
          std::string(
              R"({"from":"s@example.com","recipients":["a@b.c"],"mime_message":"x","extra":1})"),
          std::string(
              R"({"from":"s\u00e9@example.com","recipients":["a@b.c"],"mime_message":"x"})"),
          std::string(R"({"from":"s@example.com","recipients":"a@b.c","mime_message":"x"})")}) {
        auto a = call("POST", target, body);
        BOOST_TEST(a.status == 400u, body);
        BOOST_TEST(first_code(a) == 10001, body);
        BOOST_TEST(!a.stored.has_value());
    }
    std::string big = R"({"from":"s@example.com","recipients":["a@b.c"],"mime_message":")" +
                      std::string(5 * 1024 * 1024 + 1, 'x') + "\"}";
    BOOST_TEST(first_code(call("POST", target, big)) == 10202);
}

BOOST_AUTO_TEST_CASE(faults_by_account_prefix) {
    auto path = [](std::string account) {
        return "/client/v4/accounts/" + account + "/email/sending/send_raw";
    };
    auto limited = call("POST", path("fault-429-x"), good_body);
    BOOST_TEST(limited.status == 429u);
    BOOST_TEST(!limited.stored.has_value());
    auto gateway = call("POST", path("fault-502-x"), good_body);
    BOOST_TEST(gateway.status == 502u);
    BOOST_TEST(gateway.stored.has_value()); // accepted, then the answer is lost
    auto success_false = call("POST", path("fault-successfalse-x"), good_body);
    BOOST_TEST(success_false.status == 200u);
    BOOST_TEST(!success_false.stored.has_value());
}

BOOST_AUTO_TEST_CASE(token_comparison_is_exact) {
    BOOST_TEST(same_secret("right-token", "right-token"));
    BOOST_TEST(!same_secret("right-tokeN", "right-token"));
    BOOST_TEST(!same_secret("Right-token", "right-token"));
    BOOST_TEST(!same_secret("right-toke", "right-token"));
    BOOST_TEST(!same_secret("right-token-", "right-token"));
    BOOST_TEST(!same_secret("", "right-token"));
    BOOST_TEST(same_secret(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
    BOOST_TEST(!same_secret(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));

    settings only;
    only.token = "right-token";
    for (const char* wrong : {"Bearer right-toke", "Bearer right-tokenn", "Bearer right-tokeN",
                              "Bearer RIGHT-TOKEN", "Bearer  right-token"})
        BOOST_TEST(call("POST", target, good_body, wrong, only).status == 401u, wrong);
    BOOST_TEST(call("POST", target, good_body, "Bearer right-token", only).status == 200u);
}

BOOST_AUTO_TEST_CASE(transfer_encoding_must_end_with_chunked) {
    for (const char* te : {"chunked", "Chunked", "CHUNKED", " chunked ", "gzip, chunked",
                           "gzip,chunked", "gzip ,\tchunked", ", chunked,"})
        BOOST_TEST(chunked_is_last(te), te);
    for (const char* te : {"", " ", "gzip", "chunked, gzip", "chunked,gzip", "chunked, chunked",
                           "gzip, chunked, chunked", "chunked;ext=1", "x y, chunked", "chunkedx",
                           "identity", "chunked\r\n"})
        BOOST_TEST(!chunked_is_last(te), te);
}

BOOST_AUTO_TEST_CASE(faults_that_carry_control_characters) {
    auto path = [](std::string account) {
        return "/client/v4/accounts/" + account + "/email/sending/send_raw";
    };
    auto escape = call("POST", path("fault-escape-x"), good_body);
    BOOST_TEST(escape.status == 400u);
    BOOST_TEST(!escape.stored.has_value());
    const std::string message(
        boost::json::parse(escape.body).at("errors").at(0).at("message").as_string());
    BOOST_TEST(message.find("\x1b[31m") != std::string::npos);
    BOOST_TEST(message.find("\xc2\x9b") != std::string::npos);
    BOOST_TEST(message.find('\x7f') != std::string::npos);
    bool raw_c1_in_cf_ray = false;
    for (const auto& [name, value] : escape.headers)
        raw_c1_in_cf_ray = raw_c1_in_cf_ray || (name == "cf-ray" && value.find('\x9b') == 0);
    BOOST_TEST(raw_c1_in_cf_ray);

    auto escape_ok = call("POST", path("fault-escapeok-x"), good_body);
    BOOST_TEST(escape_ok.status == 200u);
    BOOST_TEST_REQUIRE(escape_ok.stored.has_value());
    const std::string id(
        boost::json::parse(escape_ok.body).at("result").at("message_id").as_string());
    BOOST_TEST(id == escape_ok.stored->message_id);
    BOOST_TEST(id.find('\x1b') != std::string::npos);
    BOOST_TEST(escape_ok.stored->file_stem.find_first_not_of("0123456789abcdef") ==
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(store_writes_both_files) {
    scratch_dir dir;
    const auto m = sample_message("00aa");
    BOOST_TEST_REQUIRE(store(dir.path, m));
    BOOST_TEST(dir.names() == (std::vector<std::string>{"00aa.eml", "00aa.json"}),
               boost::test_tools::per_element());
    std::ifstream in(dir.path / "00aa.eml", std::ios::binary);
    BOOST_TEST(std::string(std::istreambuf_iterator<char>(in), {}) == m.mime_message);
}

BOOST_AUTO_TEST_CASE(a_failed_store_leaves_no_file) {
    // Each step made to fail by a directory where it needs to write a file: the only entry
    // left is that directory.
    for (const std::string obstacle : {"01bb.json", "01bb.eml.tmp", "01bb.eml"}) {
        scratch_dir dir;
        fs::create_directories(dir.path / obstacle / "occupied");
        BOOST_TEST(!store(dir.path, sample_message("01bb")), obstacle);
        BOOST_TEST(dir.names() == std::vector<std::string>{obstacle},
                   boost::test_tools::per_element());
        BOOST_TEST(fs::is_directory(dir.path / obstacle / "occupied"), obstacle);
    }
}

BOOST_AUTO_TEST_SUITE_END()
