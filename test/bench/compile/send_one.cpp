// A translation unit that sends one message with the blocking HTTPS client: what an
// application file that uses cfmail costs to compile.
#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

int main() {
    cfmail::blocking_client client(cfmail::blocking_https_transport{},
                                   cfmail::credentials::from_environment());
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    client.send_raw({"023e105f4ecef8ad9ca31a8372d0c353",
                     "sender@example.com",
                     {"recipient@example.com"},
                     "Subject: hi\r\n\r\nhello\r\n"},
                    ec, diag);
    return ec ? 1 : 0;
}
