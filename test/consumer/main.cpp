// A program outside the cfmail tree: finds cfmail as a user would, sends through the mock
// transport, and checks the answer.
#include <cfmail.hpp>
#include <cfmail/testing/mock_transport.hpp>
#ifdef CFMAIL_CONSUMER_HTTPS
#include <cfmail/https_client.hpp>
#endif

#include <iostream>

int main() {
    cfmail::testing::mock_transport mock;
    cfmail::basic_client<cfmail::testing::mock_transport> client(mock, cfmail::api_token{"t"});
    mock.respond_success({.delivered = {"recipient@example.com"}, .message_id = "<1@x>"});
    auto result = client.send_raw({"023e105f4ecef8ad9ca31a8372d0c353",
                                   "sender@example.com",
                                   {"recipient@example.com"},
                                   "Subject: hi\r\n\r\nhello\r\n"});
#ifdef CFMAIL_CONSUMER_HTTPS
    boost::asio::io_context ioc;
    cfmail::client https_client(cfmail::https_transport(ioc.get_executor()),
                                cfmail::api_token{"t"});
    (void)https_client;
#endif
    std::cout << "consumer: " << result.message_id << '\n';
    return result.message_id == "<1@x>" && mock.requests().size() == 1 ? 0 : 1;
}
