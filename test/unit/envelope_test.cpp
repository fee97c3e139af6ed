// The envelope parser against the API reference's examples and the documented error schemas.
#include <cfmail/envelope.hpp>
#include <cfmail/error.hpp>
#include <cfmail/types.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_envelope_test {

using cfmail::api_message;
using cfmail::parse_envelope;
using cfmail::send_raw_result;

BOOST_AUTO_TEST_SUITE(envelope)

// The success example of the send_raw reference page, verbatim.
constexpr const char* reference_success = R"({
  "errors": [ { "code": 0, "message": "message" } ],
  "messages": [ { "code": 0, "message": "message" } ],
  "result": {
    "delivered": [ "recipient@example.com" ],
    "permanent_bounces": [ "dev@stainless.com" ],
    "queued": [ "dev@stainless.com" ]
  },
  "success": true,
  "result_info": { "count": 0, "per_page": 0, "total_count": 0, "cursor": "cursor", "page": 0 }
})";

BOOST_AUTO_TEST_CASE(reference_example_reads_every_field) {
    auto env = parse_envelope<send_raw_result>(reference_success);
    BOOST_TEST_REQUIRE(env.has_value());
    BOOST_TEST(env->success);
    BOOST_TEST_REQUIRE(env->errors.size() == 1u);
    BOOST_TEST(env->errors[0].code == 0);
    BOOST_TEST(env->errors[0].message == "message");
    BOOST_TEST_REQUIRE(env->messages.size() == 1u);
    BOOST_TEST_REQUIRE(env->result.has_value());
    BOOST_TEST(env->result->delivered == std::vector<std::string>{"recipient@example.com"});
    BOOST_TEST(env->result->permanent_bounces == std::vector<std::string>{"dev@stainless.com"});
    BOOST_TEST(env->result->queued == std::vector<std::string>{"dev@stainless.com"});
    BOOST_TEST(env->result->message_id.empty());
    BOOST_TEST_REQUIRE(env->result_info.has_value());
    BOOST_TEST(env->result_info->cursor.value_or("") == "cursor");
    BOOST_TEST(env->result_info->page.value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(newest_fields_and_unknown_fields) {
    auto env = parse_envelope<send_raw_result>(R"({"success":true,"errors":[],"messages":[],
        "result":{"delivered":["a@example.com"],"queued":[],"permanent_bounces":[],
                  "message_id":"<abc@example.com>","suppressed_recipients":["s@example.com"],
                  "some_future_field":{"nested":[1,2,3]}},
        "another_unknown":42})");
    BOOST_TEST_REQUIRE(env.has_value());
    BOOST_TEST(env->result->message_id == "<abc@example.com>");
    BOOST_TEST(env->result->suppressed_recipients == std::vector<std::string>{"s@example.com"});
    BOOST_TEST(!env->result_info.has_value());
}

// The 400 and 403 schemas: code as a numeric string, messages as plain strings.
BOOST_AUTO_TEST_CASE(error_schema_with_string_codes_and_string_messages) {
    auto env = parse_envelope<send_raw_result>(R"({"success":false,
        "errors":[{"code":"10001","message":"Invalid request schema",
                   "documentation_url":"https://developers.cloudflare.com/x",
                   "source":{"pointer":"/recipients/0"}}],
        "messages":["Check the request body"],"result":null})");
    BOOST_TEST_REQUIRE(env.has_value());
    BOOST_TEST(!env->success);
    BOOST_TEST_REQUIRE(env->errors.size() == 1u);
    BOOST_TEST(env->errors[0].code == 10001);
    BOOST_TEST(env->errors[0].documentation_url.value_or("") ==
               "https://developers.cloudflare.com/x");
    BOOST_TEST(env->errors[0].source_pointer.value_or("") == "/recipients/0");
    BOOST_TEST_REQUIRE(env->messages.size() == 1u);
    BOOST_TEST(env->messages[0].code == 0);
    BOOST_TEST(env->messages[0].message == "Check the request body");
    BOOST_TEST(!env->result.has_value());
}

BOOST_AUTO_TEST_CASE(missing_arrays_are_empty) {
    auto env = parse_envelope<send_raw_result>(R"({"success":true,"result":{}})");
    BOOST_TEST_REQUIRE(env.has_value());
    BOOST_TEST(env->errors.empty());
    BOOST_TEST(env->messages.empty());
    BOOST_TEST_REQUIRE(env->result.has_value());
    BOOST_TEST(env->result->delivered.empty());
    BOOST_TEST(env->result->queued.empty());
    BOOST_TEST(env->result->permanent_bounces.empty());
}

BOOST_AUTO_TEST_CASE(result_info_without_cursor_or_page) {
    auto env = parse_envelope<send_raw_result>(
        R"({"success":true,"result":null,"result_info":{"count":3,"per_page":20,"total_count":3}})");
    BOOST_TEST_REQUIRE(env.has_value());
    BOOST_TEST(!env->result.has_value());
    BOOST_TEST_REQUIRE(env->result_info.has_value());
    BOOST_TEST(env->result_info->count == 3);
    BOOST_TEST(env->result_info->per_page == 20);
    BOOST_TEST(!env->result_info->cursor.has_value());
    BOOST_TEST(!env->result_info->page.has_value());
}

BOOST_AUTO_TEST_CASE(raw_json_result) {
    auto env = parse_envelope<boost::json::value>(R"({"success":true,"result":{"x":[1]}})");
    BOOST_TEST_REQUIRE(env.has_value());
    BOOST_TEST(env->result->at("x").at(0).as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(malformed_input_is_bad_response) {
    const char* cases[] = {
        "",
        "not json",
        "[]",
        "null",
        R"({"success":true)",                 // truncated
        R"({"errors":[]})",                   // no success
        R"({"success":"true"})",              // success of the wrong type
        R"({"success":false,"errors":{}})",   // errors not an array
        R"({"success":false,"errors":[42]})", // entry neither object nor string
        R"({"success":false,"errors":[{"code":"12a","message":"x"}]})", // non-numeric code
        R"({"success":false,"errors":[{"code":1.5,"message":"x"}]})",   // fractional code
        R"({"success":false,"errors":[{"code":1e300,"message":"x"}]})", // code out of range
        R"({"success":false,"errors":[{"code":1,"message":7}]})",       // message not a string
        R"({"success":true,"result":{"delivered":"a@example.com"}})",   // not an array
        R"({"success":true,"result":{"delivered":[1]}})",               // not a string
        R"({"success":true,"result":{"message_id":5}})",
        R"({"success":true,"result":[1,2]})",
        R"({"success":true,"result":null,"result_info":{"page":"x"}})",
        R"({"success":true,"result":null,"result_info":[]})",
    };
    for (const char* body : cases) {
        auto env = parse_envelope<send_raw_result>(body);
        BOOST_TEST(env.has_error(), "accepted: " << body);
        if (env.has_error())
            BOOST_TEST(env.error() == cfmail::error::bad_response, body);
    }
}

BOOST_AUTO_TEST_CASE(deep_nesting_does_not_crash) {
    std::string deep = R"({"success":true,"result":{"x":)" + std::string(100000, '[') +
                       std::string(100000, ']') + "}}";
    auto env = parse_envelope<send_raw_result>(deep);
    BOOST_TEST(env.has_error());
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_envelope_test
