// Validation and request building of the protocol core, stepped without any transport.
#include <cfmail/credentials.hpp>
#include <cfmail/detail/json_escape.hpp>
#include <cfmail/detail/send_algorithm.hpp>
#include <cfmail/detail/text_scan.hpp>
#include <cfmail/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_request_test {

using namespace cfmail;
using detail::next_action;

namespace {

const std::string account = "023e105f4ecef8ad9ca31a8372d0c353";
const std::string simple_mime =
    "From: sender@example.com\r\nTo: recipient@example.com\r\nSubject: Hello\r\n"
    "Content-Type: text/plain\r\n\r\nHello, World!";

send_raw_request valid_request() {
    return {account, "sender@example.com", {"recipient@example.com"}, simple_mime};
}

// Starts a send and returns what the algorithm asked for.
struct started {
    detail::client_config config;
    detail::send_algorithm algo{config};
    diagnostics diag;
    send_raw_request req;
    next_action action;

    explicit started(send_raw_request r, credentials creds = api_token{"secret-token"},
                     client_options opts = {})
        : config(std::move(creds), std::move(opts))
        , req(std::move(r)) {
        action = algo.start(req, diag);
    }
};

void check_invalid(send_raw_request req, const std::string& field, client_options opts = {}) {
    started s(std::move(req), api_token{"secret-token"}, std::move(opts));
    BOOST_TEST(s.action.what == next_action::kind::done);
    BOOST_TEST(s.action.ec == error::invalid_request);
    BOOST_TEST(s.diag.detail.rfind(field, 0) == 0u,
               "detail '" << s.diag.detail << "' should start with '" << field << "'");
    BOOST_TEST(s.diag.attempts == 0u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_building)

BOOST_AUTO_TEST_CASE(target_headers_and_body) {
    started s(valid_request());
    BOOST_TEST_REQUIRE((s.action.what == next_action::kind::round_trip));
    const http_request& req = s.algo.request();
    BOOST_TEST(req.method == "POST");
    BOOST_TEST(req.scheme == "https");
    BOOST_TEST(req.host == "api.cloudflare.com");
    BOOST_TEST(req.port == "443");
    BOOST_TEST(req.target == "/client/v4/accounts/" + account + "/email/sending/send_raw");
    BOOST_TEST(req.header("Host") == "api.cloudflare.com");
    BOOST_TEST(req.header("Authorization") == "Bearer secret-token");
    BOOST_TEST(req.header("X-Auth-Key").empty());
    BOOST_TEST(req.header("X-Auth-Email").empty());
    BOOST_TEST(req.header("Content-Type") == "application/json");
    BOOST_TEST(req.header("Accept") == "application/json");
    BOOST_TEST(req.header("User-Agent") == "cfmail/" CFMAIL_VERSION_STRING);

    auto body = boost::json::parse(req.full_body()).as_object();
    BOOST_TEST(body.size() == 3u);
    BOOST_TEST(body.at("from").as_string() == "sender@example.com");
    BOOST_TEST(body.at("recipients").as_array().size() == 1u);
    BOOST_TEST(body.at("recipients").at(0).as_string() == "recipient@example.com");
    BOOST_TEST(body.at("mime_message").as_string() == simple_mime);
}

BOOST_AUTO_TEST_CASE(global_key_sends_only_the_key_scheme) {
    started s(valid_request(), api_key{"me@example.com", "global-key"});
    const http_request& req = s.algo.request();
    BOOST_TEST(req.header("X-Auth-Email") == "me@example.com");
    BOOST_TEST(req.header("X-Auth-Key") == "global-key");
    BOOST_TEST(req.header("Authorization").empty());
}

BOOST_AUTO_TEST_CASE(body_round_trips_hostile_mime) {
    std::string mime = "From: s@example.com\r\nSubject: =?UTF-8?B?w6k=?=\r\n\r\n"
                       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7 \"quoted\" back\\slash "
                       "tab\t bell\x07 nul";
    mime.push_back('\0');
    mime += " esc\x1b del\x7f </script> \\u0000 end\r\n";
    auto req = valid_request();
    req.mime_message = mime;
    started s(req);
    BOOST_TEST_REQUIRE((s.action.what == next_action::kind::round_trip));
    auto body = boost::json::parse(s.algo.request().full_body()).as_object();
    const auto& round_tripped = body.at("mime_message").as_string();
    BOOST_TEST(std::string(round_tripped.data(), round_tripped.size()) == mime);
    // Control characters travel escaped, never raw.
    const auto wire = s.algo.request().full_body();
    BOOST_TEST(wire.size() == s.algo.request().body_size());
    BOOST_TEST(wire.find('\x07') == std::string::npos);
    BOOST_TEST(wire.find('\0') == std::string::npos);
}

// The fast escaper writes what Boost.JSON's serializer writes, whole or in chunks of any size.
BOOST_AUTO_TEST_CASE(json_escaping_matches_boost_json_in_any_chunking) {
    std::string every_byte;
    for (int c = 1; c < 256; ++c)
        every_byte.push_back(char(c));
    std::minstd_rand rng(7);
    std::vector<std::string> samples = {"", "plain ascii, long enough to span words", every_byte,
                                        std::string(1, '\0'), "\"\\\r\n"};
    for (int i = 0; i < 200; ++i) {
        std::string s(rng() % 300, ' ');
        for (auto& ch : s) // mostly printable, sometimes a byte that needs escaping
            ch = rng() % 8 == 0 ? "\"\\\n\r\t\x01\x1f\x7f"[rng() % 8] : char(' ' + rng() % 95);
        samples.push_back(s);
    }
    for (const auto& s : samples) {
        const std::string expected = boost::json::serialize(boost::json::string_view(s));
        std::string whole = "<";
        detail::append_json_string(whole, s);
        BOOST_TEST(whole == "<" + expected);
        BOOST_TEST(detail::json_escaped_size(s) + 2 == expected.size());
        for (std::size_t room : {1u, 2u, 5u, 6u, 7u, 13u, 64u, 4096u}) {
            request_body body;
            body.clear(true);
            body.append("{\"m\":");
            body.stream_json_string(s);
            body.push_back('}');
            BOOST_TEST_REQUIRE(!body.contiguous());
            std::string out;
            char chunk[4096];
            request_body::reader reader(body);
            while (!reader.done()) {
                const std::size_t n = reader.read(chunk, room);
                BOOST_TEST_REQUIRE(n > 0u);
                out.append(chunk, n);
            }
            BOOST_TEST(out == "{\"m\":" + expected + "}");
            BOOST_TEST(out.size() == body.size());
        }
    }
}

// RFC 4648 base64, written out independently of the library's (OpenSSL's) encoder.
std::string reference_base64(std::string_view in) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const unsigned v =
            (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        for (int shift : {18, 12, 6, 0})
            out += alphabet[(v >> shift) & 63];
    }
    if (const std::size_t rest = in.size() - i; rest != 0) {
        unsigned v = (unsigned char)in[i] << 16;
        if (rest == 2)
            v |= (unsigned char)in[i + 1] << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// Base64 parts, streamed in any chunk size or encoded at once, give the reference encoding, and
// several streamed parts of both kinds keep their order around the literal text.
BOOST_AUTO_TEST_CASE(base64_parts_stream_and_build_the_same_bytes) {
    std::minstd_rand rng(11);
    for (std::size_t length : {0u, 1u, 2u, 3u, 4u, 5u, 57u, 58u, 1000u, 70000u}) {
        std::string bytes(length, '\0');
        for (auto& b : bytes)
            b = static_cast<char>(rng());
        const std::string expected = "[" + reference_base64(bytes) + "|\"x\\\"\"]";
        request_body built;
        built.clear(false);
        built.push_back('[');
        built.stream_base64(bytes);
        built.push_back('|');
        built.stream_json_string("x\"");
        built.push_back(']');
        BOOST_TEST(built.contiguous());
        BOOST_TEST(built.to_string() == expected);
        for (std::size_t room : {1u, 3u, 4u, 5u, 9u, 4096u, 65536u}) {
            request_body streamed;
            streamed.clear(true);
            streamed.push_back('[');
            streamed.stream_base64(bytes);
            streamed.push_back('|');
            streamed.stream_json_string("x\"");
            streamed.push_back(']');
            BOOST_TEST_REQUIRE(streamed.streamed_parts().size() == 2u);
            BOOST_TEST(streamed.streamed_parts()[0].value.data() == bytes.data()); // no copy
            std::string out;
            std::vector<char> chunk(room);
            request_body::reader reader(streamed);
            while (!reader.done()) {
                const std::size_t n = reader.read(chunk.data(), room);
                BOOST_TEST_REQUIRE(n > 0u);
                out.append(chunk.data(), n);
            }
            BOOST_TEST(out == expected, "length " << length << ", room " << room);
            BOOST_TEST(streamed.size() == expected.size());
        }
    }
}

// A transport that streams gets the message as a streamed part; any other gets it escaped in
// the body's text. Both put the same bytes on the wire.
BOOST_AUTO_TEST_CASE(streamed_and_built_bodies_are_the_same_bytes) {
    auto req = valid_request();
    req.mime_message = "Subject: \"quoted\"\r\n\r\ncaf\xc3\xa9\ttab\x01\r\n";
    detail::endpoint ep;
    std::string why;
    BOOST_TEST_REQUIRE(!detail::parse_base_url("https://api.cloudflare.com/client/v4", ep, why));
    http_request built, streamed;
    detail::build_request(req, ep, api_token{"t"}, {}, built, false);
    detail::build_request(req, ep, api_token{"t"}, {}, streamed, true);
    BOOST_TEST(built.body.contiguous());
    BOOST_TEST_REQUIRE(streamed.body.streamed_parts().size() == 1u); // the message alone
    BOOST_TEST(streamed.body.streamed_parts().back().value.data() ==
               req.mime_message.data()); // no copy
    BOOST_TEST(streamed.full_body() == built.body.text());
    BOOST_TEST(streamed.body_size() == built.body.text().size());
    BOOST_TEST(built.full_body() == built.body.text());
}

// No literal text around the streamed strings, and an output buffer of exactly the right size:
// the reader still finishes.
BOOST_AUTO_TEST_CASE(reader_finishes_with_empty_literals_and_exact_room) {
    http_request req;
    req.body.clear(true);
    req.body.stream_json_string("a\nb");
    BOOST_TEST(req.full_body() == "\"a\\nb\"");
    BOOST_TEST(req.body_size() == 6u);
    request_body empty;
    empty.clear(true);
    empty.stream_json_string("");
    request_body::reader reader(empty);
    char two[2];
    BOOST_TEST(reader.read(two, 2) == 2u);
    BOOST_TEST(reader.done());
    BOOST_TEST(reader.read(two, 0) == 0u);
}

BOOST_AUTO_TEST_CASE(account_id_is_percent_encoded) {
    auto req = valid_request();
    req.account_id = "acc{1}|x";
    started s(req);
    BOOST_TEST_REQUIRE((s.action.what == next_action::kind::round_trip));
    BOOST_TEST(s.algo.request().target ==
               "/client/v4/accounts/acc%7B1%7D%7Cx/email/sending/send_raw");
}

BOOST_AUTO_TEST_CASE(base_url_forms) {
    struct expectation {
        const char* url;
        const char* host;
        const char* port;
        const char* host_header;
        const char* prefix;
    };
    const expectation cases[] = {
        {"https://api.cloudflare.com/client/v4/", "api.cloudflare.com", "443", "api.cloudflare.com",
         "/client/v4"},
        {"https://mail.example.com:8443", "mail.example.com", "8443", "mail.example.com:8443", ""},
        {"http://127.0.0.1:8080/client/v4", "127.0.0.1", "8080", "127.0.0.1:8080", "/client/v4"},
        {"http://localhost:9/x//", "localhost", "9", "localhost:9", "/x"},
        {"http://[::1]:7000/v4", "::1", "7000", "[::1]:7000", "/v4"},
    };
    for (const auto& c : cases) {
        client_options opts;
        opts.base_url = c.url;
        started s(valid_request(), api_token{"t"}, opts);
        BOOST_TEST_REQUIRE((s.action.what == next_action::kind::round_trip), c.url);
        BOOST_TEST(s.algo.request().host == c.host);
        BOOST_TEST(s.algo.request().port == c.port);
        BOOST_TEST(s.algo.request().header("Host") == c.host_header);
        BOOST_TEST(s.algo.request().target ==
                   std::string(c.prefix) + "/accounts/" + account + "/email/sending/send_raw");
    }
}

BOOST_AUTO_TEST_CASE(base_url_rejections) {
    const char* cases[] = {
        "http://api.cloudflare.com/client/v4", // credentials in clear over a network
        "http://10.0.0.1:8080/",
        "ftp://example.com/",
        "api.cloudflare.com/client/v4",
        "https://user:pw@api.cloudflare.com/",
        "https://api.cloudflare.com/client/v4?x=1",
        "https://api.cloudflare.com/#frag",
        "https:///nohost",
        "https://example.com:0/",
        "https://example.com:99999/",
        "",
    };
    for (const char* url : cases) {
        client_options opts;
        opts.base_url = url;
        started s(valid_request(), api_token{"t"}, opts);
        BOOST_TEST(s.action.ec == error::invalid_request, url);
        BOOST_TEST(s.diag.detail.rfind("base_url", 0) == 0u, url << ": " << s.diag.detail);
    }
}

BOOST_AUTO_TEST_CASE(missing_credentials_before_any_io) {
    started s(valid_request(), credentials{});
    BOOST_TEST(s.action.what == next_action::kind::done);
    BOOST_TEST(s.action.ec == error::missing_credentials);
    BOOST_TEST(s.diag.attempts == 0u);
    BOOST_TEST(is_auth_failure(s.action.ec, s.diag));
}

BOOST_AUTO_TEST_CASE(header_injection_through_credentials_or_user_agent) {
    started token(valid_request(), api_token{"abc\r\nX-Evil: 1"});
    BOOST_TEST(token.action.ec == error::invalid_request);
    BOOST_TEST(token.diag.detail.find("abc") == std::string::npos);
    started key(valid_request(), api_key{"me@example.com", "k\n"});
    BOOST_TEST(key.action.ec == error::invalid_request);
    client_options opts;
    opts.user_agent = "ua\r\nX: y";
    started ua(valid_request(), api_token{"t"}, opts);
    BOOST_TEST(ua.action.ec == error::invalid_request);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(validation)

BOOST_AUTO_TEST_CASE(account_id_rules) {
    for (std::string bad : {"", "a/b", "a?b", "a#b", "a%2fb", "a b", "a\tb",
                            "a\x01"
                            "b",
                            "..", "a..b", ".", "a\\b"}) {
        auto req = valid_request();
        req.account_id = bad;
        check_invalid(req, "account_id");
    }
    auto req = valid_request();
    req.account_id = std::string(129, 'a');
    check_invalid(req, "account_id");
}

BOOST_AUTO_TEST_CASE(address_rules) {
    const char* bad_addresses[] = {
        "",
        "no-at-sign",
        "@example.com",
        "user@",
        "user@exa mple.com",
        "user\r\n@example.com",
        "user@example.com\r\nRCPT TO:<x@y.z>",
        "us\x01er@example.com",
        "us\xc3\xa9r@example.com",
        "Name <user@example.com>",
        "user@example..com",
        ".user@example.com",
        "user.@example.com",
        "\"unterminated@example.com",
        "user@[127.0.0.1",
        // Empty or malformed address literals, and host names DNS cannot hold.
        "user@[]",
        "user@[",
        "user@]",
        "user@127.0.0.1]",
        "user@[1.2.3.4]]",
        "user@[a[b]",
        "user@[a\\b]",
        "user@[foo]",
        "user@[1.2.3]",
        "user@[1.2.3.256]",
        "user@[1.2.3.4.]",
        "user@[:x]",
        "user@[IPv6:]",
        "user@-example.com",
        "user@example-.com",
        "user@example.com.",
        "user@.example.com",
        "user@a.-b.com",
    };
    for (const char* bad : bad_addresses) {
        auto req = valid_request();
        req.from = bad;
        check_invalid(req, "from");
        req = valid_request();
        req.recipients = {"ok@example.com", bad};
        check_invalid(req, "recipients[1]");
    }
    auto req = valid_request();
    req.from = std::string(310, 'a') + "@example.com";
    check_invalid(req, "from");
    req.from = std::string(65, 'a') + "@example.com"; // RFC 5321: 64 octets of local part
    check_invalid(req, "from");
    req.from = "a@" + std::string(64, 'b') + ".example.com"; // a DNS label holds 63
    check_invalid(req, "from");
    req.from = "a@" + std::string(250, 'b') + ".com"; // a name holds 253
    check_invalid(req, "from");

    // Forms that are valid and must pass.
    for (const char* good :
         {"a@example.com", "first.last+tag@sub.example.co.uk", "\"quoted local\"@example.com",
          "x@[192.0.2.1]", "x@[IPv6:2001:db8::1]", "x@[tag-1:content]", "o'brien@example.ie",
          "a@localhost", "a@xn--bcher-kva.example", "a@0.example"}) {
        auto ok = valid_request();
        ok.from = good;
        ok.recipients = {good};
        started s(ok);
        BOOST_TEST((s.action.what == next_action::kind::round_trip), good << ": " << s.diag.detail);
    }
}

BOOST_AUTO_TEST_CASE(recipient_count) {
    auto req = valid_request();
    req.recipients.clear();
    check_invalid(req, "recipients");

    req.recipients.assign(50, "r@example.com");
    started fifty(req);
    BOOST_TEST((fifty.action.what == next_action::kind::round_trip));

    req.recipients.assign(51, "r@example.com");
    check_invalid(req, "recipients");

    client_options opts;
    opts.max_recipients = 3;
    req.recipients.assign(4, "r@example.com");
    check_invalid(req, "recipients", opts);
}

// `size` bytes of `fill` in CRLF-terminated lines of 78 octets, as a mail writer wraps them.
std::string wrapped(std::size_t size, char fill) {
    std::string out;
    out.reserve(size);
    while (out.size() < size) {
        const std::size_t room = size - out.size();
        if (room <= 2) {
            out.append(room, fill);
            break;
        }
        const std::size_t line = std::min<std::size_t>(76, room - 2);
        out.append(line, fill).append("\r\n");
    }
    return out;
}

BOOST_AUTO_TEST_CASE(mime_rules) {
    auto with_mime = [](std::string mime) {
        auto req = valid_request();
        req.mime_message = std::move(mime);
        return req;
    };
    check_invalid(with_mime(""), "mime_message");
    check_invalid(with_mime("just a body without headers\r\n\r\n"), "mime_message");
    check_invalid(with_mime(": no name\r\n\r\nx"), "mime_message");
    check_invalid(with_mime("Subject: no blank line\r\nFrom: a@b.c\r\n"), "mime_message");
    check_invalid(with_mime("Subject: latin1 \xe9\r\n\r\nx"), "mime_message");
    check_invalid(with_mime("Subject: overlong \xc0\xaf\r\n\r\nx"), "mime_message");
    check_invalid(with_mime("Subject: surrogate \xed\xa0\x80\r\n\r\nx"), "mime_message");
    check_invalid(with_mime("Subject: cut \xe2\x82"), "mime_message");

    // RFC 5322: 998 octets a line, excluding the line break (CRLF or a bare LF); the error
    // names the line.
    const std::string line_998(998, 'l');
    started longest(with_mime("Subject: x\r\n\r\n" + line_998 + "\r\n" + line_998));
    BOOST_TEST((longest.action.what == next_action::kind::round_trip), longest.diag.detail);
    for (const char* tail : {"\r\n", "\n", ""}) {
        started over(with_mime("Subject: x\r\n\r\nok\r\n" + line_998 + "m" + tail + "ok\r\n"));
        BOOST_TEST(over.action.ec == error::invalid_request);
        BOOST_TEST(over.diag.detail.find("line 4 ") != std::string::npos, over.diag.detail);
    }
    started long_header(with_mime("Subject: " + std::string(990, 's') + "\r\n\r\nx"));
    BOOST_TEST(long_header.action.ec == error::invalid_request);
    BOOST_TEST(long_header.diag.detail.find("line 1 ") != std::string::npos);
    // A CR that is not part of a line break counts as an octet of the line.
    started bare_cr(with_mime("Subject: x\r\n\r\n" + line_998 + "\r\r\n"));
    BOOST_TEST(bare_cr.action.ec == error::invalid_request);

    // Exactly at the default 5 MiB limit passes, one byte more fails.
    const std::string head = "Subject: big\r\n\r\n";
    std::string mime = head + wrapped(5 * 1024 * 1024 - head.size(), 'x');
    started at_limit(with_mime(mime));
    BOOST_TEST((at_limit.action.what == next_action::kind::round_trip));
    check_invalid(with_mime(mime + "x"), "mime_message");

    // The limit is configurable, and capped at the API's 25 MiB.
    client_options small;
    small.max_message_size = 100;
    check_invalid(with_mime(head + std::string(100, 'y')), "mime_message", small);
    client_options huge;
    huge.max_message_size = 100u * 1024u * 1024u;
    check_invalid(with_mime(head + wrapped(25 * 1024 * 1024, 'z')), "mime_message", huge);
    client_options larger;
    larger.max_message_size = 25u * 1024u * 1024u;
    started six_mib(with_mime(head + wrapped(6 * 1024 * 1024, 'w')), api_token{"t"}, larger);
    BOOST_TEST((six_mib.action.what == next_action::kind::round_trip));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(credentials_and_secrets)

BOOST_AUTO_TEST_CASE(printing_never_shows_the_secret) {
    std::ostringstream out;
    out << credentials(api_token{"tok-SECRET-123"}) << ' ' << api_token{"tok-SECRET-123"} << ' '
        << credentials(api_key{"me@example.com", "key-SECRET-456"}) << ' ' << credentials{};
    BOOST_TEST(out.str().find("SECRET") == std::string::npos);
    BOOST_TEST(out.str().find("me@example.com") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(diagnostics_and_exception_never_show_the_secret) {
    started s(valid_request(), api_token{"tok-SECRET-789"});
    s.algo.response().status = 403;
    s.algo.response().request_written = true;
    s.algo.response().body =
        R"({"success":false,"errors":[{"code":10102,"message":"Forbidden"}],"result":null})";
    auto action = s.algo.resume({});
    BOOST_TEST(action.ec == error::api_rejected);
    error_with_diagnostics e(action.ec, s.diag);
    BOOST_TEST(std::string(e.what()).find("SECRET") == std::string::npos);
    BOOST_TEST(s.diag.to_string().find("SECRET") == std::string::npos);
    BOOST_TEST(std::string(e.what()).find("10102") != std::string::npos);
    BOOST_TEST(e.auth_failure());
}

BOOST_AUTO_TEST_CASE(from_environment_prefers_the_token) {
    ::setenv("CLOUDFLARE_API_TOKEN", "env-token", 1);
    ::setenv("CLOUDFLARE_EMAIL", "me@example.com", 1);
    ::setenv("CLOUDFLARE_API_KEY", "env-key", 1);
    auto both = credentials::from_environment();
    BOOST_TEST((both.scheme() == auth_scheme::token));
    BOOST_TEST(both.token()->token == "env-token");

    ::unsetenv("CLOUDFLARE_API_TOKEN");
    auto key = credentials::from_environment();
    BOOST_TEST((key.scheme() == auth_scheme::key));
    BOOST_TEST(key.key()->email == "me@example.com");
    BOOST_TEST(key.key()->key == "env-key");

    ::unsetenv("CLOUDFLARE_API_KEY");
    BOOST_TEST(credentials::from_environment().empty());
    ::unsetenv("CLOUDFLARE_EMAIL");
    BOOST_TEST(credentials::from_environment().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_scan)

// The references for the one-pass scan, written plainly and independently of it.

// The offset of the first byte that is not part of valid UTF-8 (RFC 3629), or npos.
std::size_t first_invalid_utf8(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = byte(i);
        std::size_t length = 0;
        unsigned char low = 0x80, high = 0xbf; // the range of the second byte
        if (c < 0x80)
            length = 1;
        else if (c >= 0xc2 && c <= 0xdf)
            length = 2;
        else if (c == 0xe0)
            length = 3, low = 0xa0;
        else if (c == 0xed)
            length = 3, high = 0x9f;
        else if (c >= 0xe1 && c <= 0xef)
            length = 3;
        else if (c == 0xf0)
            length = 4, low = 0x90;
        else if (c == 0xf4)
            length = 4, high = 0x8f;
        else if (c >= 0xf1 && c <= 0xf3)
            length = 4;
        else
            return i;
        if (i + length > text.size())
            return i;
        for (std::size_t k = 1; k < length; ++k) {
            const unsigned char lo = k == 1 ? low : 0x80, hi = k == 1 ? high : 0xbf;
            if (byte(i + k) < lo || byte(i + k) > hi)
                return i;
        }
        i += length;
    }
    return std::string_view::npos;
}

// The first line over 998 octets, as RFC 5322 counts: a line ends at LF, a CR right before it
// is part of the break.
std::optional<std::size_t> first_overlong_line(std::string_view text) {
    std::size_t line = 1, length = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') {
            const bool crlf = length > 0 && text[i - 1] == '\r';
            if (length - (crlf ? 1 : 0) > 998)
                return line;
            ++line;
            length = 0;
        } else {
            ++length;
        }
    }
    if (length > 998)
        return line;
    return std::nullopt;
}

// scan_mime finds what the plain checks find, on texts built to straddle its 16- and 8-byte
// steps: lines of 990 to 1000 octets, CR, LF and CRLF at every offset, multi-byte characters
// right before and after line breaks, and (in about one text in four) broken UTF-8.
BOOST_AUTO_TEST_CASE(one_pass_agrees_with_the_plain_checks) {
    std::mt19937 random(20261203);
    const std::vector<std::string> valid = {"a",
                                            "b",
                                            "=",
                                            " ",
                                            "\r",
                                            "\n",
                                            "\r\n",
                                            "\xc3\xa9",
                                            "\xe2\x82\xac",
                                            "\xf0\x9f\x98\x80",
                                            "\xc3\xa9\n",
                                            "\n\xe2\x82\xac",
                                            "\r\n\xf0\x9f\x98\x80",
                                            "\xe2\x82\xac\r\n",
                                            "\xc3\xa9\r"};
    const std::vector<std::string> invalid = {"\xc0\xaf", "\xed\xa0\x80",     "\xe2\x82",    "\x80",
                                              "\xff",     "\xf4\x90\x80\x80", "\xe0\x80\x80"};
    std::size_t overlong_seen = 0, invalid_seen = 0, valid_seen = 0;
    for (int round = 0; round < 4000; ++round) {
        std::string text;
        const int lines = static_cast<int>(random() % 4);
        for (int l = 0; l < lines; ++l) {
            text.append(990 + random() % 11, 'x');
            text += (random() % 2) ? "\r\n" : "\n";
        }
        const bool break_it = random() % 4 == 0;
        const int extra = static_cast<int>(random() % 48);
        for (int k = 0; k < extra; ++k) {
            // Mostly ASCII, as in real messages, so that the fast paths run between the rest.
            const auto& piece = random() % 3 ? valid[random() % 5] : valid[random() % valid.size()];
            text.insert(random() % (text.size() + 1), piece);
        }
        if (break_it)
            text.insert(random() % (text.size() + 1), invalid[random() % invalid.size()]);
        const auto scan = detail::scan_mime(text);
        const auto bad = first_invalid_utf8(text);
        BOOST_TEST_REQUIRE(scan.invalid_utf8 == bad, "round " << round);
        BOOST_TEST_REQUIRE(detail::find_invalid_utf8(text) == bad, "round " << round);
        if (bad == std::string_view::npos) {
            BOOST_TEST_REQUIRE((scan.overlong_line == first_overlong_line(text)),
                               "round " << round);
            overlong_seen += scan.overlong_line.has_value();
            ++valid_seen;
        } else {
            ++invalid_seen;
        }
    }
    // Every outcome was exercised, many times (an inserted piece may split a character).
    BOOST_TEST(valid_seen > 1500u);
    BOOST_TEST(overlong_seen > 500u);
    BOOST_TEST(invalid_seen > 500u);
}

BOOST_AUTO_TEST_CASE(line_lengths_at_the_edges) {
    const std::string line_998(998, 'l');
    BOOST_TEST(!detail::scan_mime(line_998).overlong_line);
    BOOST_TEST((detail::scan_mime(line_998 + "l").overlong_line == std::optional<std::size_t>(1)));
    BOOST_TEST(!detail::scan_mime(line_998 + "\r\n" + line_998 + "\n").overlong_line);
    // An unterminated last line counts all its bytes, a CR at its end too.
    BOOST_TEST((detail::scan_mime(line_998 + "\r").overlong_line == std::optional<std::size_t>(1)));
    // A CR not followed by LF is an octet of the line.
    BOOST_TEST((detail::scan_mime("a\n" + line_998 + "\r\r\n").overlong_line ==
                std::optional<std::size_t>(2)));
    // Invalid UTF-8 is reported where it is, even after an overlong line.
    const auto scan = detail::scan_mime(line_998 + "ll\n\xc3(");
    BOOST_TEST(scan.invalid_utf8 == 1001u);
    // "ok ", a euro sign (3 bytes), LF, an emoji (4 bytes), a space: the surrogate is at 12.
    BOOST_TEST(detail::scan_mime("ok \xe2\x82\xac\n\xf0\x9f\x98\x80 \xed\xa0\x80").invalid_utf8 ==
               12u);
    BOOST_TEST(detail::scan_mime(std::string(40, 'a') + "\xe0\x9f\xbf").invalid_utf8 == 40u);
    BOOST_TEST(detail::scan_mime("").invalid_utf8 == std::string_view::npos);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_request_test
