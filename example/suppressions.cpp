// Manages the suppression list with the blocking client: suppresses an address, lists every
// entry page by page, then removes the one it added. Environment as for send_sync.
//
//   suppressions someone@example.com
#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
    const cfmail::client_options options = cfmail::client_options::from_environment();
    const std::string& account = options.account_id;
    if (argc != 2 || account.empty()) {
        std::cerr << "usage: CLOUDFLARE_ACCOUNT_ID=... suppressions ADDRESS\n";
        return 2;
    }
    cfmail::https_options https;
    if (const char* ca = std::getenv("CFMAIL_CA_FILE"))
        https.tls.ca_file = ca;
    cfmail::blocking_client client(cfmail::blocking_https_transport(https),
                                   cfmail::credentials::from_environment(), options);
    try {
        cfmail::create_suppression_request add;
        add.account_id = account;
        add.email = argv[1];
        add.note = "added by the suppressions example";
        const cfmail::suppression_ref added = client.create_suppression(add);
        std::cout << "added: " << added.id << '\n';

        // Every page, one JSON object a line; the cursor loop is for_each_suppression's.
        cfmail::list_suppressions_request all;
        all.account_id = account;
        cfmail::for_each_suppression(client, all, [](const cfmail::suppression& s) {
            std::cout << boost::json::serialize(boost::json::value_from(s)) << '\n';
        });

        client.delete_suppression({account, added.id});
        std::cout << "removed: " << added.id << '\n';
        return 0;
    } catch (const cfmail::error_with_diagnostics& e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
}
