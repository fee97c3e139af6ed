// The baseline: the least a hand-written Beast HTTPS POST with JSON takes (no retries, no
// validation, no timeouts beyond Beast's stream deadline).
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <iostream>

int main() {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    namespace http = beast::http;
    asio::io_context ioc;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    SSL_set_tlsext_host_name(stream.native_handle(), "api.cloudflare.com");
    stream.set_verify_callback(asio::ssl::host_name_verification("api.cloudflare.com"));
    asio::ip::tcp::resolver resolver(ioc);
    beast::get_lowest_layer(stream).connect(resolver.resolve("api.cloudflare.com", "443"));
    stream.handshake(asio::ssl::stream_base::client);
    boost::json::object body{{"from", "sender@example.com"},
                             {"recipients", boost::json::array{"recipient@example.com"}},
                             {"mime_message", "Subject: hi\r\n\r\nhello\r\n"}};
    http::request<http::string_body> req{http::verb::post,
                                         "/client/v4/accounts/x/email/sending/send_raw", 11};
    req.set(http::field::host, "api.cloudflare.com");
    req.set(http::field::authorization, "Bearer token");
    req.set(http::field::content_type, "application/json");
    req.body() = boost::json::serialize(body);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    auto answer = boost::json::parse(res.body());
    std::cout << answer.at("success") << '\n';
}
