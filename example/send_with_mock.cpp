// Testing code that sends email, without a network: script the answers of a mock transport,
// run your code, and inspect what it sent.
#include <cfmail.hpp>
#include <cfmail/testing/mock_transport.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

namespace asio = boost::asio;

// The code under test: takes any client, so production passes cfmail::client and tests pass
// one over the mock.
template <class Client>
asio::awaitable<std::string> send_welcome(Client& client, std::string account, std::string to) {
    cfmail::send_raw_request req{std::move(account),
                                 "welcome@example.com",
                                 {to},
                                 "From: welcome@example.com\r\nTo: " + to +
                                     "\r\nSubject: Welcome\r\n\r\nHello!\r\n"};
    auto result = co_await client.async_send_raw(req);
    co_return result.message_id;
}

int main() {
    asio::io_context ioc;
    cfmail::testing::mock_transport mock(ioc.get_executor());
    cfmail::basic_client<cfmail::testing::mock_transport> client(mock, cfmail::api_token{"test"});

    mock.respond_error(429, 10004, "Throttled", {{"Retry-After", "0"}});
    mock.respond_success({.delivered = {"user@example.com"}, .message_id = "<1@example.com>"});

    std::string message_id;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            message_id = co_await send_welcome(client, "023e105f4ecef8ad9ca31a8372d0c353",
                                               "user@example.com");
        },
        asio::detached);
    ioc.run();

    std::cout << "message_id: " << message_id << '\n'
              << "requests sent: " << mock.requests().size() << '\n'
              << "last body: " << mock.requests().back().body.text() << '\n';
    return message_id == "<1@example.com>" && mock.requests().size() == 2 ? 0 : 1;
}
