// Composes a UTF-8 newsletter with cfmail::mime::message (text and HTML, an inline logo, a PDF,
// a blind copy) and sends it with send_raw from a coroutine. Credentials come from the
// environment (CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY), the account id
// from CLOUDFLARE_ACCOUNT_ID, the base URL from CLOUDFLARE_BASE_URL and a CA file from
// CFMAIL_CA_FILE when set.
//
//   send_composed sender@example.com recipient@example.com [more recipients...]
#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace asio = boost::asio;

// A stand-in for files read from disk: any bytes will do.
const std::string report_pdf = "%PDF-1.4\n% a report\n";
const std::string logo_png = "\x89PNG\r\n\x1a\n a logo";

asio::awaitable<int> send(cfmail::client& client, const cfmail::send_raw_request& req) {
    try {
        cfmail::send_raw_result result = co_await client.async_send_raw(req);
        std::cout << "delivered: " << result.delivered.size()
                  << ", queued: " << result.queued.size() << ", message id: " << result.message_id
                  << '\n';
        co_return 0;
    } catch (const cfmail::error_with_diagnostics& e) {
        std::cerr << e.what() << '\n';
        co_return e.may_have_been_sent() ? 3 : 1;
    }
}

int main(int argc, char** argv) try {
    // The account id and base URL from CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_BASE_URL.
    const cfmail::client_options options = cfmail::client_options::from_environment();
    if (argc < 3 || options.account_id.empty()) {
        std::cerr << "usage: CLOUDFLARE_ACCOUNT_ID=... send_composed FROM TO [TO...]\n";
        return 2;
    }
    std::vector<cfmail::mailbox> readers;
    for (int i = 2; i < argc; ++i)
        readers.push_back({argv[i]});

    cfmail::mime::message newsletter;
    newsletter.from({argv[1], "Jürgen Müller"})
        .to(readers)
        .bcc({"audit@example.com"})
        .subject("Grüße – your report")
        .text("Hello,\n\nyour report is attached.\n")
        .html("<p>Hello, <img src=\"cid:logo\" alt=\"logo\"></p><p>your report is attached.</p>")
        .attach_file("Bericht – Dezember.pdf", report_pdf, "application/pdf")
        .inline_image("logo", logo_png, "image/png", "logo.png");
    // Checks every field (and the 50-recipient and size limits) before anything is sent.
    // No account id of its own: the client's default (from the environment) is used.
    const cfmail::send_raw_request req = newsletter.to_send_raw("", options);

    cfmail::https_options https;
    if (const char* ca = std::getenv("CFMAIL_CA_FILE"))
        https.tls.ca_file = ca;
    asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor(), https),
                          cfmail::credentials::from_environment(), options);
    int status = 1;
    asio::co_spawn(ioc, send(client, req), [&](std::exception_ptr, int s) { status = s; });
    ioc.run();
    return status;
} catch (const cfmail::error_with_diagnostics& e) {
    std::cerr << e.what() << '\n'; // an invalid field: nothing was sent
    return 2;
}
