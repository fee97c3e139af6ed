// The HTTPS transport's wire code on beast::test::stream: exact request bytes, short reads,
// EOF mid-body, Content-Length and chunked answers, oversize.
#include <cfmail/transport/detail/http_exchange.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
using namespace cfmail;

namespace {

http_request sample_request() {
    http_request req;
    req.scheme = "https";
    req.host = "api.cloudflare.com";
    req.port = "443";
    req.method = "POST";
    req.target = "/client/v4/accounts/abc/email/sending/send_raw";
    req.headers = {{"Host", "api.cloudflare.com"},
                   {"Authorization", "Bearer t"},
                   {"Content-Type", "application/json"}};
    req.body = R"({"from":"a@b.c"})";
    return req;
}

struct exchange_result {
    boost::system::error_code ec;
    http_response resp;
    detail::exchange_progress progress;
    std::string written; // what reached the server
};

// Runs one exchange against a peer that answers `answer` (then closes when `close_after`).
exchange_result run_exchange(const std::string& answer, bool close_after = false,
                             std::size_t read_size = 0, std::size_t max_body = 1024 * 1024,
                             const http_request& req = sample_request()) {
    asio::io_context ioc;
    beast::test::stream client(ioc);
    beast::test::stream server(ioc);
    client.connect(server);
    if (read_size)
        client.read_size(read_size);
    client.append(answer); // what the client will read
    if (close_after)
        server.close();

    exchange_result out;
    detail::exchange_buffers buffers;
    asio::co_spawn(ioc,
                   detail::http_exchange(client, buffers, req, out.resp, max_body, out.progress),
                   [&](std::exception_ptr failure, boost::system::error_code ec) {
                       BOOST_TEST(!failure);
                       out.ec = ec;
                   });
    ioc.run();
    out.written = std::string(server.str());
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(transport_wire)

BOOST_AUTO_TEST_CASE(exact_request_bytes) {
    auto out = run_exchange("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    BOOST_TEST(!out.ec);
    BOOST_TEST(out.written == "POST /client/v4/accounts/abc/email/sending/send_raw HTTP/1.1\r\n"
                              "Host: api.cloudflare.com\r\n"
                              "Authorization: Bearer t\r\n"
                              "Content-Type: application/json\r\n"
                              "Content-Length: 16\r\n"
                              "\r\n"
                              R"({"from":"a@b.c"})");
    BOOST_TEST(out.resp.request_written);
}

BOOST_AUTO_TEST_CASE(content_length_answer_read_one_byte_at_a_time) {
    auto out =
        run_exchange("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\ncf-ray: abc-LHR\r\n"
                     "Content-Length: 17\r\n\r\n{\"success\":false}",
                     false, 1);
    BOOST_TEST(!out.ec);
    BOOST_TEST(out.resp.status == 429u);
    BOOST_TEST(out.resp.header("retry-after") == "3");
    BOOST_TEST(out.resp.header("CF-Ray") == "abc-LHR");
    BOOST_TEST(out.resp.body == "{\"success\":false}");
    BOOST_TEST(out.progress.keep_alive);
}

BOOST_AUTO_TEST_CASE(chunked_answer) {
    auto out = run_exchange("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                            false, 3);
    BOOST_TEST(!out.ec);
    BOOST_TEST(out.resp.body == "hello world");
}

BOOST_AUTO_TEST_CASE(connection_close_answer_is_not_kept_alive) {
    auto out = run_exchange("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
    BOOST_TEST(!out.ec);
    BOOST_TEST(!out.progress.keep_alive);
}

BOOST_AUTO_TEST_CASE(eof_mid_body_is_an_error_after_answer_bytes) {
    auto out = run_exchange("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", true);
    BOOST_TEST(out.ec);
    BOOST_TEST(out.progress.got_answer_bytes);
    BOOST_TEST(out.resp.request_written);
}

BOOST_AUTO_TEST_CASE(eof_before_any_answer_byte) {
    auto out = run_exchange("", true);
    BOOST_TEST(out.ec);
    BOOST_TEST(!out.progress.got_answer_bytes);
}

BOOST_AUTO_TEST_CASE(oversize_by_content_length_and_chunked) {
    auto by_length = run_exchange("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", false, 0, 100);
    BOOST_TEST(by_length.ec == error::response_too_large);
    const std::string chunk(80, 'x');
    auto chunked = run_exchange("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" +
                                    chunk + "\r\n50\r\n" + chunk + "\r\n0\r\n\r\n",
                                false, 0, 100);
    BOOST_TEST(chunked.ec == error::response_too_large);
}

// A message larger than the escaping chunk, full of bytes to escape: the body is streamed
// with the right Content-Length, and sending it again streams the same bytes again.
BOOST_AUTO_TEST_CASE(streamed_body_is_escaped_chunk_by_chunk_and_resent_whole) {
    std::string message;
    for (int line = 0; message.size() < 3 * detail::exchange_buffers::chunk_size; ++line)
        message += "Line " + std::to_string(line) + " \"q\" \\ caf\xc3\xa9 \t\x01 " +
                   std::string(line % 90, 'x') + "\r\n";
    auto req = sample_request();
    req.body = R"({"from":"a@b.c","mime_message":)";
    req.json_string_tail = message;
    req.body_end = "}";

    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    auto first = run_exchange(answer, false, 0, 1024 * 1024, req);
    auto second = run_exchange(answer, false, 0, 1024 * 1024, req);
    BOOST_TEST_REQUIRE(!first.ec);
    BOOST_TEST(first.written == second.written);

    const auto header_end = first.written.find("\r\n\r\n");
    BOOST_TEST_REQUIRE(header_end != std::string::npos);
    const std::string body = first.written.substr(header_end + 4);
    BOOST_TEST(first.written.find("Content-Length: " + std::to_string(body.size()) + "\r\n") !=
               std::string::npos);
    BOOST_TEST(body.size() == req.body_size());
    BOOST_TEST(body == req.full_body());
    auto parsed = boost::json::parse(body).as_object();
    const auto& value = parsed.at("mime_message").as_string();
    BOOST_TEST(std::string(value.data(), value.size()) == message);
}

// Every way the writer can lay out a streamed request (small body with the head in front, a
// head too large for that, a body over a chunk) puts the same bytes on the wire.
BOOST_AUTO_TEST_CASE(streamed_request_layouts_write_head_then_body) {
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    const std::string small = "Subject: hi\r\n\r\n\"quoted\" \\ tab\t end\r\n";
    std::string large;
    while (large.size() < 2 * detail::exchange_buffers::chunk_size)
        large += "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n";
    for (const std::string* message : {&small, static_cast<const std::string*>(&large)}) {
        for (std::size_t header_size : {0u, 5000u, 40000u}) {
            auto req = sample_request();
            if (header_size)
                req.headers.push_back({"X-Padding", std::string(header_size, 'p')});
            req.body = R"({"mime_message":)";
            req.json_string_tail = *message;
            req.body_end = "}";
            auto out = run_exchange(answer, false, 0, 1024 * 1024, req);
            BOOST_TEST_REQUIRE(!out.ec);
            const auto header_end = out.written.find("\r\n\r\n");
            BOOST_TEST_REQUIRE(header_end != std::string::npos);
            const std::string body = out.written.substr(header_end + 4);
            BOOST_TEST(body == req.full_body());
            BOOST_TEST(out.written.find("Content-Length: " + std::to_string(body.size()) +
                                        "\r\n") != std::string::npos);
            BOOST_TEST(out.written.rfind("POST /client/v4/", 0) == 0u);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
