// The HTTPS transport's wire code on beast::test::stream: exact request bytes, short reads,
// EOF mid-body, Content-Length and chunked answers, oversize.
#include <cfmail/transport/detail/http_exchange.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_transport_test {

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
    std::string written;           // what reached the server
    std::size_t read_capacity = 0; // what the read buffer grew to
    bool completed = false;
};

// What the peer does besides answering.
enum class peer {
    stays,   // keeps the connection open
    closes,  // closes after its answer: the client reads EOF after it
    is_gone, // answered, then went away before the request: the write fails
};

// Runs one exchange against a peer that answers `answer`.
exchange_result run_exchange(const std::string& answer, peer mode = peer::stays,
                             std::size_t read_size = 0, std::size_t max_body = 1024 * 1024,
                             const http_request& req = sample_request()) {
    asio::io_context ioc;
    beast::test::stream client(ioc);
    std::optional<beast::test::stream> server(std::in_place, ioc);
    client.connect(*server);
    if (read_size)
        client.read_size(read_size);
    client.append(answer); // what the client will read
    if (mode == peer::closes)
        server->close();
    if (mode == peer::is_gone)
        server.reset();

    exchange_result out;
    detail::exchange_buffers buffers;
    asio::co_spawn(ioc,
                   detail::http_exchange(client, buffers, req, out.resp, max_body, out.progress),
                   [&](std::exception_ptr failure, boost::system::error_code ec) {
                       BOOST_TEST(!failure);
                       out.ec = ec;
                       out.completed = true;
                   });
    ioc.run();
    BOOST_TEST(out.completed);
    if (server)
        out.written = std::string(server->str());
    out.read_capacity = buffers.read.capacity();
    return out;
}

exchange_result run_exchange(const std::string& answer, bool close_after, std::size_t read_size = 0,
                             std::size_t max_body = 1024 * 1024,
                             const http_request& req = sample_request()) {
    return run_exchange(answer, close_after ? peer::closes : peer::stays, read_size, max_body, req);
}

const std::string ok_answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

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

BOOST_AUTO_TEST_CASE(interim_answers_are_read_past) {
    // Every 1xx but 101 is interim: the final answer follows on the same connection.
    for (const char* interim :
         {"HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 102 Processing\r\n\r\n",
          "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
          "HTTP/1.1 199 Whatever\r\nX-A: b\r\n\r\n",
          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"}) {
        for (std::size_t read_size : {0u, 1u, 7u}) {
            auto out = run_exchange(std::string(interim) + "HTTP/1.1 200 OK\r\ncf-ray: final\r\n"
                                                           "Content-Length: 2\r\n\r\n{}",
                                    peer::stays, read_size);
            BOOST_TEST(!out.ec, interim);
            BOOST_TEST(out.resp.status == 200u, interim);
            BOOST_TEST(out.resp.body == "{}");
            BOOST_TEST(out.resp.header("cf-ray") == "final");
            BOOST_TEST(out.resp.header("link").empty()); // the interim fields are gone
            BOOST_TEST(out.progress.keep_alive);
        }
    }
}

BOOST_AUTO_TEST_CASE(bytes_after_the_answer_end_the_connection) {
    // They answer no request: reusing the connection would hand them to the next send.
    auto out = run_exchange(ok_answer + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    BOOST_TEST(!out.ec);
    BOOST_TEST(out.resp.body == "{}");
    BOOST_TEST(!out.progress.keep_alive);
    auto clean = run_exchange(ok_answer);
    BOOST_TEST(clean.progress.keep_alive);
}

BOOST_AUTO_TEST_CASE(interim_and_final_heads_share_one_cap) {
    std::string interim;
    while (interim.size() < detail::max_response_head - 1000)
        interim += "HTTP/1.1 103 Early Hints\r\nLink: " + std::string(200, 'l') + "\r\n\r\n";
    auto out = run_exchange(interim + "HTTP/1.1 200 OK\r\nX-Pad: " + std::string(2000, 'p') +
                            "\r\nContent-Length: 2\r\n\r\n{}");
    BOOST_TEST(out.ec == error::response_too_large);
}

BOOST_AUTO_TEST_CASE(switching_protocols_is_a_bad_response_after_the_write) {
    auto out = run_exchange("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\n\r\n" +
                            ok_answer);
    BOOST_TEST(out.ec == error::bad_response);
    BOOST_TEST(out.resp.request_written);
    BOOST_TEST(out.resp.status == 0u);
}

BOOST_AUTO_TEST_CASE(a_status_below_100_is_a_bad_response_after_the_write) {
    for (const char* status : {"000", "099", "042"}) {
        auto out = run_exchange(std::string("HTTP/1.1 ") + status + " Odd\r\n" +
                                    "Content-Length: 2\r\n\r\n{}",
                                peer::closes);
        BOOST_TEST(out.ec == error::bad_response, status);
        BOOST_TEST(out.resp.request_written);
        BOOST_TEST(out.resp.status == 0u);
    }
}

BOOST_AUTO_TEST_CASE(endless_interim_answers_meet_the_head_cap) {
    std::string answer;
    while (answer.size() < 2 * detail::max_response_head)
        answer += "HTTP/1.1 100 Continue\r\nX-Pad: " + std::string(100, 'p') + "\r\n\r\n";
    auto out = run_exchange(answer + ok_answer);
    BOOST_TEST(out.ec == error::response_too_large);
    BOOST_TEST(out.read_capacity <= detail::exchange_buffers::read_limit);
}

BOOST_AUTO_TEST_CASE(no_part_of_an_answer_grows_the_read_buffer_past_its_bound) {
    // A chunk extension, a trailer, a header, a status line, each far over the bound: refused
    // as soon as the buffer is full, whatever the body cap.
    const std::string huge(3 * detail::exchange_buffers::read_limit, 'x');
    const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string answers[] = {
        chunked + "2;ext=" + huge + "\r\n{}\r\n0\r\n\r\n",
        chunked + "2;" + huge + "\r\n{}\r\n0\r\n\r\n",
        chunked + "2\r\n{}\r\n0\r\nX-Trailer: " + huge + "\r\n\r\n",
        chunked + "2\r\n{}\r\n0\r\n" +
            [&] {
                std::string many;
                while (many.size() < huge.size())
                    many += "X-T: 0123456789\r\n";
                return many;
            }() +
            "\r\n",
        "HTTP/1.1 200 OK\r\nX-Big: " + huge + "\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 " + huge + "\r\nContent-Length: 2\r\n\r\n{}",
        chunked + std::string(huge.size(), '0') + "2\r\n{}\r\n0\r\n\r\n",
    };
    for (const auto& answer : answers) {
        for (std::size_t max_body : {std::size_t(100), std::size_t(64) * 1024 * 1024}) {
            auto out = run_exchange(answer, peer::stays, 0, max_body);
            BOOST_TEST(out.ec == error::response_too_large, answer.substr(0, 60));
            BOOST_TEST(out.read_capacity <= detail::exchange_buffers::read_limit);
            BOOST_TEST(out.resp.body.size() <= 2u);
        }
    }
    // A large body is streamed through the same small buffer.
    const std::string body(3 * 1024 * 1024, 'b');
    auto big = run_exchange("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                                "\r\n\r\n" + body,
                            peer::stays, 0, 4 * 1024 * 1024);
    BOOST_TEST(!big.ec);
    BOOST_TEST(big.resp.body.size() == body.size());
    BOOST_TEST(big.read_capacity <= detail::exchange_buffers::read_limit);
}

BOOST_AUTO_TEST_CASE(an_answer_that_came_before_the_write_failed_is_reported) {
    // The server answered (413, 401, ...) and went away without reading the request.
    for (const char* answer :
         {"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
          "HTTP/1.1 401 Unauthorized\r\nContent-Length: 17\r\n\r\n{\"success\":false}",
          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n"}) {
        auto out = run_exchange(answer, peer::is_gone);
        BOOST_TEST(!out.ec, answer);
        BOOST_TEST(out.resp.status >= 400u);
        BOOST_TEST(out.progress.write_failed);
        BOOST_TEST(!out.progress.keep_alive); // the connection is done
        BOOST_TEST(out.resp.request_written);
    }
    // Without an answer the write's failure stands; half an answer is no answer.
    auto none = run_exchange("", peer::is_gone);
    BOOST_TEST(none.ec == asio::error::connection_reset);
    BOOST_TEST(none.progress.write_failed);
    BOOST_TEST(!none.progress.got_answer_bytes);
    auto half = run_exchange("HTTP/1.1 413 Payload Too Large\r\nContent-Le", peer::is_gone);
    BOOST_TEST(half.ec == asio::error::connection_reset);
    BOOST_TEST(half.progress.got_answer_bytes);
    BOOST_TEST(half.resp.status == 0u);
}

// A message larger than the escaping chunk, full of bytes to escape: the body is streamed
// with the right Content-Length, and sending it again streams the same bytes again.
BOOST_AUTO_TEST_CASE(streamed_body_is_escaped_chunk_by_chunk_and_resent_whole) {
    std::string message;
    for (int line = 0; message.size() < 3 * detail::exchange_buffers::chunk_size; ++line)
        message += "Line " + std::to_string(line) + " \"q\" \\ caf\xc3\xa9 \t\x01 " +
                   std::string(line % 90, 'x') + "\r\n";
    auto req = sample_request();
    req.body.clear(true);
    req.body.append(R"({"from":"a@b.c","mime_message":)");
    req.body.stream_json_string(message);
    req.body.push_back('}');

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
            req.body.clear(true);
            req.body.append(R"({"mime_message":)");
            req.body.stream_json_string(*message);
            req.body.push_back('}');
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

} // namespace unit_transport_test
