// The message builder on its own: what it refuses, how it encodes at the edges, and the
// invariants every message it writes keeps. Python's parser judges the decoding in the
// integration suite (mime_test.cpp there).
#include <cfmail/detail/mime_encoding.hpp>
#include <cfmail/error.hpp>
#include <cfmail/mime.hpp>

#include <boost/test/unit_test.hpp>

#include <regex>

// The file's names in a namespace of their own: the build may compile test files together.
namespace unit_mime_test {

using cfmail::mailbox;
using cfmail::mime::message;
using namespace std::chrono_literals;

namespace {

const std::string account = "023e105f4ecef8ad9ca31a8372d0c353";

message minimal() {
    message m;
    m.from({"sender@example.com"}).to({"r@example.org"}).subject("s").text("t");
    return m;
}

// The field a refused message names, or "" when it builds.
std::string refusal(const message& m) {
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    const auto out = m.to_string(ec, diag);
    if (!ec)
        return "";
    BOOST_TEST((ec == cfmail::error::invalid_request));
    BOOST_TEST(out.empty());
    return diag.detail;
}

std::string head_of(const std::string& msg) {
    return msg.substr(0, msg.find("\r\n\r\n") + 2);
}

// Every line of `msg` ends in CRLF and has at most 998 octets; every byte is ASCII.
void check_invariants(const std::string& msg) {
    std::size_t line = 0;
    for (std::size_t i = 0; i < msg.size(); ++i) {
        const auto c = static_cast<unsigned char>(msg[i]);
        BOOST_TEST_REQUIRE((c != 0 && c < 0x80), "byte " << i << " is " << int(c));
        if (c == '\r') {
            BOOST_TEST_REQUIRE((i + 1 < msg.size() && msg[i + 1] == '\n'), "bare CR at " << i);
        } else if (c == '\n') {
            BOOST_TEST_REQUIRE((i > 0 && msg[i - 1] == '\r'), "bare LF at " << i);
            line = 0;
            continue;
        }
        if (c != '\r')
            BOOST_TEST_REQUIRE(++line <= 998u, "line over 998 octets at " << i);
    }
    BOOST_TEST(msg.size() >= 2);
    BOOST_TEST(msg.compare(msg.size() - 2, 2, "\r\n") == 0);
    // RFC 5322 4.2: a continuation line of white space only is obsolete syntax.
    const auto head = msg.substr(0, msg.find("\r\n\r\n") + 2);
    for (std::size_t start = 0; start < head.size();) {
        const auto end = head.find("\r\n", start);
        const auto field_line = head.substr(start, end - start);
        BOOST_TEST_REQUIRE(field_line.find_first_not_of(" \t") != std::string::npos,
                           "a header line of white space only at " << start);
        start = end + 2;
    }
}

// The value of the first field `name` of `msg`, unfolded (RFC 5322 2.2.3).
std::string unfolded_field(const std::string& msg, const std::string& name) {
    const auto at = msg.find("\r\n" + name + ": ") + name.size() + 4;
    auto value = msg.substr(at, msg.find("\r\n", at) - at);
    for (auto next = msg.find("\r\n", at); msg.compare(next + 2, 1, " ") == 0;) {
        const auto end = msg.find("\r\n", next + 2);
        value += msg.substr(next + 2, end - next - 2);
        next = end;
    }
    return value;
}

// The longest line of the header block.
std::size_t longest_header_line(const std::string& msg) {
    const auto head = head_of(msg);
    std::size_t longest = 0;
    for (std::size_t start = 0; start < head.size();) {
        const auto end = head.find("\r\n", start);
        longest = std::max(longest, end - start);
        start = end + 2;
    }
    return longest;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mime_builder)

BOOST_AUTO_TEST_CASE(control_characters_in_any_header_value_are_refused) {
    for (const std::string& bad :
         {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3)}) {
        BOOST_TEST(refusal(minimal().subject(bad)).rfind("subject:", 0) == 0);
        BOOST_TEST(refusal(minimal().to({"x@example.org", bad})).rfind("to[1].name:", 0) == 0);
        BOOST_TEST(refusal(minimal().cc({"x@example.org", bad})).rfind("cc[0].name:", 0) == 0);
        BOOST_TEST(refusal(minimal().reply_to({"x@example.org", bad})).rfind("reply_to[0]", 0) ==
                   0);
        BOOST_TEST(refusal(minimal().from({"s@example.com", bad})).rfind("from.name:", 0) == 0);
        BOOST_TEST(refusal(minimal().header("X-A", bad)).rfind("headers[0].value:", 0) == 0);
        BOOST_TEST(refusal(minimal().attach_file(bad, "x", "text/plain"))
                       .rfind("attachments[0].filename:", 0) == 0);
        BOOST_TEST(refusal(minimal().to({"x" + bad + "@example.org"})).rfind("to[1].address", 0) ==
                   0);
    }
    BOOST_TEST(refusal(minimal().subject("a\tb")) == ""); // tab is white space
}

BOOST_AUTO_TEST_CASE(fields_are_checked_before_anything_is_written) {
    BOOST_TEST(refusal(message().to({"r@example.org"})).rfind("from: not set", 0) == 0);
    BOOST_TEST(refusal(minimal().from({"Ann <a@example.com>"})).rfind("from.address", 0) == 0);
    BOOST_TEST(refusal(minimal().text("\xff")).rfind("text: not valid UTF-8", 0) == 0);
    BOOST_TEST(refusal(minimal().html("\xc3")).rfind("html: not valid UTF-8", 0) == 0);
    BOOST_TEST(refusal(minimal().subject("\xed\xa0\x80")).rfind("subject:", 0) == 0);
    for (const char* owned :
         {"From", "to", "CC", "Bcc", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version",
          "Content-Type", "Content-Transfer-Encoding", "content-disposition", "Content-ID"})
        BOOST_TEST(refusal(minimal().header(owned, "x")).find("written by the builder") !=
                       std::string::npos,
                   owned);
    for (const std::string& name : {std::string(), std::string("X A"), std::string("X:A"),
                                    std::string("X\xc3\xa9"), std::string(77, 'X')})
        BOOST_TEST(refusal(minimal().header(name, "x")).rfind("headers[0].name", 0) == 0, name);
    BOOST_TEST(refusal(minimal().header(std::string(76, 'X'), "x")) == "");
    BOOST_TEST(refusal(minimal().attach_file("a", "", "pdf")).find("content_type") !=
               std::string::npos);
    BOOST_TEST(refusal(minimal().attach_file(std::string(256, 'f'), "", "")).find("255") !=
               std::string::npos);
    BOOST_TEST(refusal(minimal().attach_file("a", "", "application/" + std::string(250, 'x')))
                   .find("content_type: longer than 255") != std::string::npos);
    BOOST_TEST(
        refusal(minimal().inline_image("logo", "x", "image/png")).find("needs an html body") !=
        std::string::npos);
    for (const char* id : {"", "a b", "<logo>", "a\"b"})
        BOOST_TEST(refusal(minimal().html("h").inline_image(id, "x", "image/png"))
                           .rfind("attachments[0].content_id", 0) == 0,
                   id);
    for (const char* id : {"no-at", "@x", "a@", "a b@x", "a@x y", "a..b@x"})
        BOOST_TEST(refusal(minimal().message_id(id)).rfind("message_id", 0) == 0, id);
    BOOST_TEST(refusal(minimal().date({}, 24h)).rfind("date:", 0) == 0);
}

// What a review found: quotes that hide recipients, escapes that pass 998 octets, composite
// types in base64, file names that look like encoded words.
BOOST_AUTO_TEST_CASE(hostile_addresses_names_and_types) {
    for (const char* address : {"\"a\\\"@x.com", "\"a\",evil@attacker.example,\"\"@example.com",
                                "\"a\\\"@example.com", "\"@example.com"})
        BOOST_TEST(refusal(minimal().to({address})).rfind("to[1].address", 0) == 0, address);
    BOOST_TEST(refusal(minimal().to({"\"john \\\"q\\\" doe\"@example.com"})) == "");

    const auto quotes = minimal().from({"a@example.com", std::string(500, '"')}).to_string();
    check_invariants(quotes);
    BOOST_TEST(quotes.find("From: =?UTF-8?") != std::string::npos);

    for (const char* type : {"message/rfc822", "Multipart/mixed", "MESSAGE/partial"})
        BOOST_TEST(refusal(minimal().attach_file("x", "x", type)).find("cannot be attached") !=
                       std::string::npos,
                   type);

    const auto tricky = minimal().attach_file("=?UTF-8?B?ZXZpbC5leGU=?=", "x", "").to_string();
    BOOST_TEST(tricky.find("filename*=UTF-8''%3D%3FUTF-8%3FB%3FZXZpbC5leGU%3D%3F%3D") !=
               std::string::npos);
    BOOST_TEST(tricky.find("filename=\"=?") == std::string::npos);
}

// A custom field's ASCII value is the user's: structured fields such as List-Unsubscribe
// must arrive as given, not as encoded words.
BOOST_AUTO_TEST_CASE(custom_header_values_go_as_given) {
    auto field = [](const std::string& name, const std::string& value) {
        const auto msg = minimal().header(name, value).to_string();
        check_invariants(msg);
        return unfolded_field(msg, name);
    };
    BOOST_TEST(field("List-Unsubscribe", "<mailto:u@example.com?subject=x=?y>") ==
               "<mailto:u@example.com?subject=x=?y>");
    BOOST_TEST(field("X-Spaced", "a  b\tc") == "a  b\tc");
    std::string long_list;
    for (int i = 0; i < 40; ++i)
        long_list += "<id" + std::to_string(i) + "@example.com> ";
    BOOST_TEST(field("References", long_list + "end") == long_list + "end");
    BOOST_TEST(longest_header_line(minimal().header("References", long_list).to_string()) <= 78u);
    BOOST_TEST(field("X-Word", std::string(990, 'v')) == std::string(990, 'v'));
    BOOST_TEST(refusal(minimal().header("X-Word", std::string(991, 'v')))
                   .rfind("headers[0].value: a word too long", 0) == 0);
    BOOST_TEST(field("X-Campaign", "Grüße").rfind("=?UTF-8?", 0) == 0);
}

// A run of spaces cannot hold a fold (the continuation would be white space only), so it
// goes with the word after it, or trailing with the last word, and is bounded like a word.
BOOST_AUTO_TEST_CASE(runs_of_spaces_never_pass_998_octets) {
    const std::string spaces(1000, ' ');
    for (const std::string& name :
         {std::string(899, 'x') + spaces, spaces + "b", "a" + spaces + spaces + "b",
          "Doe," + std::string(950, ' ') + "x", std::string(450, '"') + std::string(200, ' '),
          std::string(899, 'x') + " " + std::string(120, ' ') + "y"}) {
        for (const char* field : {"From", "To", "Cc", "Reply-To"}) {
            message m = minimal();
            const mailbox box{"a@example.com", name};
            const std::string f = field;
            if (f == "From")
                m.from(box);
            else if (f == "To")
                m.to({box});
            else if (f == "Cc")
                m.cc({box});
            else
                m.reply_to({box});
            check_invariants(m.to_string());
        }
    }
    // Where the pieces fit, the name stays one quoted string and unfolds to itself.
    const std::string quoted = std::string(850, 'x') + "," + std::string(100, ' ') + "y";
    const auto from = minimal().from({"s@example.com", quoted}).to_string();
    check_invariants(from);
    BOOST_TEST(unfolded_field(from, "From") == "\"" + quoted + "\" <s@example.com>");

    auto custom = [](const std::string& value) {
        const auto msg = minimal().header("X-Run", value).to_string();
        check_invariants(msg);
        return unfolded_field(msg, "X-Run");
    };
    for (const std::string& value :
         {"a" + std::string(900, ' ') + "b", std::string(77, 'x') + " \t",
          std::string(77, 'x') + " \t y", std::string(60, 'x') + std::string(30, ' ') + "\t",
          std::string(990, ' ') + "a", std::string(500, 'x') + "\t " + std::string(500, 'y'),
          "x\t" + std::string(991, ' ') + "a"})
        BOOST_TEST(custom(value) == value);
    // "X-Run: " and 991 octets is a line of 998.
    for (const std::string& value :
         {"a" + spaces + "b", std::string(950, 'x') + std::string(100, ' '), spaces + "a",
          "a " + std::string(990, '\t'), std::string(991, ' ') + "a",
          "x\t" + std::string(992, ' ') + "a"})
        BOOST_TEST(refusal(minimal().header("X-Run", value)).rfind("headers[0].value: a word", 0) ==
                   0);
}

BOOST_AUTO_TEST_CASE(the_throwing_overload_carries_the_field) {
    try {
        (void)minimal().subject("a\r\nBcc: x@evil.example").to_string();
        BOOST_FAIL("no exception");
    } catch (const cfmail::error_with_diagnostics& e) {
        BOOST_TEST((e.code() == cfmail::error::invalid_request));
        BOOST_TEST(e.diag().detail.rfind("subject:", 0) == 0);
        BOOST_TEST(e.bad_request());
        BOOST_TEST(!e.may_have_been_sent());
    }
}

BOOST_AUTO_TEST_CASE(send_raw_request_has_envelope_and_no_bcc_header) {
    message m = minimal();
    m.to({{"A@Example.org"}, {"b@example.org", "B"}})
        .cc({"A@EXAMPLE.org"})
        .bcc({"hidden@example.net"})
        .bcc({"b@example.org"});
    const auto req = m.to_send_raw(account);
    BOOST_TEST(req.account_id == account);
    BOOST_TEST(req.from == "sender@example.com");
    // To, Cc, Bcc in order; the same address (domain in any case) once.
    const std::vector<std::string> want{"r@example.org", "A@Example.org", "b@example.org",
                                        "hidden@example.net"};
    BOOST_TEST(req.recipients == want, boost::test_tools::per_element());
    BOOST_TEST(req.mime_message.find("hidden@") == std::string::npos);
    BOOST_TEST(req.mime_message.find("Bcc") == std::string::npos);
    BOOST_TEST(m.envelope_from("bounces@example.com").to_send_raw(account).from ==
               "bounces@example.com");
}

BOOST_AUTO_TEST_CASE(send_raw_rules_are_checked_when_building) {
    boost::system::error_code ec;
    cfmail::diagnostics diag;
    message m;
    m.from({"s@example.com"}).text("t");
    (void)m.to_send_raw(account, ec, diag);
    BOOST_TEST((ec == cfmail::error::invalid_request));
    BOOST_TEST(diag.detail.rfind("recipients: empty", 0) == 0);
    for (int i = 0; i < 51; ++i)
        m.bcc({"r" + std::to_string(i) + "@example.org"});
    (void)m.to_send_raw(account, ec, diag);
    BOOST_TEST(diag.detail.rfind("recipients: 51 addresses, at most 50", 0) == 0);
    (void)minimal().to_send_raw("", ec, diag);
    BOOST_TEST(diag.detail.rfind("account_id", 0) == 0);
    (void)minimal().envelope_from("not an address").to_send_raw(account, ec, diag);
    BOOST_TEST(diag.detail.rfind("from:", 0) == 0);

    // The size limit holds before the attachment is encoded, and counts the encoded message.
    const std::string big(4u * 1024 * 1024, 'x');
    const auto req = minimal().attach_file("big", big, "").to_send_raw(account, ec, diag);
    BOOST_TEST((ec == cfmail::error::invalid_request));
    BOOST_TEST(diag.detail.find("more than the limit of 5242880") != std::string::npos);
    BOOST_TEST(req.mime_message.empty());
    cfmail::client_options larger;
    larger.max_message_size = 6u * 1024 * 1024;
    const auto ok = minimal().attach_file("big", big, "").to_send_raw(account, ec, diag, larger);
    BOOST_TEST(!ec);
    BOOST_TEST(ok.mime_message.size() > 4u * 1024 * 1024);
    // One allocation of the computed size: a short estimate would have doubled the capacity.
    BOOST_TEST(ok.mime_message.capacity() - ok.mime_message.size() <= 64u);

    // The limit counts the message exactly: its size passes, one byte less does not.
    for (auto fixed :
         {minimal(), minimal().html("h"), minimal().text(""), minimal().text("\xc3\xbc")}) {
        const auto size = fixed.date({}).message_id("a@b").to_send_raw(account).mime_message.size();
        cfmail::client_options exact;
        exact.max_message_size = size;
        BOOST_TEST(fixed.to_send_raw(account, ec, diag, exact).mime_message.size() == size);
        exact.max_message_size = size - 1;
        (void)fixed.to_send_raw(account, ec, diag, exact);
        BOOST_TEST((ec == cfmail::error::invalid_request));
    }
}

BOOST_AUTO_TEST_CASE(date_and_message_id) {
    const auto when = std::chrono::sys_days(std::chrono::year(2026) / 12 / 2) + 9h + 5min + 7s;
    auto m = minimal();
    // Date is the first field.
    BOOST_TEST(m.date(when).to_string().rfind("Date: Wed, 02 Dec 2026 09:05:07 +0000\r\n", 0) == 0);
    BOOST_TEST(
        m.date(when, -330min).to_string().rfind("Date: Wed, 02 Dec 2026 03:35:07 -0530", 0) == 0);
    BOOST_TEST(m.date(when, 14h).to_string().rfind("Date: Wed, 02 Dec 2026 23:05:07 +1400", 0) ==
               0);
    BOOST_TEST(
        m.date(when - 10h, 60min).to_string().rfind("Date: Wed, 02 Dec 2026 00:05:07 +0100", 0) ==
        0);
    BOOST_TEST(m.date(when).to_string().rfind("Date: Wed, 02 Dec 2026 09:05:07 +0000", 0) == 0);
    BOOST_TEST(std::regex_search(m.local_time().to_string(),
                                 std::regex("^Date: \\w{3}, \\d\\d \\w{3} 2026 \\d\\d:\\d\\d:"
                                            "\\d\\d [+-]\\d{4}\r\n")));

    const std::regex random_id("\r\nMessage-ID: <[0-9a-f]{32}@example\\.com>\r\n");
    const auto first = minimal().to_string(), second = minimal().to_string();
    BOOST_TEST(std::regex_search(first, random_id));
    BOOST_TEST(head_of(first) != head_of(second)); // a new id (and date) each time
    BOOST_TEST(minimal()
                   .message_id("<x.y@mail.example>")
                   .to_string()
                   .find("\r\nMessage-ID: <x.y@mail.example>\r\n") != std::string::npos);
    BOOST_TEST(minimal()
                   .message_id("a@[10.0.0.1]")
                   .to_string()
                   .find("\r\nMessage-ID: <a@[10.0.0.1]>\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(encoded_words_stay_within_75_characters_and_whole_characters) {
    // Q or B, whichever is shorter; a 4-byte character is never split, whatever the fold.
    for (int n = 0; n < 90; ++n) {
        const std::string subject = std::string(n, 'a') + "😀😀😀 and ü";
        const auto msg = minimal().subject(subject).to_string();
        check_invariants(msg);
        BOOST_TEST(longest_header_line(msg) <= 78u, n);
        const std::regex word("=\\?UTF-8\\?([QB])\\?([^?]*)\\?=");
        const auto head = head_of(msg);
        for (auto it = std::sregex_iterator(head.begin(), head.end(), word);
             it != std::sregex_iterator(); ++it)
            BOOST_TEST(it->length(0) <= 75, n);
    }
    BOOST_TEST(minimal()
                   .subject("Hello Jürgen how are you")
                   .to_string()
                   .find("Subject: =?UTF-8?Q?Hello_J=C3=BCrgen_how_are_you?=\r\n") !=
               std::string::npos);
    BOOST_TEST(minimal().subject("ü").to_string().find("Subject: =?UTF-8?B?w7w=?=\r\n") !=
               std::string::npos);
    BOOST_TEST(minimal().subject("日本語").to_string().find(
                   "Subject: =?UTF-8?B?5pel5pys6Kqe?=\r\n") != std::string::npos);
    // Plain ASCII stays plain, and folds at spaces.
    const auto plain =
        minimal().subject(std::string(50, 'a') + " " + std::string(50, 'b')).to_string();
    BOOST_TEST(plain.find("Subject: " + std::string(50, 'a') + "\r\n " + std::string(50, 'b') +
                          "\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(display_names_plain_quoted_or_encoded) {
    auto from_line = [](const std::string& name) {
        const auto msg = minimal().from({"s@example.com", name}).to_string();
        const auto at = msg.find("\r\nFrom: ") + 8;
        return msg.substr(at, msg.find("\r\n", at) - at);
    };
    BOOST_TEST(from_line("Ann Example") == "Ann Example <s@example.com>");
    BOOST_TEST(from_line("Doe, John") == "\"Doe, John\" <s@example.com>");
    BOOST_TEST(from_line("say \"hi\" \\o/") == "\"say \\\"hi\\\" \\\\o/\" <s@example.com>");
    BOOST_TEST(from_line("a@b (c)") == "\"a@b (c)\" <s@example.com>");
    BOOST_TEST(from_line("Jürgen Müller") == "=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <s@example.com>");
    BOOST_TEST(from_line("Lëser Nummer 3") == "=?UTF-8?B?TMOrc2Vy?= Nummer 3 <s@example.com>");
    BOOST_TEST(from_line("=?UTF-8?Q?x?=").rfind("=?UTF-8?", 0) == 0); // never read as a word
    BOOST_TEST(from_line("=?UTF-8?Q?x?=") != "=?UTF-8?Q?x?= <s@example.com>");
}

BOOST_AUTO_TEST_CASE(transfer_encodings_per_part) {
    auto encoding_of = [](const std::string& text) {
        const auto msg = minimal().text(text).to_string();
        check_invariants(msg);
        const auto at = msg.find("Content-Transfer-Encoding: ") + 27;
        return msg.substr(at, msg.find("\r\n", at) - at);
    };
    BOOST_TEST(encoding_of(std::string(998, 'a')) == "7bit");
    BOOST_TEST(encoding_of(std::string(999, 'a')) == "quoted-printable");
    BOOST_TEST(encoding_of(".\n.\n") == "7bit");
    BOOST_TEST(encoding_of("") == "7bit");
    BOOST_TEST(encoding_of("Hello Jürgen, the total is 10 euros.\n") == "quoted-printable");
    BOOST_TEST(encoding_of("Grüße, Jürgen") == "base64"); // shorter than quoted-printable
    BOOST_TEST(encoding_of("日本語のテキスト") == "base64");
    BOOST_TEST(encoding_of(std::string("a\0b", 3)) == "quoted-printable");

    // Attachments are base64 in lines of 76, whatever their type, so bytes arrive unchanged.
    for (std::size_t size : {0u, 1u, 56u, 57u, 58u, 114u, 115u, 10000u}) {
        const auto msg =
            minimal().attach_file("f.txt", std::string(size, 'x'), "text/plain").to_string();
        check_invariants(msg);
        const auto body_at = msg.find("\r\n\r\n", msg.find("filename=\"f.txt\"")) + 4;
        const auto body = msg.substr(body_at, msg.find("\r\n--", body_at) - body_at);
        BOOST_TEST(body.size() == cfmail::mime::detail::base64_lines_size(size), size);
        for (std::size_t start = 0; start < body.size();) {
            const auto end = std::min(body.find("\r\n", start), body.size());
            BOOST_TEST((end - start == 76 || end == body.size()), size);
            start = end + 2;
        }
    }
}

BOOST_AUTO_TEST_CASE(quoted_printable_at_its_edges) {
    using cfmail::mime::detail::quoted_printable;
    BOOST_TEST(quoted_printable("a=b\r\n") == "a=3Db\r\n");
    BOOST_TEST(quoted_printable("end \r\ntab\t\r\n") == "end=20\r\ntab=09\r\n");
    BOOST_TEST(quoted_printable("\xc3\xbc") == "=C3=BC");
    const auto long_line = quoted_printable(std::string(200, 'a') + "\r\n");
    BOOST_TEST(long_line.substr(0, 78) == std::string(75, 'a') + "=\r\n");
    // An escape is never split by a soft break.
    const auto escapes = quoted_printable(std::string(74, 'a') + "\xc3\xbc" + "\r\n");
    BOOST_TEST(escapes == std::string(74, 'a') + "=\r\n=C3=BC\r\n");
    BOOST_TEST(quoted_printable(std::string(76, 'a') + "\r\n") == std::string(76, 'a') + "\r\n");
}

BOOST_AUTO_TEST_CASE(structure_follows_the_parts) {
    auto types = [](const message& m) {
        const auto msg = m.to_string();
        check_invariants(msg);
        std::string out;
        const std::regex type("Content-Type: ([a-z]+/[a-z-]+)");
        for (auto it = std::sregex_iterator(msg.begin(), msg.end(), type);
             it != std::sregex_iterator(); ++it)
            out += (out.empty() ? "" : " ") + (*it)[1].str();
        return out;
    };
    BOOST_TEST(types(minimal()) == "text/plain");
    BOOST_TEST(types(minimal().html("h")) == "multipart/alternative text/plain text/html");
    BOOST_TEST(types(minimal().html("h").inline_image("i", "x", "image/png")) ==
               "multipart/related multipart/alternative text/plain text/html image/png");
    BOOST_TEST(types(minimal().attach_file("a", "x", "application/pdf")) ==
               "multipart/mixed text/plain application/pdf");
    BOOST_TEST(types(message().from({"s@example.com"})) == "text/plain");
    const auto related = minimal().html("h").inline_image("i", "x", "image/png").to_string();
    BOOST_TEST(related.find("multipart/related; type=\"multipart/alternative\";") !=
               std::string::npos);
    BOOST_TEST(related.find("Content-ID: <i>\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(boundaries_are_random_and_absent_from_every_part) {
    const auto msg = minimal().html("h").attach_file("a", "x", "").to_string();
    const std::regex boundary("boundary=\"(=_[0-9a-f]{32})\"");
    std::vector<std::string> found;
    for (auto it = std::sregex_iterator(msg.begin(), msg.end(), boundary);
         it != std::sregex_iterator(); ++it)
        found.push_back((*it)[1].str());
    BOOST_TEST_REQUIRE(found.size() == 2u);
    BOOST_TEST(found[0] != found[1]);
    for (const auto& b : found) {
        // Delimiter lines only: "--b" once per part, and "--b--" once.
        std::size_t lines = 0;
        for (std::size_t at = msg.find("\r\n--" + b); at != std::string::npos;
             at = msg.find("\r\n--" + b, at + 1))
            ++lines;
        BOOST_TEST(lines == 3u); // two parts and the close
    }
}

BOOST_AUTO_TEST_CASE(long_address_lists_fold_at_78_columns) {
    message m;
    m.from({"s@example.com", "Sender"});
    for (int i = 0; i < 50; ++i)
        m.to({"recipient" + std::to_string(i) + "@example.org",
              "Recipient Nummer " + std::to_string(i)});
    const auto msg = m.to_send_raw(account).mime_message;
    check_invariants(msg);
    BOOST_TEST(longest_header_line(msg) <= 78u);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace unit_mime_test
