// README.md's C++ block, compiled as it stands: nothing comes before it.
// clang-format off
#include <cfmail/https_client.hpp> // cfmail::client and the rest of cfmail

#include <boost/asio/awaitable.hpp>
#include <iostream>

namespace asio = boost::asio;

// cfmail::client c(cfmail::https_transport(ioc.get_executor()), cfmail::credentials::from_environment());
asio::awaitable<void> welcome(cfmail::client& client) {
    cfmail::send_raw_request req{
        .account_id = "023e105f4ecef8ad9ca31a8372d0c353",
        .from = "sender@example.com",
        .recipients = {"recipient@example.com"},
        .mime_message = "From: sender@example.com\r\nTo: recipient@example.com\r\n"
                        "Subject: Hello\r\n\r\nHello, World!\r\n"};
    cfmail::send_raw_result result = co_await client.async_send_raw(req); // throws on failure
    std::cout << "delivered to " << result.delivered.size() << ", id " << result.message_id << '\n';
}
// clang-format on
