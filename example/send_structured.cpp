// Sends one structured message (the API composes the MIME) from a coroutine, with an HTML body,
// a plain-text alternative and a small attachment. Credentials come from the environment
// (CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY), the account id from
// CLOUDFLARE_ACCOUNT_ID, the base URL from CLOUDFLARE_BASE_URL and a CA file from
// CFMAIL_CA_FILE when set.
//
//   send_structured sender@example.com recipient@example.com
#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iostream>

namespace asio = boost::asio;

asio::awaitable<int> send(cfmail::client& client, const char* from, const char* to) {
    cfmail::send_request req;
    // No account_id: the client's default, from CLOUDFLARE_ACCOUNT_ID.
    req.from = {from, "cfmail example"};
    req.to = {{to}};
    req.subject = "Grüße from cfmail";
    req.text = "Hello, World!";
    req.html = "<p>Hello, <b>World</b>!</p>";
    req.attachments.push_back({"hello.txt", "text/plain", "Hello, attachment!\n"});
    try {
        cfmail::send_result result = co_await client.async_send(req);
        std::cout << "delivered: " << result.delivered.size()
                  << ", queued: " << result.queued.size() << ", message id: " << result.message_id
                  << '\n';
        co_return 0;
    } catch (const cfmail::error_with_diagnostics& e) {
        std::cerr << e.what() << '\n';
        co_return e.may_have_been_sent() ? 3 : 1;
    }
}

int main(int argc, char** argv) {
    const cfmail::client_options options = cfmail::client_options::from_environment();
    if (argc != 3 || options.account_id.empty()) {
        std::cerr << "usage: CLOUDFLARE_ACCOUNT_ID=... send_structured FROM TO\n";
        return 2;
    }
    cfmail::https_options https;
    if (const char* ca = std::getenv("CFMAIL_CA_FILE"))
        https.tls.ca_file = ca;

    asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), https),
                          cfmail::credentials::from_environment(), options);
    int status = 1;
    asio::co_spawn(ioc, send(client, argv[1], argv[2]),
                   [&](std::exception_ptr, int s) { status = s; });
    ioc.run();
    return status;
}
