// Sends one message with the blocking client. Credentials come from the environment
// (CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY), the account id from
// CLOUDFLARE_ACCOUNT_ID, and the base URL from CLOUDFLARE_BASE_URL when set.
//
//   send_sync sender@example.com recipient@example.com
#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: send_sync FROM TO\n";
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

    cfmail::https_options https; // system CA roots, 10 s connect, 60 s per attempt
    if (const char* ca = std::getenv("CFMAIL_CA_FILE"))
        https.tls.ca_file = ca; // e.g. a corporate or test CA bundle

    cfmail::blocking_client client(cfmail::blocking_https_transport(https),
                                   cfmail::credentials::from_environment(), options);

    cfmail::send_raw_request req{
        .account_id = account,
        .from = argv[1],
        .recipients = {argv[2]},
        .mime_message = std::string("From: ") + argv[1] + "\r\nTo: " + argv[2] +
                        "\r\nSubject: Hello from cfmail\r\nContent-Type: text/plain\r\n\r\n"
                        "Hello, World!\r\n"};

    try {
        cfmail::send_raw_result result = client.send_raw(req);
        std::cout << "delivered: " << result.delivered.size()
                  << ", queued: " << result.queued.size()
                  << ", bounced: " << result.permanent_bounces.size()
                  << ", message id: " << result.message_id << '\n';
        return 0;
    } catch (const cfmail::error_with_diagnostics& e) {
        std::cerr << e.what() << '\n';
        if (e.may_have_been_sent())
            std::cerr << "the message may have been sent: check before sending it again\n";
        return 1;
    }
}
