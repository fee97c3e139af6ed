// The emulator's request handling, without a server: statuses, codes, routing and storage
// decisions as the API documents them.
#include "../../example/emulator/handler.hpp"

#include <boost/test/unit_test.hpp>

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

BOOST_AUTO_TEST_SUITE_END()
