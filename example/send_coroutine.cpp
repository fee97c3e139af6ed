// Sends several messages at once from one io_context: one client (one connection) per message
// in flight, each driven by a coroutine. Credentials and the account id come from the
// environment, as in send_sync.cpp.
//
//   send_coroutine sender@example.com recipient1@example.com recipient2@example.com ...
#include <cfmail.hpp>
#include <cfmail/transport/https.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

namespace asio = boost::asio;

asio::awaitable<void> send_one(cfmail::client& client, cfmail::send_raw_request req) {
    try {
        auto result = co_await client.async_send_raw(req);
        std::cout << req.recipients.front() << ": delivered " << result.delivered.size()
                  << ", queued " << result.queued.size() << ", id " << result.message_id << '\n';
    } catch (const cfmail::api_error& e) {
        std::cerr << req.recipients.front() << ": " << e.what() << '\n';
    }
}

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: send_coroutine FROM TO [TO ...]\n";
        return 2;
    }
    const char* account = std::getenv("CLOUDFLARE_ACCOUNT_ID");
    if (!account) {
        std::cerr << "set CLOUDFLARE_ACCOUNT_ID\n";
        return 2;
    }
    cfmail::client_options options;
    if (const char* base_url = std::getenv("CLOUDFLARE_BASE_URL"))
        options.base_url = base_url;
    cfmail::https_options https;
    if (const char* ca = std::getenv("CFMAIL_CA_FILE"))
        https.tls.ca_file = ca;
    const auto credentials = cfmail::credentials::from_environment();

    asio::io_context ioc;
    std::vector<std::unique_ptr<cfmail::client>> clients;
    for (int i = 2; i < argc; ++i) {
        // A client runs one send at a time; each message in flight gets its own.
        clients.push_back(std::make_unique<cfmail::client>(
            cfmail::https_transport(ioc.get_executor(), https), credentials, options));
        cfmail::send_raw_request req{.account_id = account,
                                     .from = argv[1],
                                     .recipients = {argv[i]},
                                     .mime_message =
                                         std::string("From: ") + argv[1] + "\r\nTo: " + argv[i] +
                                         "\r\nSubject: Hello\r\n\r\nHello from a coroutine!\r\n"};
        asio::co_spawn(ioc, send_one(*clients.back(), std::move(req)), asio::detached);
    }
    ioc.run();
}
