// The emulator's request handling, without a server: statuses, codes, routing and storage
// decisions as the API documents them; and how it stores messages.
#include "../../example/emulator/handler.hpp"
#include "../../example/emulator/maildir.hpp"

#include <cfmail/detail/mime_encoding.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unistd.h>
#include <utility>
#include <vector>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_emulator_test {

using namespace cfmail_emulator;

namespace {

const std::string target = "/client/v4/accounts/abc/email/sending/send_raw";
const std::string good_body =
    R"({"from":"s@example.com","recipients":["a@example.com","b@bounce.test","c@queue.test"],)"
    R"("mime_message":"Subject: x\r\n\r\ny"})";

answer call(std::string_view method, std::string_view path, std::string_view body,
            std::string_view authorization = "Bearer any", const settings& s = {}) {
    return handle(s, {method, path, authorization, "", "", body});
}

std::int64_t first_code(const answer& a) {
    return boost::json::parse(a.body).at("errors").at(0).at("code").as_int64();
}

namespace fs = std::filesystem;

// A fresh directory, removed at the end of the test.
struct scratch_dir {
    fs::path path = fs::temp_directory_path() /
                    ("cfmail-maildir-" + std::to_string(::getpid()) + "-" + std::to_string(next()));
    scratch_dir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~scratch_dir() { fs::remove_all(path); }
    static int next() {
        static int n = 0;
        return n++;
    }
    // The names in the directory, sorted.
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& entry : fs::directory_iterator(path))
            out.push_back(entry.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

accepted_message sample_message(std::string stem) {
    accepted_message m;
    m.file_stem = std::move(stem);
    m.message_id = "<" + m.file_stem + "@emulator.cfmail.test>";
    m.account_id = "abc";
    m.from = "s@example.com";
    m.recipients = {"r@example.com"};
    m.mime_message = "Subject: x\r\n\r\ny";
    return m;
}

// The stateful handler: requests answered with what earlier ones left in `memory`.
answer call_in(state& memory, std::string_view method, std::string_view path,
               std::string_view body = "", std::string_view authorization = "Bearer any",
               const settings& s = {}) {
    return handle(s, memory, {method, path, authorization, "", "", body});
}

std::string api(std::string_view endpoint, std::string_view account = "abc") {
    return "/client/v4/accounts/" + std::string(account) + "/email/sending/" +
           std::string(endpoint);
}

// 2026-07-01T12:00:00Z, a Wednesday.
const std::chrono::system_clock::time_point start_time =
    std::chrono::sys_days{std::chrono::July / 1 / 2026} + std::chrono::hours(12);

// Makes `memory` read the time from `now`, which the test then moves by hand.
void fix_clock(state& memory, const std::chrono::system_clock::time_point& now) {
    memory.clock = [&now] { return now; };
}

boost::json::value result_of(const answer& a) {
    return boost::json::parse(a.body).at("result");
}

boost::json::value info_of(const answer& a) {
    return boost::json::parse(a.body).at("result_info");
}

std::string first_message(const answer& a) {
    return std::string(boost::json::parse(a.body).at("errors").at(0).at("message").as_string());
}

std::string text_of(const boost::json::value& v) {
    return std::string(v.as_string());
}

std::uint64_t count_of(const boost::json::value& v) {
    return v.to_number<std::uint64_t>();
}

std::string header_value(const answer& a, std::string_view name) {
    for (const auto& [n, v] : a.headers) {
        if (n == name)
            return v;
    }
    return {};
}

bool is_hex_id(std::string_view id) {
    return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Creates a suppression through the API; returns its id.
std::string create_through_api(state& memory, const boost::json::object& body,
                               const settings& s = {}) {
    auto a =
        call_in(memory, "POST", api("suppressions"), boost::json::serialize(body), "Bearer any", s);
    BOOST_TEST_REQUIRE(a.status == 200u, a.body);
    return text_of(result_of(a).at("id"));
}

// Loads `text` as a --suppressions file would be.
void load_into(state& memory, std::string_view text) {
    const auto wrong =
        load_suppressions(text, memory.suppressions, memory.now(), [] { return random_hex(16); });
    BOOST_TEST_REQUIRE(!wrong.has_value(), wrong.value_or(""));
}

// The addresses of a list page, in order.
std::vector<std::string> emails_of(const answer& a) {
    std::vector<std::string> out;
    const auto result = result_of(a); // the loop must not range over a destroyed temporary
    for (const auto& s : result.as_array())
        out.push_back(text_of(s.at("email")));
    return out;
}

std::vector<std::string> split_lines(std::string_view s) {
    std::vector<std::string> out;
    for (std::size_t from = 0; from <= s.size();) {
        auto end = s.find("\r\n", from);
        if (end == std::string_view::npos)
            end = s.size();
        out.emplace_back(s.substr(from, end - from));
        from = end + 2;
    }
    return out;
}

// Whether every line ends in CRLF: no LF without CR before it, no CR without LF after it.
bool crlf_only(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            return false;
        if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n'))
            return false;
    }
    return true;
}

std::size_t longest_line(std::string_view s) {
    std::size_t longest = 0;
    for (const auto& line : split_lines(s))
        longest = std::max(longest, line.size());
    return longest;
}

// The top-level header fields of a message, each line preceded by CRLF.
std::string head_of(std::string_view mime) {
    return "\r\n" + std::string(mime.substr(0, mime.find("\r\n\r\n") + 2));
}

bool has_header_field(std::string_view mime, std::string_view name) {
    return lowercase(head_of(mime)).find("\r\n" + lowercase(name) + ":") != std::string::npos;
}

// The value of a top-level header field, unfolded; empty when the field is absent.
std::string header_field(std::string_view mime, std::string_view name) {
    const auto head = head_of(mime);
    const auto key = "\r\n" + lowercase(name) + ":";
    const auto at = lowercase(head).find(key);
    if (at == std::string::npos)
        return {};
    std::string value;
    for (auto i = at + key.size(); i < head.size(); ++i) {
        if (head.compare(i, 2, "\r\n") == 0) {
            if (i + 2 < head.size() && (head[i + 2] == ' ' || head[i + 2] == '\t')) {
                ++i; // unfolding drops the CRLF and keeps the space
                continue;
            }
            break;
        }
        value += head[i];
    }
    return value.substr(std::min(value.find_first_not_of(' '), value.size()));
}

// The body of the MIME part whose header holds `marker`, up to the next boundary line.
std::string part_body(std::string_view mime, std::string_view marker) {
    const auto at = mime.find(marker);
    if (at == std::string_view::npos)
        return {};
    const auto begin = mime.find("\r\n\r\n", at);
    if (begin == std::string_view::npos)
        return {};
    const auto end = mime.find("\r\n--", begin + 4);
    return std::string(
        mime.substr(begin + 4, end == std::string_view::npos ? end : end - begin - 4));
}

// Canonical base64, as a client sends attachment content.
std::string base64(std::string_view bytes) {
    std::string out;
    cfmail::mime::detail::append_base64(out, bytes);
    return out;
}

// A structured send that the API accepts.
boost::json::object good_send() {
    return {{"from", "s@example.com"},
            {"subject", "Hi"},
            {"to", boost::json::array{"a@example.com"}},
            {"text", "hello"}};
}

answer send_in(state& memory, const boost::json::object& body, const settings& s = {}) {
    return call_in(memory, "POST", api("send"), boost::json::serialize(body), "Bearer any", s);
}

std::string bytes_of_length(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out += static_cast<char>((i * 7 + 3) & 0xff);
    return out;
}

boost::json::object json_object(std::string_view text) {
    return boost::json::parse(text).as_object();
}

// A send_raw body from `from` to a JSON array of recipients.
std::string raw_send(std::string_view from, std::string_view recipients_json) {
    return R"({"from":")" + std::string(from) + R"(","recipients":)" +
           std::string(recipients_json) + R"(,"mime_message":"Subject: x\r\n\r\ny"})";
}

} // namespace

BOOST_AUTO_TEST_SUITE(emulator)

BOOST_AUTO_TEST_CASE(accepts_and_routes_by_domain) {
    auto a = call("POST", target, good_body);
    BOOST_TEST(a.status == 200u);
    BOOST_TEST_REQUIRE(a.stored.has_value());
    BOOST_TEST(a.stored->mime_message == "Subject: x\r\n\r\ny");
    BOOST_TEST(a.stored->file_stem.find_first_not_of("0123456789abcdef") == std::string::npos);
    auto result = boost::json::parse(a.body).at("result");
    BOOST_TEST(result.at("delivered").at(0).as_string() == "a@example.com");
    BOOST_TEST(result.at("permanent_bounces").at(0).as_string() == "b@bounce.test");
    BOOST_TEST(result.at("queued").at(0).as_string() == "c@queue.test");
    BOOST_TEST(result.at("message_id").as_string() == a.stored->message_id);
}

BOOST_AUTO_TEST_CASE(documented_errors) {
    BOOST_TEST(call("POST", "/client/v4/other", good_body).status == 404u);
    BOOST_TEST(first_code(call("POST", "/client/v4/other", good_body)) == 10000);
    BOOST_TEST(call("GET", target, "").status == 405u);
    BOOST_TEST(call("POST", target, good_body, "").status == 401u);
    BOOST_TEST(first_code(call("POST", target, good_body, "")) == 10101);
    settings only;
    only.token = "right";
    BOOST_TEST(call("POST", target, good_body, "Bearer wrong", only).status == 401u);
    BOOST_TEST(call("POST", target, good_body, "Bearer right", only).status == 200u);
    BOOST_TEST(handle({}, {"POST", target, "", "me@example.com", "key", good_body}).status == 200u);

    for (std::string body :
         {std::string("not json"), std::string(R"({"from":"s@example.com"})"),
          std::string(R"({"from":"s@example.com","recipients":[],"mime_message":"x"})"),
          std::string(
              R"({"from":"s@example.com","recipients":["a@b.c"],"mime_message":"x","extra":1})"),
          std::string(
              R"({"from":"s\u00e9@example.com","recipients":["a@b.c"],"mime_message":"x"})"),
          std::string(R"({"from":"s@example.com","recipients":"a@b.c","mime_message":"x"})")}) {
        auto a = call("POST", target, body);
        BOOST_TEST(a.status == 400u, body);
        BOOST_TEST(first_code(a) == 10001, body);
        BOOST_TEST(!a.stored.has_value());
    }
    std::string big = R"({"from":"s@example.com","recipients":["a@b.c"],"mime_message":")" +
                      std::string(5 * 1024 * 1024 + 1, 'x') + "\"}";
    BOOST_TEST(first_code(call("POST", target, big)) == 10202);
}

BOOST_AUTO_TEST_CASE(faults_by_account_prefix) {
    auto path = [](std::string account) {
        return "/client/v4/accounts/" + account + "/email/sending/send_raw";
    };
    auto limited = call("POST", path("fault-429-x"), good_body);
    BOOST_TEST(limited.status == 429u);
    BOOST_TEST(!limited.stored.has_value());
    auto gateway = call("POST", path("fault-502-x"), good_body);
    BOOST_TEST(gateway.status == 502u);
    BOOST_TEST(gateway.stored.has_value()); // accepted, then the answer is lost
    auto success_false = call("POST", path("fault-successfalse-x"), good_body);
    BOOST_TEST(success_false.status == 200u);
    BOOST_TEST(!success_false.stored.has_value());
}

BOOST_AUTO_TEST_CASE(token_comparison_is_exact) {
    BOOST_TEST(same_secret("right-token", "right-token"));
    BOOST_TEST(!same_secret("right-tokeN", "right-token"));
    BOOST_TEST(!same_secret("Right-token", "right-token"));
    BOOST_TEST(!same_secret("right-toke", "right-token"));
    BOOST_TEST(!same_secret("right-token-", "right-token"));
    BOOST_TEST(!same_secret("", "right-token"));
    BOOST_TEST(same_secret(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
    BOOST_TEST(!same_secret(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));

    settings only;
    only.token = "right-token";
    for (const char* wrong : {"Bearer right-toke", "Bearer right-tokenn", "Bearer right-tokeN",
                              "Bearer RIGHT-TOKEN", "Bearer  right-token"})
        BOOST_TEST(call("POST", target, good_body, wrong, only).status == 401u, wrong);
    BOOST_TEST(call("POST", target, good_body, "Bearer right-token", only).status == 200u);
}

BOOST_AUTO_TEST_CASE(transfer_encoding_must_end_with_chunked) {
    for (const char* te : {"chunked", "Chunked", "CHUNKED", " chunked ", "gzip, chunked",
                           "gzip,chunked", "gzip ,\tchunked", ", chunked,"})
        BOOST_TEST(chunked_is_last(te), te);
    for (const char* te : {"", " ", "gzip", "chunked, gzip", "chunked,gzip", "chunked, chunked",
                           "gzip, chunked, chunked", "chunked;ext=1", "x y, chunked", "chunkedx",
                           "identity", "chunked\r\n"})
        BOOST_TEST(!chunked_is_last(te), te);
}

BOOST_AUTO_TEST_CASE(faults_that_carry_control_characters) {
    auto path = [](std::string account) {
        return "/client/v4/accounts/" + account + "/email/sending/send_raw";
    };
    auto escape = call("POST", path("fault-escape-x"), good_body);
    BOOST_TEST(escape.status == 400u);
    BOOST_TEST(!escape.stored.has_value());
    const std::string message(
        boost::json::parse(escape.body).at("errors").at(0).at("message").as_string());
    BOOST_TEST(message.find("\x1b[31m") != std::string::npos);
    BOOST_TEST(message.find("\xc2\x9b") != std::string::npos);
    BOOST_TEST(message.find('\x7f') != std::string::npos);
    bool raw_c1_in_cf_ray = false;
    for (const auto& [name, value] : escape.headers)
        raw_c1_in_cf_ray = raw_c1_in_cf_ray || (name == "cf-ray" && value.find('\x9b') == 0);
    BOOST_TEST(raw_c1_in_cf_ray);

    auto escape_ok = call("POST", path("fault-escapeok-x"), good_body);
    BOOST_TEST(escape_ok.status == 200u);
    BOOST_TEST_REQUIRE(escape_ok.stored.has_value());
    const std::string id(
        boost::json::parse(escape_ok.body).at("result").at("message_id").as_string());
    BOOST_TEST(id == escape_ok.stored->message_id);
    BOOST_TEST(id.find('\x1b') != std::string::npos);
    BOOST_TEST(escape_ok.stored->file_stem.find_first_not_of("0123456789abcdef") ==
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(store_writes_both_files) {
    scratch_dir dir;
    const auto m = sample_message("00aa");
    BOOST_TEST_REQUIRE(store(dir.path, m));
    BOOST_TEST(dir.names() == (std::vector<std::string>{"00aa.eml", "00aa.json"}),
               boost::test_tools::per_element());
    std::ifstream in(dir.path / "00aa.eml", std::ios::binary);
    BOOST_TEST(std::string(std::istreambuf_iterator<char>(in), {}) == m.mime_message);
}

BOOST_AUTO_TEST_CASE(a_failed_store_leaves_no_file) {
    // Each step made to fail by a directory where it needs to write a file: the only entry
    // left is that directory.
    for (const std::string obstacle : {"01bb.json", "01bb.eml.tmp", "01bb.eml"}) {
        scratch_dir dir;
        fs::create_directories(dir.path / obstacle / "occupied");
        BOOST_TEST(!store(dir.path, sample_message("01bb")), obstacle);
        BOOST_TEST(dir.names() == std::vector<std::string>{obstacle},
                   boost::test_tools::per_element());
        BOOST_TEST(fs::is_directory(dir.path / obstacle / "occupied"), obstacle);
    }
}

BOOST_AUTO_TEST_CASE(send_structured_accepts_and_composes) {
    state memory;
    const auto now = start_time;
    fix_clock(memory, now);
    const auto a = send_in(memory, json_object(R"({
        "from": {"address": "s@example.com", "name": "Sender Name"},
        "subject": "Greetings",
        "to": [{"address": "a@example.com", "name": "Ann"}, "b@example.com"],
        "cc": "c@example.com",
        "bcc": ["d@example.com"],
        "reply_to": "r@example.com",
        "text": "line one\nline two\rline three",
        "html": "<p>hi</p>",
        "headers": {"X-Campaign": "spring"}})"));
    BOOST_TEST_REQUIRE(a.status == 200u, a.body);
    BOOST_TEST_REQUIRE(a.stored.has_value());

    // Delivered, and stored, in the order To, Cc, Bcc; the Bcc recipient is a recipient.
    const std::vector<std::string> in_order{"a@example.com", "b@example.com", "c@example.com",
                                            "d@example.com"};
    BOOST_TEST(a.stored->recipients == in_order, boost::test_tools::per_element());
    std::vector<std::string> delivered;
    const auto result = result_of(a);
    for (const auto& r : result.at("delivered").as_array())
        delivered.push_back(text_of(r));
    BOOST_TEST(delivered == in_order, boost::test_tools::per_element());
    BOOST_TEST(a.stored->from == "s@example.com");
    BOOST_TEST(a.stored->account_id == "abc");
    BOOST_TEST(text_of(result_of(a).at("message_id")) == a.stored->message_id);

    const auto& mime = a.stored->mime_message;
    BOOST_TEST(header_field(mime, "From") == "Sender Name <s@example.com>");
    BOOST_TEST(header_field(mime, "To") == "Ann <a@example.com>, b@example.com");
    BOOST_TEST(header_field(mime, "Cc") == "c@example.com");
    BOOST_TEST(header_field(mime, "Reply-To") == "r@example.com");
    BOOST_TEST(header_field(mime, "Subject") == "Greetings");
    BOOST_TEST(header_field(mime, "Date") == "Wed, 01 Jul 2026 12:00:00 +0000");
    BOOST_TEST(header_field(mime, "MIME-Version") == "1.0");
    BOOST_TEST(header_field(mime, "Message-ID") == a.stored->message_id);
    BOOST_TEST(header_field(mime, "X-Campaign") == "spring");
    BOOST_TEST(header_field(mime, "Content-Type").rfind("multipart/alternative;", 0) == 0u);
    // Bcc is in no header, and its address nowhere in the message.
    BOOST_TEST(!has_header_field(mime, "Bcc"));
    BOOST_TEST(mime.find("d@example.com") == std::string::npos);
    // Text line ends, LF or CR alone, become CRLF.
    BOOST_TEST(mime.find("line one\r\nline two\r\nline three") != std::string::npos);
    BOOST_TEST(mime.find("<p>hi</p>") != std::string::npos);
    BOOST_TEST(crlf_only(mime));
    BOOST_TEST(longest_line(mime) <= 998u);
}

BOOST_AUTO_TEST_CASE(send_structured_keeps_every_line_within_998) {
    state memory;
    auto body = good_send();
    boost::json::array to;
    for (int i = 0; i < 50; ++i)
        to.emplace_back(
            boost::json::object{{"address", "recipient" + std::to_string(i) + "@example.com"},
                                {"name", std::string(150, 'n')}});
    body["to"] = std::move(to);
    body["subject"] = std::string(998, 's');
    body["text"] = std::string(3000, 't');
    body["headers"] = boost::json::object{{"X-Long", std::string(990, 'v')}};
    const auto a = send_in(memory, body);
    BOOST_TEST_REQUIRE(a.status == 200u, a.body);
    BOOST_TEST_REQUIRE(a.stored.has_value());
    BOOST_TEST(a.stored->recipients.size() == 50u);
    const auto& mime = a.stored->mime_message;
    BOOST_TEST(crlf_only(mime));
    BOOST_TEST(longest_line(mime) <= 998u);
    BOOST_TEST(header_field(mime, "X-Long") == std::string(990, 'v'));
    // A word of 998 characters does not fit a line after "Subject: ": encoded words do.
    BOOST_TEST(header_field(mime, "Subject").rfind("=?UTF-8?Q?", 0) == 0u);
    // A text line over 998 characters cannot go as 7bit.
    BOOST_TEST(header_field(mime, "Content-Transfer-Encoding") == "quoted-printable");
    BOOST_TEST(mime.find(std::string(999, 't')) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(send_structured_attachments_and_inline_images) {
    state memory;
    const auto report = bytes_of_length(1000), logo = bytes_of_length(300);
    auto body = good_send();
    body["html"] = "<img src=\"cid:logo\">";
    boost::json::array attachments;
    attachments.emplace_back(boost::json::object{{"content", base64(report)},
                                                 {"filename", "report.pdf"},
                                                 {"type", "application/pdf"},
                                                 {"disposition", "attachment"}});
    attachments.emplace_back(boost::json::object{{"content", base64(logo)},
                                                 {"filename", "logo.png"},
                                                 {"type", "image/png"},
                                                 {"disposition", "inline"},
                                                 {"content_id", "<logo>"}});
    body["attachments"] = std::move(attachments);
    const auto a = send_in(memory, body);
    BOOST_TEST_REQUIRE(a.status == 200u, a.body);
    BOOST_TEST_REQUIRE(a.stored.has_value());
    const auto& mime = a.stored->mime_message;
    BOOST_TEST(header_field(mime, "Content-Type").rfind("multipart/mixed;", 0) == 0u);
    BOOST_TEST(mime.find("Content-Type: multipart/alternative;") != std::string::npos);
    const auto related = mime.find("Content-Type: multipart/related;");
    BOOST_TEST(related != std::string::npos);
    BOOST_TEST(mime.find("Content-ID: <logo>\r\n") != std::string::npos);
    BOOST_TEST(mime.find("Content-Disposition: attachment; filename=\"report.pdf\"") !=
               std::string::npos);
    // The inline image goes with the HTML, inside multipart/related.
    const auto inline_image = mime.find("Content-Disposition: inline; filename=\"logo.png\"");
    BOOST_TEST(inline_image != std::string::npos);
    BOOST_TEST(related < inline_image);
    BOOST_TEST(crlf_only(mime));
    BOOST_TEST(longest_line(mime) <= 998u);

    const std::pair<std::string, std::string> parts[] = {{"filename=\"report.pdf\"", report},
                                                         {"filename=\"logo.png\"", logo}};
    for (const auto& [marker, content] : parts) {
        const auto lines = split_lines(part_body(mime, marker));
        BOOST_TEST(lines.size() > 1u, marker);
        std::string joined;
        for (const auto& line : lines) {
            BOOST_TEST(line.size() <= 76u, marker);
            joined += line;
        }
        BOOST_TEST(joined == base64(content), marker);
    }
}

BOOST_AUTO_TEST_CASE(send_structured_refuses_bad_bodies) {
    auto with = [](std::string_view name, boost::json::value v) {
        auto body = good_send();
        body[name] = std::move(v);
        return boost::json::serialize(body);
    };
    auto addresses = [](int n, const std::string& prefix) {
        boost::json::array out;
        for (int i = 0; i < n; ++i)
            out.emplace_back(prefix + std::to_string(i) + "@example.com");
        return out;
    };
    auto headers = [](int n) {
        boost::json::object out;
        for (int i = 0; i < n; ++i) // each 909 bytes with its colon, space and CRLF
            out["X-H" + std::to_string(10 + i)] = std::string(900, 'h');
        return out;
    };

    std::vector<std::string> bodies{"{", "[]", with("sender", "s@example.com")};
    bodies.push_back(with("headers", boost::json::object{{"Subject", "x"}}));
    bodies.push_back(with("headers", boost::json::object{{"bcc", "e@example.com"}}));
    // Fields the message's own parts need: the composer refuses them too.
    bodies.push_back(with("headers", boost::json::object{{"Content-ID", "<x@example.com>"}}));
    bodies.push_back(with("headers", boost::json::object{{"X-Evil", "a\r\nBcc: e@example.com"}}));
    bodies.push_back(with("headers", headers(19))); // 17,271 bytes: over 16 KB
    auto too_many = good_send();
    too_many["to"] = addresses(20, "to");
    too_many["cc"] = addresses(20, "cc");
    too_many["bcc"] = addresses(11, "bcc");
    bodies.push_back(boost::json::serialize(too_many));
    bodies.push_back(with("to", boost::json::array{}));
    bodies.push_back(with("to", "not an address"));
    bodies.push_back(with("subject", ""));
    bodies.push_back(with("subject", "a\nb"));
    bodies.push_back(with("text", "")); // neither text nor html left
    bodies.push_back(with("from", boost::json::object{{"address", "s@example.com"},
                                                      {"name", "a\r\nBcc: e@example.com"}}));
    boost::json::array inline_without_id;
    inline_without_id.emplace_back(boost::json::object{{"content", "aGk="},
                                                       {"filename", "a.png"},
                                                       {"type", "image/png"},
                                                       {"disposition", "inline"}});
    bodies.push_back(with("attachments", std::move(inline_without_id)));
    boost::json::array not_base64;
    not_base64.emplace_back(boost::json::object{{"content", "aGk"},
                                                {"filename", "a.bin"},
                                                {"type", "application/octet-stream"},
                                                {"disposition", "attachment"}});
    bodies.push_back(with("attachments", std::move(not_base64)));

    for (const auto& body : bodies) {
        state memory;
        const auto a = call_in(memory, "POST", api("send"), body);
        BOOST_TEST(a.status == 400u, body);
        BOOST_TEST(first_code(a) == 10001, body);
        BOOST_TEST(first_message(a).rfind("Invalid request schema: ", 0) == 0u, body);
        BOOST_TEST(!a.stored.has_value(), body);
    }

    // Just within the limits: 17 headers of 909 bytes (15,453) and 50 recipients.
    state memory;
    BOOST_TEST(call_in(memory, "POST", api("send"), with("headers", headers(17))).status == 200u);
    auto fifty = good_send();
    fifty["to"] = addresses(20, "to");
    fifty["cc"] = addresses(20, "cc");
    fifty["bcc"] = addresses(10, "bcc");
    BOOST_TEST(send_in(memory, fifty).status == 200u);
}

BOOST_AUTO_TEST_CASE(send_structured_size_limit_counts_decoded_bytes) {
    auto with_attachment = [](std::size_t decoded) {
        auto body = good_send();
        body["text"] = "t";
        boost::json::array list;
        list.emplace_back(boost::json::object{{"content", base64(std::string(decoded, 'x'))},
                                              {"filename", "a.bin"},
                                              {"type", "application/octet-stream"},
                                              {"disposition", "attachment"}});
        body["attachments"] = std::move(list);
        return body;
    };
    state memory;
    settings small;
    small.max_message_size = 1000;
    // One byte of text and 999 of attachment fill the limit, though the base64 is longer.
    BOOST_TEST(send_in(memory, with_attachment(999), small).status == 200u);
    const auto over = send_in(memory, with_attachment(1000), small);
    BOOST_TEST(over.status == 400u);
    BOOST_TEST(first_code(over) == 10202);
    BOOST_TEST(!over.stored.has_value());

    // The default limit is 5 MiB.
    const auto big = send_in(memory, with_attachment(5 * 1024 * 1024));
    BOOST_TEST(big.status == 400u);
    BOOST_TEST(first_code(big) == 10202);
    BOOST_TEST(!big.stored.has_value());
    BOOST_TEST(send_in(memory, with_attachment(5 * 1024 * 1024 - 1)).status == 200u);
}

BOOST_AUTO_TEST_CASE(suppressions_create_get_patch_delete) {
    state memory;
    const auto now = start_time;
    fix_clock(memory, now);
    const auto created =
        call_in(memory, "POST", api("suppressions"), R"({"email":"User@Example.com"})");
    BOOST_TEST_REQUIRE(created.status == 200u, created.body);
    const auto id = text_of(result_of(created).at("id"));
    BOOST_TEST(is_hex_id(id), id);
    BOOST_TEST(boost::json::serialize(result_of(created).at("scope")) == R"({"type":"account"})");

    const auto got = call_in(memory, "GET", api("suppressions/" + id));
    BOOST_TEST_REQUIRE(got.status == 200u, got.body);
    const auto s = result_of(got);
    BOOST_TEST(text_of(s.at("id")) == id);
    BOOST_TEST(text_of(s.at("email")) == "User@Example.com");
    BOOST_TEST(text_of(s.at("reason")) == "manual");
    BOOST_TEST(text_of(s.at("created_at")) == "2026-07-01T12:00:00Z");
    BOOST_TEST(s.at("expires_at").is_null());
    BOOST_TEST(s.at("read_only").as_bool() == false);
    BOOST_TEST(s.at("note").is_null());
    BOOST_TEST(boost::json::serialize(s.at("scope")) == R"({"type":"account"})");

    // Creating the address again, in any case, answers the same suppression.
    const auto again =
        call_in(memory, "POST", api("suppressions"), R"({"email":"user@EXAMPLE.COM"})");
    BOOST_TEST(again.status == 200u);
    BOOST_TEST(text_of(result_of(again).at("id")) == id);
    BOOST_TEST(memory.suppressions.size() == 1u);
    // In a sending domain's scope, the same address is another suppression.
    const auto scoped = create_through_api(
        memory, json_object(R"({"email":"user@example.com",)"
                            R"("scope":{"type":"sending_domain","value":"mail.example.org"}})"));
    BOOST_TEST(scoped != id);
    BOOST_TEST(memory.suppressions.size() == 2u);

    const auto path = api("suppressions/" + id);
    const auto noted = call_in(memory, "PATCH", path, R"({"note":"asked to stop"})");
    BOOST_TEST_REQUIRE(noted.status == 200u, noted.body);
    BOOST_TEST(text_of(result_of(noted).at("note")) == "asked to stop");
    BOOST_TEST(text_of(result_of(call_in(memory, "GET", path)).at("note")) == "asked to stop");
    const auto cleared = call_in(memory, "PATCH", path, R"({"note":""})");
    BOOST_TEST(cleared.status == 200u);
    BOOST_TEST(result_of(cleared).at("note").is_null());
    BOOST_TEST(result_of(call_in(memory, "GET", path)).at("note").is_null());
    const auto expiring =
        call_in(memory, "PATCH", path, R"({"expires_at":"2026-08-01T00:00:00+02:00"})");
    BOOST_TEST(expiring.status == 200u);
    BOOST_TEST(text_of(result_of(expiring).at("expires_at")) == "2026-07-31T22:00:00Z");

    const auto rescoped = call_in(memory, "PATCH", path,
                                  R"({"scope":{"type":"sending_domain","value":"example.org"}})");
    BOOST_TEST(rescoped.status == 400u);
    BOOST_TEST(first_code(rescoped) == 10001);
    BOOST_TEST(first_message(rescoped).find("scope_immutable") != std::string::npos);
    // A refused PATCH changes nothing, not even the fields before the wrong one.
    for (const char* wrong :
         {R"({"note":"x","colour":"red"})", R"({"note":"x","expires_at":"2026-07-01T11:00:00Z"})",
          R"({"note":"x","expires_at":"tomorrow"})", "[]", "not json"}) {
        const auto refused = call_in(memory, "PATCH", path, wrong);
        BOOST_TEST(refused.status == 400u, wrong);
        BOOST_TEST(first_code(refused) == 10001, wrong);
    }
    const auto unchanged = result_of(call_in(memory, "GET", path));
    BOOST_TEST(unchanged.at("note").is_null());
    BOOST_TEST(text_of(unchanged.at("expires_at")) == "2026-07-31T22:00:00Z");
    BOOST_TEST(boost::json::serialize(unchanged.at("scope")) == R"({"type":"account"})");

    const auto removed = call_in(memory, "DELETE", path);
    BOOST_TEST_REQUIRE(removed.status == 200u, removed.body);
    BOOST_TEST(result_of(removed).as_object().size() == 2u);
    BOOST_TEST(text_of(result_of(removed).at("id")) == id);
    BOOST_TEST(boost::json::serialize(result_of(removed).at("scope")) == R"({"type":"account"})");
    for (const char* method : {"GET", "DELETE", "PATCH"}) {
        const auto gone = call_in(memory, method, path, R"({"note":"x"})");
        BOOST_TEST(gone.status == 404u, method);
        BOOST_TEST(first_code(gone) == 10000, method);
    }
    BOOST_TEST(memory.suppressions.size() == 1u); // the sending domain's one is still there
    BOOST_TEST(call_in(memory, "GET", api("suppressions/" + scoped)).status == 200u);
}

BOOST_AUTO_TEST_CASE(suppression_create_refuses_bad_bodies) {
    state memory;
    const auto now = start_time;
    fix_clock(memory, now);
    for (const char* body :
         {"not json", "[]", "{}", R"({"email":"not an address"})", R"({"email":7})",
          R"({"email":"a@example.com","colour":"red"})",
          R"({"email":"a@example.com","expires_at":"2026-07-01T12:00:00Z"})",
          R"({"email":"a@example.com","expires_at":"soon"})",
          R"({"email":"a@example.com","note":5})",
          R"({"email":"a@example.com","scope":{"type":"sending_domain"}})",
          R"({"email":"a@example.com","scope":{"type":"sending_domain","value":"bad domain"}})",
          R"({"email":"a@example.com","scope":{"type":"account","value":"example.org"}})",
          R"({"email":"a@example.com","scope":{"type":"everywhere"}})"}) {
        const auto a = call_in(memory, "POST", api("suppressions"), body);
        BOOST_TEST(a.status == 400u, body);
        BOOST_TEST(first_code(a) == 10001, body);
        BOOST_TEST(first_message(a).rfind("Invalid request schema: ", 0) == 0u, body);
    }
    BOOST_TEST(memory.suppressions.size() == 0u);
    // One millisecond in the future is the future.
    BOOST_TEST(call_in(memory, "POST", api("suppressions"),
                       R"({"email":"a@example.com","expires_at":"2026-07-01T12:00:00.001Z"})")
                   .status == 200u);
}

BOOST_AUTO_TEST_CASE(suppression_ids_in_paths_are_percent_decoded) {
    state memory;
    load_into(memory, R"([{"id":"a/b","email":"slash@example.com"},)"
                      R"({"id":"with space","email":"space@example.com"},)"
                      R"({"id":"a+b","email":"plus@example.com"}])");
    for (const char* escaped : {"a%2Fb", "a%2fb", "%61%2F%62"}) {
        const auto a = call_in(memory, "GET", api(std::string("suppressions/") + escaped));
        BOOST_TEST_REQUIRE(a.status == 200u, escaped);
        BOOST_TEST(text_of(result_of(a).at("id")) == "a/b", escaped);
        BOOST_TEST(text_of(result_of(a).at("email")) == "slash@example.com", escaped);
    }
    // Unescaped, the slash makes another path, which is not found as a path.
    const auto other_path = call_in(memory, "GET", api("suppressions/a/b"));
    BOOST_TEST(other_path.status == 404u);
    BOOST_TEST(first_code(other_path) == 10000);
    const auto missing = call_in(memory, "GET", api("suppressions/nothing"));
    BOOST_TEST(missing.status == 404u);
    BOOST_TEST(first_message(missing) != first_message(other_path));

    // A plus sign stays one.
    const auto plus = call_in(memory, "GET", api("suppressions/a+b"));
    BOOST_TEST_REQUIRE(plus.status == 200u, plus.body);
    BOOST_TEST(text_of(result_of(plus).at("email")) == "plus@example.com");
    BOOST_TEST(call_in(memory, "GET", api("suppressions/with+space")).status == 404u);

    const auto space = api("suppressions/with%20space");
    BOOST_TEST(call_in(memory, "PATCH", space, R"({"note":"n"})").status == 200u);
    BOOST_TEST(call_in(memory, "DELETE", space).status == 200u);
    BOOST_TEST(call_in(memory, "GET", space).status == 404u);
    BOOST_TEST(memory.suppressions.size() == 2u);

    for (const char* malformed : {"suppressions/%zz", "suppressions/a%2", "suppressions/%"}) {
        const auto a = call_in(memory, "GET", api(malformed));
        BOOST_TEST(a.status == 404u, malformed);
        BOOST_TEST(first_code(a) == 10000, malformed);
    }
}

BOOST_AUTO_TEST_CASE(suppression_list_pages_by_cursor) {
    using list_of = std::vector<std::string>;
    state memory;
    settings paged;
    paged.page_size = 2;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i)
        ids.push_back(create_through_api(
            memory, boost::json::object{{"email", "e" + std::to_string(i) + "@example.com"}}));
    auto list = [&](const std::string& query) {
        return call_in(memory, "GET", api("suppressions") + query, "", "Bearer any", paged);
    };

    const auto first = list("");
    BOOST_TEST_REQUIRE(first.status == 200u, first.body);
    BOOST_TEST(emails_of(first) == (list_of{"e0@example.com", "e1@example.com"}),
               boost::test_tools::per_element());
    BOOST_TEST(count_of(info_of(first).at("count")) == 2u);
    BOOST_TEST(count_of(info_of(first).at("per_page")) == 2u);
    const auto after_first = text_of(info_of(first).at("cursor"));
    BOOST_TEST(!after_first.empty());

    const auto second = list("?cursor=" + after_first);
    BOOST_TEST_REQUIRE(second.status == 200u, second.body);
    BOOST_TEST(emails_of(second) == (list_of{"e2@example.com", "e3@example.com"}),
               boost::test_tools::per_element());
    const auto after_second = text_of(info_of(second).at("cursor"));
    BOOST_TEST(after_second != after_first);

    const auto third = list("?cursor=" + after_second);
    BOOST_TEST_REQUIRE(third.status == 200u, third.body);
    BOOST_TEST(emails_of(third) == (list_of{"e4@example.com"}), boost::test_tools::per_element());
    const auto last_info = info_of(third).as_object();
    BOOST_TEST(count_of(last_info.at("count")) == 1u);
    BOOST_TEST((!last_info.contains("cursor") || text_of(last_info.at("cursor")).empty()));

    // A cursor can be used again, and with another page size.
    BOOST_TEST(emails_of(list("?cursor=" + after_first)) ==
                   (list_of{"e2@example.com", "e3@example.com"}),
               boost::test_tools::per_element());
    BOOST_TEST(emails_of(list("?per_page=3&cursor=" + after_first)) ==
                   (list_of{"e2@example.com", "e3@example.com", "e4@example.com"}),
               boost::test_tools::per_element());
    const auto three = list("?per_page=3");
    BOOST_TEST(emails_of(three) == (list_of{"e0@example.com", "e1@example.com", "e2@example.com"}),
               boost::test_tools::per_element());
    BOOST_TEST(count_of(info_of(three).at("per_page")) == 3u);
    BOOST_TEST(emails_of(list("?per_page=100")).size() == 5u);
    // The default page size is 50.
    BOOST_TEST(emails_of(call_in(memory, "GET", api("suppressions"))).size() == 5u);

    // A cursor marks a place in the list: deleting the entry there does not break it.
    BOOST_TEST(call_in(memory, "DELETE", api("suppressions/" + ids[2])).status == 200u);
    BOOST_TEST(emails_of(list("?cursor=" + after_first)) ==
                   (list_of{"e3@example.com", "e4@example.com"}),
               boost::test_tools::per_element());

    for (const std::string& bad : std::vector<std::string>{
             "?per_page=0", "?per_page=101", "?per_page=x", "?per_page=-1", "?per_page=2.5",
             "?per_page=2&per_page=3", "?cursor=ffffffffffffffffffffffffffffffff",
             "?cursor=" + after_first + "x"}) {
        const auto a = list(bad);
        BOOST_TEST(a.status == 400u, bad);
        BOOST_TEST(first_code(a) == 10001, bad);
    }
}

BOOST_AUTO_TEST_CASE(suppression_list_filters) {
    using list_of = std::vector<std::string>;
    state memory;
    load_into(memory, R"([
        {"email":"user@a.test"},
        {"email":"User@B.test","reason":"hard_bounce"},
        {"email":"other.user@a.test"},
        {"email":"user@a.test","scope":{"type":"sending_domain","value":"mail.example.org"}},
        {"email":"x+tag@c.test","scope":{"type":"sending_domain","value":"other.example.org"}}])");
    auto listed = [&](const std::string& query) {
        const auto a = call_in(memory, "GET", api("suppressions?" + query));
        BOOST_TEST_REQUIRE(a.status == 200u, query + ": " + a.body);
        return a;
    };
    auto emails = [&](const std::string& query) { return emails_of(listed(query)); };
    const list_of all{"user@a.test", "User@B.test", "other.user@a.test", "user@a.test",
                      "x+tag@c.test"};

    BOOST_TEST(emails("") == all, boost::test_tools::per_element());
    BOOST_TEST(emails("email=USER@A.TEST") == (list_of{"user@a.test", "user@a.test"}),
               boost::test_tools::per_element());
    BOOST_TEST(emails("email=nobody@a.test").empty());
    BOOST_TEST(emails("reason=hard_bounce") == (list_of{"User@B.test"}),
               boost::test_tools::per_element());
    BOOST_TEST(emails("reason=manual") ==
                   (list_of{"user@a.test", "other.user@a.test", "user@a.test", "x+tag@c.test"}),
               boost::test_tools::per_element());
    BOOST_TEST(emails("scope_type=account") ==
                   (list_of{"user@a.test", "User@B.test", "other.user@a.test"}),
               boost::test_tools::per_element());
    BOOST_TEST(emails("scope_type=sending_domain") == (list_of{"user@a.test", "x+tag@c.test"}),
               boost::test_tools::per_element());
    const auto in_domain = listed("scope_type=sending_domain&scope_value=MAIL.example.org");
    BOOST_TEST(emails_of(in_domain) == (list_of{"user@a.test"}), boost::test_tools::per_element());
    BOOST_TEST(text_of(result_of(in_domain).at(0).at("scope").at("value")) == "mail.example.org");
    // `user@` is that user at every domain; it matches no longer local part.
    BOOST_TEST(emails("search=user@") == (list_of{"user@a.test", "User@B.test", "user@a.test"}),
               boost::test_tools::per_element());
    BOOST_TEST(emails("search=USER%40") == (list_of{"user@a.test", "User@B.test", "user@a.test"}),
               boost::test_tools::per_element());
    BOOST_TEST(emails("search=other.user@a.test") == (list_of{"other.user@a.test"}),
               boost::test_tools::per_element());
    BOOST_TEST(emails("search=user@&scope_type=account") == (list_of{"user@a.test", "User@B.test"}),
               boost::test_tools::per_element());
    // A plus sign in a query is a plus sign, escaped or not.
    BOOST_TEST(emails("email=x+tag@c.test") == (list_of{"x+tag@c.test"}),
               boost::test_tools::per_element());
    BOOST_TEST(emails("email=x%2Btag%40c.test") == (list_of{"x+tag@c.test"}),
               boost::test_tools::per_element());
    // Unknown parameters are ignored, empty ones filter nothing.
    BOOST_TEST(emails("colour=red&email=&reason=") == all, boost::test_tools::per_element());

    // A filtered list pages through the matches only.
    const auto page = listed("per_page=1&search=user@");
    BOOST_TEST(emails_of(page) == (list_of{"user@a.test"}), boost::test_tools::per_element());
    BOOST_TEST(emails("per_page=1&search=user@&cursor=" + text_of(info_of(page).at("cursor"))) ==
                   (list_of{"User@B.test"}),
               boost::test_tools::per_element());

    for (const char* bad :
         {"scope_type=domain", "scope_value=mail.example.org",
          "scope_type=account&scope_value=mail.example.org", "search=user", "search=@a.test",
          "email=a@a.test&email=b@a.test", "reason=a&reason=b", "email=%zz"}) {
        const auto a = call_in(memory, "GET", api(std::string("suppressions?") + bad));
        BOOST_TEST(a.status == 400u, bad);
        BOOST_TEST(first_code(a) == 10001, bad);
        BOOST_TEST(first_message(a).rfind("Invalid request schema: ", 0) == 0u, bad);
    }
}

BOOST_AUTO_TEST_CASE(suppressed_recipients_are_refused) {
    state memory;
    create_through_api(memory, json_object(R"({"email":"blocked@example.com"})"));
    const auto scoped = create_through_api(
        memory, json_object(R"({"email":"d@example.com",)"
                            R"("scope":{"type":"sending_domain","value":"Mail.Example.org"}})"));
    auto send_raw_in = [&](std::string_view from, std::string_view recipients) {
        return call_in(memory, "POST", api("send_raw"), raw_send(from, recipients));
    };

    const auto refused =
        send_raw_in("s@example.com", R"(["ok@example.com","Blocked@Example.com"])");
    BOOST_TEST(refused.status == 400u);
    BOOST_TEST(first_code(refused) == 10001);
    BOOST_TEST(first_message(refused) == "Recipient is suppressed: Blocked@Example.com");
    BOOST_TEST(!refused.stored.has_value());

    // One error for each suppressed address, however often it is named.
    const auto two = send_raw_in(
        "s@mail.example.org",
        R"(["blocked@example.com","ok@example.com","BLOCKED@example.com","d@example.com"])");
    BOOST_TEST(two.status == 400u);
    BOOST_TEST(!two.stored.has_value());
    const auto errors = boost::json::parse(two.body).at("errors").as_array();
    BOOST_TEST_REQUIRE(errors.size() == 2u);
    BOOST_TEST(text_of(errors.at(0).at("message")) ==
               "Recipient is suppressed: blocked@example.com");
    BOOST_TEST(text_of(errors.at(1).at("message")) == "Recipient is suppressed: d@example.com");

    // A sending domain's suppression holds for mail from that domain only.
    BOOST_TEST(send_raw_in("s@MAIL.example.org", R"(["d@example.com"])").status == 400u);
    for (const char* from : {"s@example.org", "s@sub.mail.example.org", "s@mail.example.org.x"}) {
        const auto a = send_raw_in(from, R"(["d@example.com"])");
        BOOST_TEST(a.status == 200u, from);
        BOOST_TEST(a.stored.has_value(), from);
    }

    // /send refuses the same way, for every recipient list.
    for (const char* list : {"to", "cc", "bcc"}) {
        auto body = good_send();
        body.erase("to");
        body[list] = boost::json::array{"ok@example.com", "blocked@example.com"};
        const auto a = send_in(memory, body);
        BOOST_TEST(a.status == 400u, list);
        BOOST_TEST(first_code(a) == 10001, list);
        BOOST_TEST(first_message(a) == "Recipient is suppressed: blocked@example.com", list);
        BOOST_TEST(!a.stored.has_value(), list);
    }
    auto from_domain = good_send();
    from_domain["from"] = boost::json::object{{"address", "s@mail.example.org"}, {"name", "S"}};
    from_domain["to"] = boost::json::array{"d@example.com"};
    BOOST_TEST(send_in(memory, from_domain).status == 400u);
    from_domain["from"] = "s@example.org";
    BOOST_TEST(send_in(memory, from_domain).status == 200u);

    // Deleted, the suppression no longer refuses anything.
    BOOST_TEST(call_in(memory, "DELETE", api("suppressions/" + scoped)).status == 200u);
    BOOST_TEST(send_raw_in("s@mail.example.org", R"(["d@example.com"])").status == 200u);
}

BOOST_AUTO_TEST_CASE(expired_suppressions_are_gone) {
    state memory;
    auto now = start_time;
    fix_clock(memory, now);
    const auto id = create_through_api(
        memory, json_object(R"({"email":"gone@example.com","expires_at":"2026-07-01T12:00:30Z"})"));
    const auto body = raw_send("s@example.com", R"(["gone@example.com"])");
    BOOST_TEST(call_in(memory, "POST", api("send_raw"), body).status == 400u);
    now += std::chrono::milliseconds(29999);
    BOOST_TEST(call_in(memory, "POST", api("send_raw"), body).status == 400u);
    BOOST_TEST(call_in(memory, "GET", api("suppressions/" + id)).status == 200u);
    now += std::chrono::milliseconds(1);
    BOOST_TEST(call_in(memory, "POST", api("send_raw"), body).status == 200u);
    BOOST_TEST(call_in(memory, "GET", api("suppressions/" + id)).status == 404u);
    BOOST_TEST(memory.suppressions.size() == 0u);
}

BOOST_AUTO_TEST_CASE(read_only_suppressions_cannot_change) {
    state memory;
    load_into(memory, R"([{"id":"ro-1","email":"ro@example.com","reason":"hard_bounce",)"
                      R"("read_only":true,"note":"kept"}])");
    const auto path = api("suppressions/ro-1");
    for (const char* method : {"PATCH", "DELETE"}) {
        const auto a = call_in(memory, method, path, R"({"note":"changed"})");
        BOOST_TEST(a.status == 403u, method);
        BOOST_TEST(first_code(a) == 10102, method);
    }
    const auto got = call_in(memory, "GET", path);
    BOOST_TEST_REQUIRE(got.status == 200u, got.body);
    BOOST_TEST(text_of(result_of(got).at("note")) == "kept");
    BOOST_TEST(result_of(got).at("read_only").as_bool());
    BOOST_TEST(text_of(result_of(got).at("reason")) == "hard_bounce");
    // It still refuses its address.
    BOOST_TEST(
        call_in(memory, "POST", api("send_raw"), raw_send("s@example.com", R"(["ro@example.com"])"))
            .status == 400u);
}

BOOST_AUTO_TEST_CASE(bulk_import_counts_items) {
    state memory;
    load_into(memory, R"([{"id":"ro-1","email":"ro@example.com","read_only":true}])");
    const auto existing = create_through_api(memory, json_object(R"({"email":"old@example.com"})"));
    const auto a = call_in(memory, "POST", api("suppressions/bulk"), R"({"items":[
        {"email":"new@example.com"},
        {"email":"NEW@example.com"},
        {"email":"not an address"},
        {"email":"new@example.com","scope":{"type":"sending_domain","value":"example.org"}},
        7,
        {"email":"ro@example.com"},
        {"email":"old@example.com"}]})");
    BOOST_TEST_REQUIRE(a.status == 200u, a.body);
    const auto r = result_of(a);
    BOOST_TEST(count_of(r.at("total")) == 7u);
    BOOST_TEST(count_of(r.at("processed")) == 3u);
    BOOST_TEST(count_of(r.at("invalid")) == 2u);
    BOOST_TEST(count_of(r.at("deduplicated")) == 1u);
    BOOST_TEST(count_of(r.at("skipped")) == 1u);
    BOOST_TEST(count_of(r.at("errors")) == 0u);

    // The repeat is only counted; every other item is reported by its index.
    const auto& items = r.at("items").as_array();
    std::vector<std::uint64_t> indexes;
    for (const auto& item : items)
        indexes.push_back(count_of(item.at("index")));
    BOOST_TEST(indexes == (std::vector<std::uint64_t>{0, 2, 3, 4, 5, 6}),
               boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(items.size() == 6u);
    BOOST_TEST(text_of(items.at(0).at("status")) == "processed");
    BOOST_TEST(is_hex_id(text_of(items.at(0).at("id"))));
    BOOST_TEST(text_of(items.at(1).at("status")) == "invalid");
    BOOST_TEST(text_of(items.at(2).at("status")) == "processed");
    BOOST_TEST(text_of(items.at(3).at("status")) == "invalid");
    BOOST_TEST(text_of(items.at(4).at("status")) == "skipped");
    BOOST_TEST(text_of(items.at(5).at("status")) == "processed");
    BOOST_TEST(text_of(items.at(5).at("id")) == existing);

    // ro, old, and new@ in two scopes.
    BOOST_TEST(memory.suppressions.size() == 4u);
    const auto listed = call_in(memory, "GET", api("suppressions?email=new@example.com"));
    BOOST_TEST(emails_of(listed).size() == 2u);
}

BOOST_AUTO_TEST_CASE(bulk_import_takes_1_to_1000_items) {
    auto items_of = [](std::size_t n) {
        boost::json::array items;
        for (std::size_t i = 0; i < n; ++i)
            items.emplace_back(
                boost::json::object{{"email", "u" + std::to_string(i) + "@example.com"}});
        return boost::json::serialize(boost::json::object{{"items", std::move(items)}});
    };
    // Each in its own state: the rate limit counts refused imports too.
    for (const std::string& body :
         {items_of(0), items_of(1001), std::string("{}"), std::string("[]"),
          std::string(R"({"items":{}})"),
          std::string(R"({"items":[{"email":"a@example.com"}],"extra":1})")}) {
        state memory;
        const auto a = call_in(memory, "POST", api("suppressions/bulk"), body);
        BOOST_TEST(a.status == 400u, body.substr(0, 60));
        BOOST_TEST(first_code(a) == 10001, body.substr(0, 60));
        BOOST_TEST(memory.suppressions.size() == 0u);
    }
    state memory;
    const auto full = call_in(memory, "POST", api("suppressions/bulk"), items_of(1000));
    BOOST_TEST_REQUIRE(full.status == 200u, full.body.substr(0, 200));
    BOOST_TEST(count_of(result_of(full).at("processed")) == 1000u);
    BOOST_TEST(memory.suppressions.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(bulk_imports_are_rate_limited_per_account) {
    state memory;
    auto now = start_time;
    fix_clock(memory, now);
    auto bulk = [&](std::string_view account) {
        return call_in(memory, "POST", api("suppressions/bulk", account),
                       R"({"items":[{"email":"a@example.com"}]})");
    };
    // Ten imports a second apart, from 12:00:00 to 12:00:09.
    for (int i = 0; i < 10; ++i) {
        BOOST_TEST(bulk("abc").status == 200u, i);
        now += std::chrono::seconds(1);
    }
    const auto limited = bulk("abc");
    BOOST_TEST(limited.status == 429u);
    BOOST_TEST(first_code(limited) == 10004);
    BOOST_TEST(header_value(limited, "Retry-After") == "50");
    // Another account has its own allowance.
    BOOST_TEST(bulk("other").status == 200u);

    now = start_time + std::chrono::seconds(59);
    const auto still = bulk("abc");
    BOOST_TEST(still.status == 429u);
    BOOST_TEST(header_value(still, "Retry-After") == "1");
    // A minute after the first import, it has left the window; refusals took no place in it.
    now = start_time + std::chrono::seconds(60);
    BOOST_TEST(bulk("abc").status == 200u);
    BOOST_TEST(bulk("abc").status == 429u);
    now = start_time + std::chrono::seconds(61);
    BOOST_TEST(bulk("abc").status == 200u);
}

BOOST_AUTO_TEST_CASE(suppression_routes_methods_and_credentials) {
    state memory;
    const std::vector<std::tuple<std::string, std::string, std::string>> wrong_methods{
        {"GET", "send", "POST"},
        {"PUT", "send_raw", "POST"},
        {"DELETE", "suppressions", "GET, POST"},
        {"PATCH", "suppressions", "GET, POST"},
        {"GET", "suppressions/bulk", "POST"},
        {"DELETE", "suppressions/bulk", "POST"},
        {"POST", "suppressions/abc123", "GET, PATCH, DELETE"},
        {"PUT", "suppressions/abc123", "GET, PATCH, DELETE"}};
    for (const auto& [method, endpoint, allow] : wrong_methods) {
        const auto a = call_in(memory, method, api(endpoint), "{}");
        BOOST_TEST(a.status == 405u, method + " " + endpoint);
        BOOST_TEST(first_code(a) == 10000, method + " " + endpoint);
        BOOST_TEST(header_value(a, "Allow") == allow, method + " " + endpoint);
    }

    for (const std::string& path :
         {api("suppression"), api("suppressions/"), api("suppressions/a/b"),
          api("suppressions/bulk/x"), api("sendx"), api("send/"),
          std::string("/client/v4/accounts//email/sending/send"),
          std::string("/client/v4/accounts/abc/email/send"),
          std::string("/client/v4/accounts/abc")}) {
        for (const char* method : {"GET", "POST"}) {
            const auto a = call_in(memory, method, path, "{}");
            BOOST_TEST(a.status == 404u, method + (" " + path));
            BOOST_TEST(first_code(a) == 10000, method + (" " + path));
        }
    }

    const std::pair<std::string, std::string> requests[] = {{"GET", "suppressions"},
                                                            {"POST", "suppressions"},
                                                            {"POST", "suppressions/bulk"},
                                                            {"GET", "suppressions/abc123"},
                                                            {"PATCH", "suppressions/abc123"},
                                                            {"DELETE", "suppressions/abc123"},
                                                            {"POST", "send"}};
    for (const auto& [method, endpoint] : requests) {
        const auto body = endpoint == "suppressions/bulk"
                              ? std::string(R"({"items":[{"email":"a@example.com"}]})")
                          : endpoint == "send" ? boost::json::serialize(good_send())
                                               : std::string(R"({"email":"a@example.com"})");
        const auto a = call_in(memory, method, api(endpoint), body, "");
        BOOST_TEST(a.status == 401u, method + " " + endpoint);
        BOOST_TEST(first_code(a) == 10101, method + " " + endpoint);
        BOOST_TEST(!a.stored.has_value());
    }
    BOOST_TEST(memory.suppressions.size() == 0u);
    BOOST_TEST(memory.bulk_imports.empty());

    settings only;
    only.token = "right";
    const auto list = api("suppressions");
    BOOST_TEST(call_in(memory, "GET", list, "", "Bearer wrong", only).status == 401u);
    BOOST_TEST(call_in(memory, "GET", list, "", "Bearer right", only).status == 200u);
}

BOOST_AUTO_TEST_CASE(suppression_requests_under_faults) {
    state memory;
    const std::string body = R"({"email":"a@example.com"})";
    const auto refused = call_in(memory, "POST", api("suppressions", "fault-successfalse-x"), body);
    BOOST_TEST(refused.status == 200u);
    BOOST_TEST(boost::json::parse(refused.body).at("success").as_bool() == false);
    BOOST_TEST(memory.suppressions.size() == 0u);
    // The work is done, then the answer is lost.
    BOOST_TEST(call_in(memory, "POST", api("suppressions", "fault-502-x"), body).status == 502u);
    BOOST_TEST(memory.suppressions.size() == 1u);
    const auto limited = call_in(memory, "GET", api("suppressions", "fault-429-x"));
    BOOST_TEST(limited.status == 429u);
    BOOST_TEST(header_value(limited, "Retry-After") == "1");
    const auto wrong = call_in(memory, "GET", api("suppressions", "fault-wrongshape-x"));
    BOOST_TEST(wrong.status == 200u);
    BOOST_TEST(wrong.body == detail::suppression_wrong_shape);
}

BOOST_AUTO_TEST_CASE(suppression_list_is_bounded) {
    state memory;
    settings tiny;
    tiny.max_suppressions = 1;
    const auto id = create_through_api(memory, json_object(R"({"email":"a@example.com"})"), tiny);
    const auto full = call_in(memory, "POST", api("suppressions"), R"({"email":"b@example.com"})",
                              "Bearer any", tiny);
    BOOST_TEST(full.status == 500u);
    BOOST_TEST(first_code(full) == 10002);
    // An existing one still answers.
    BOOST_TEST(create_through_api(memory, json_object(R"({"email":"A@example.com"})"), tiny) == id);
    const auto bulk = call_in(memory, "POST", api("suppressions/bulk"),
                              R"({"items":[{"email":"a@example.com"},{"email":"b@example.com"}]})",
                              "Bearer any", tiny);
    BOOST_TEST_REQUIRE(bulk.status == 200u, bulk.body);
    BOOST_TEST(count_of(result_of(bulk).at("processed")) == 1u);
    BOOST_TEST(count_of(result_of(bulk).at("errors")) == 1u);
    BOOST_TEST(memory.suppressions.size() == 1u);
}

BOOST_AUTO_TEST_CASE(suppressions_file_loads_with_defaults) {
    suppression_list list;
    const timestamp now = std::chrono::floor<std::chrono::milliseconds>(start_time);
    int made = 0;
    const auto wrong = load_suppressions(
        R"([{"email":"plain@example.com"},
            {"id":"made-1","email":"full@example.com","reason":"hard_bounce",
             "created_at":"2026-06-01T02:00:00+02:00","expires_at":null,"read_only":true,
             "note":"from the file","scope":{"type":"sending_domain","value":"example.org"}},
            {"email":"third@example.com"}])",
        list, now, [&made] { return "made-" + std::to_string(made++); });
    BOOST_TEST_REQUIRE(!wrong.has_value(), wrong.value_or(""));
    BOOST_TEST(list.size() == 3u);

    const auto* plain = list.find("made-0");
    BOOST_TEST_REQUIRE(plain != nullptr);
    BOOST_TEST(plain->email == "plain@example.com");
    BOOST_TEST(plain->reason == "manual");
    BOOST_TEST(format_timestamp(plain->created_at) == "2026-07-01T12:00:00Z");
    BOOST_TEST(!plain->expires_at.has_value());
    BOOST_TEST(!plain->read_only);
    BOOST_TEST(!plain->note.has_value());
    BOOST_TEST(!plain->domain.has_value());

    const auto* full = list.find("made-1");
    BOOST_TEST_REQUIRE(full != nullptr);
    BOOST_TEST(full->email == "full@example.com");
    BOOST_TEST(full->reason == "hard_bounce");
    BOOST_TEST(format_timestamp(full->created_at) == "2026-06-01T00:00:00Z");
    BOOST_TEST(full->read_only);
    BOOST_TEST(full->note.value_or("") == "from the file");
    BOOST_TEST(full->domain.value_or("") == "example.org");

    // A made id that the file already uses is made again.
    const auto* third = list.find("made-2");
    BOOST_TEST_REQUIRE(third != nullptr);
    BOOST_TEST(third->email == "third@example.com");
}

BOOST_AUTO_TEST_CASE(a_bad_suppressions_file_changes_nothing) {
    const timestamp now = std::chrono::floor<std::chrono::milliseconds>(start_time);
    for (const char* text :
         {"not json", "{}", "[1]", R"([{"id":"x"}])",
          R"([{"email":"a@example.com","reasons":"typo"}])",
          R"([{"id":"k","email":"b@example.com"},{"id":"k","email":"c@example.com"}])",
          R"([{"id":"keep","email":"d@example.com"}])",
          R"([{"email":"e@example.com"},{"email":"E@EXAMPLE.COM"}])",
          R"([{"email":"KEPT@example.com"}])", R"([{"email":"f@example.com","id":"tab\there"}])",
          R"([{"email":"f@example.com","id":""}])",
          R"([{"email":"f@example.com","read_only":"yes"}])",
          R"([{"email":"f@example.com","created_at":"yesterday"}])",
          R"([{"email":"f@example.com","reason":""}])",
          R"([{"email":"f@example.com"},{"email":"bad address"}])"}) {
        suppression_list list;
        suppression kept;
        kept.id = "keep";
        kept.email = "kept@example.com";
        list.add(kept);
        const auto wrong = load_suppressions(text, list, now, [] { return random_hex(16); });
        BOOST_TEST(wrong.has_value(), text);
        BOOST_TEST(list.size() == 1u, text);
        BOOST_TEST(list.find("keep") != nullptr, text);
    }
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_emulator_test
