// A unit-test translation unit: sends one message through the mock transport, with no HTTPS
// transport in sight. What a test file of an application that uses cfmail costs to compile.
#include <cfmail.hpp>
#include <cfmail/testing/mock_transport.hpp>

int main() {
    cfmail::testing::mock_transport mock;
    cfmail::basic_client<cfmail::testing::mock_transport> client(mock, cfmail::api_token{"t"});
    mock.respond_success({.delivered = {"recipient@example.com"}});
    const auto result = client.send_raw({"023e105f4ecef8ad9ca31a8372d0c353",
                                         "sender@example.com",
                                         {"recipient@example.com"},
                                         "Subject: hi\r\n\r\nhello\r\n"});
    return result.delivered.size() == 1 ? 0 : 1;
}
