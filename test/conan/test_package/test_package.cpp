#include <cfmail.hpp>
#include <cfmail/https_client.hpp>
#include <cfmail/testing/mock_transport.hpp>

#include <iostream>

int main() {
    cfmail::testing::mock_transport mock;
    cfmail::basic_client<cfmail::testing::mock_transport> client(mock, cfmail::api_token{"t"});
    mock.respond_success({.delivered = {"recipient@example.com"}});
    auto result = client.send_raw({"023e105f4ecef8ad9ca31a8372d0c353",
                                   "sender@example.com",
                                   {"recipient@example.com"},
                                   "Subject: hi\r\n\r\nhello\r\n"});
    boost::asio::io_context ioc;
    cfmail::client https_client(cfmail::https_transport(ioc.get_executor()),
                                cfmail::api_token{"t"});
    std::cout << "cfmail " CFMAIL_VERSION_STRING ": delivered " << result.delivered.size() << '\n';
    return result.delivered.size() == 1 ? 0 : 1;
}
