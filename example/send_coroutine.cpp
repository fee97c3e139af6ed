// Sends several messages at once from one io_context and one client: a pooled client keeps up
// to `max_connections` connections and runs that many sends at once, each driven by a
// coroutine. Credentials and the account id come from the environment, as in send_sync.cpp.
//
//   send_coroutine sender@example.com recipient1@example.com recipient2@example.com ...
#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace asio = boost::asio;

asio::awaitable<void> send_one(cfmail::pooled_client& client, cfmail::send_raw_request req,
                               int& in_flight) {
    try {
        auto result = co_await client.async_send_raw(req);
        std::cout << req.recipients.front() << ": delivered " << result.delivered.size()
                  << ", queued " << result.queued.size() << ", id " << result.message_id << '\n';
    } catch (const cfmail::error_with_diagnostics& e) {
        std::cerr << req.recipients.front() << ": " << e.what() << '\n';
    }
    // Idle connections would otherwise keep run() going until they time out.
    if (--in_flight == 0)
        client.transport().close();
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
    cfmail::pool_options pool;
    pool.max_connections = 4; // at most four sends at once; the others wait their turn
    if (const char* ca = std::getenv("CFMAIL_CA_FILE"))
        pool.https.tls.ca_file = ca;

    asio::io_context ioc;
    cfmail::pooled_client client(cfmail::pooled_https_transport(ioc.get_executor(), pool),
                                 cfmail::credentials::from_environment(), options);
    int in_flight = argc - 2;
    for (int i = 2; i < argc; ++i) {
        cfmail::send_raw_request req{.account_id = account,
                                     .from = argv[1],
                                     .recipients = {argv[i]},
                                     .mime_message =
                                         std::string("From: ") + argv[1] + "\r\nTo: " + argv[i] +
                                         "\r\nSubject: Hello\r\n\r\nHello from a coroutine!\r\n"};
        asio::co_spawn(ioc, send_one(client, std::move(req), in_flight), asio::detached);
    }
    ioc.run();
}
