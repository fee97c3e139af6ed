// Messages built by cfmail::mime::message, judged by an outside parser: Python's `email`
// package reads each one back (check_mime.py, run as a process) and must find no defect and
// exactly what was given. Then a few are sent through the emulator, which must store them
// byte for byte.
#include "processes.hpp"

#include <cfmail/https_client.hpp>
#include <cfmail/mime.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <random>

// The file's names in a namespace of their own: the build may compile test files together.
namespace integration_mime_test {

using namespace cfmail_test;
namespace json = boost::json;
using cfmail::mailbox;
using cfmail::mime::message;

namespace {

const std::string account = "023e105f4ecef8ad9ca31a8372d0c353";

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (char c : bytes) {
        out += digits[static_cast<unsigned char>(c) >> 4];
        out += digits[static_cast<unsigned char>(c) & 15];
    }
    return out;
}

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::string out(n, '\0');
    for (auto& c : out)
        c = static_cast<char>(gen());
    return out;
}

json::array addresses(const std::vector<mailbox>& list) {
    json::array out;
    for (const auto& m : list) {
        json::value name = nullptr;
        if (m.name && !m.name->empty())
            name = json::string(*m.name);
        out.push_back(json::array{name, json::string(m.address)});
    }
    return out;
}

json::object text_leaf(std::string_view text) {
    return {{"text", hex(text)}};
}

json::object file_leaf(std::string_view bytes, std::string_view filename,
                       std::string_view content_id = {}) {
    json::object leaf{{"bytes", hex(bytes)}};
    leaf["filename"] =
        filename.empty() ? json::value(nullptr) : json::value(json::string(filename));
    if (!content_id.empty())
        leaf["content_id"] = content_id;
    return leaf;
}

// What a message was built from, written next to it for check_mime.py.
struct expectation {
    std::string name;
    message built;
    json::object spec;
};

// A text-only message whose subject (or From name) is under test.
expectation text_message(std::string name, std::string subject, mailbox from = {"s@example.com"},
                         std::string text = "body") {
    expectation e{std::move(name), {}, {}};
    e.built.from(from).to({"r@example.org"}).subject(subject).text(text);
    json::object headers{{"From", addresses({from})}};
    if (!subject.empty())
        headers["Subject"] = subject;
    e.spec = {{"headers", headers},
              {"structure", "text/plain"},
              {"leaves", json::array{text_leaf(text)}}};
    return e;
}

std::vector<expectation> every_case() {
    std::vector<expectation> cases;

    // The newsletter: UTF-8 names and subject, text and HTML, an inline logo, a PDF, forty
    // recipients and a blind copy.
    {
        const std::string pdf = random_bytes(50000, 1), png = random_bytes(3000, 2);
        std::vector<mailbox> to;
        for (int i = 0; i < 40; ++i)
            to.push_back({"reader" + std::to_string(i) + "@example.org",
                          i % 3 == 0
                              ? std::optional<std::string>("Lëser Nummer " + std::to_string(i))
                              : std::nullopt});
        const mailbox from{"sender@example.com", "Jürgen Müller"};
        const std::string text = "Hallo,\n\nanbei der Bericht – viel Spaß.\n";
        const std::string html = "<p>Hallo, <img src=\"cid:logo\"> anbei der Bericht.</p>";
        expectation e{"newsletter", {}, {}};
        e.built.from(from)
            .to(to)
            .bcc({"audit@example.com"})
            .subject("Grüße – your report")
            .text(text)
            .html(html)
            .attach_file("report.pdf", pdf, "application/pdf")
            .inline_image("logo", png, "image/png", "logo.png");
        e.spec = {{"headers",
                   {{"From", addresses({from})},
                    {"To", addresses(to)},
                    {"Subject", "Grüße – your report"}}},
                  {"absent", {"Bcc"}},
                  {"structure", "multipart/mixed(multipart/related(multipart/alternative("
                                "text/plain,text/html),image/png),application/pdf)"},
                  {"leaves",
                   json::array{text_leaf(text), text_leaf(html), file_leaf(png, "logo.png", "logo"),
                               file_leaf(pdf, "report.pdf")}}};
        cases.push_back(std::move(e));
    }

    // Subjects around the length of one encoded word (75 characters: "=3D=3F" plus 57 to 59
    // letters fill it to 75, 76, 77), characters of every width at the fold, and long ones.
    for (int n = 50; n <= 70; ++n)
        cases.push_back(text_message("subject-q-" + std::to_string(n), "=?" + std::string(n, 'a')));
    for (int n = 1; n <= 70; ++n) {
        std::string s;
        for (int i = 0; i < n; ++i)
            s += "é";
        cases.push_back(text_message("subject-e-" + std::to_string(n), s));
    }
    for (int n = 25; n <= 80; ++n)
        cases.push_back(text_message("subject-emoji-" + std::to_string(n),
                                     std::string(n, 'a') + "😀😀 " + std::string(5, 'b') + "€"));
    cases.push_back(text_message("subject-long-utf8", [] {
        std::string s;
        for (int i = 0; i < 300; ++i)
            s += i % 7 == 0 ? " " : "日";
        return s;
    }()));
    cases.push_back(text_message("subject-long-word", std::string(900, 'w')));
    cases.push_back(text_message("subject-longer-word", "a " + std::string(950, 'w')));
    cases.push_back(text_message("subject-words", [] {
        std::string s;
        for (int i = 0; i < 60; ++i)
            s += "word" + std::to_string(i) + (i % 5 ? " " : ", ");
        return s + "end";
    }()));
    cases.push_back(text_message("subject-spaces", "  leading, double  and trailing  "));
    cases.push_back(text_message("subject-tab", "a\tb"));
    cases.push_back(text_message("subject-literal-encoded-word", "=?UTF-8?B?SGk=?= stays text"));
    cases.push_back(text_message("subject-empty", ""));

    // Display names: specials, quotes, backslashes, non-ASCII, long ones, look-alikes of
    // encoded words.
    const std::vector<std::string> names = {
        "Ann Example",
        "Doe, John",
        "say \"hi\"",
        "back\\slash",
        "user@host",
        "(comment) name",
        "a;b:c<d>e[f]g.h",
        "Jürgen Müller",
        "Ünïcødé, with comma",
        "😀 emoji",
        "=?UTF-8?B?SGk=?=",
        "two  spaces",
        " leading",
        std::string(500, '"'),
        "trailing ",
        "a  ü",
        "ü a ",
        "Lëser Nummer 3",
        " ü",
        std::string(300, 'n'),
        [] {
            std::string s;
            for (int i = 0; i < 40; ++i)
                s += "Name" + std::to_string(i) + ", ";
            return s + "last";
        }(),
        [] {
            std::string s;
            for (int i = 0; i < 100; ++i)
                s += "Ж";
            return s;
        }(),
    };
    // Names that need more than one encoded word: Python reads a space between the words.
    auto needs_words = [](const std::string& name) {
        const auto escapes =
            std::count_if(name.begin(), name.end(), [](char c) { return c == '"' || c == '\\'; });
        return name.size() > 45 &&
               (std::any_of(name.begin(), name.end(), [](char c) { return c & 0x80; }) ||
                name.size() + static_cast<std::size_t>(escapes) > 900);
    };
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto c = text_message("name-" + std::to_string(i), "names", {"s@example.com", names[i]});
        if (needs_words(names[i]))
            c.spec["python_spaces_encoded_words"] = true;
        cases.push_back(std::move(c));
    }
    {
        std::vector<mailbox> to, cc;
        for (std::size_t i = 0; i < names.size(); ++i)
            (i % 2 ? cc : to).push_back({"r" + std::to_string(i) + "@example.org", names[i]});
        expectation e{"name-lists", {}, {}};
        e.built.from({"s@example.com"}).to(to).cc(cc).reply_to({"reply@example.com", "Désk"});
        e.built.text("t");
        e.spec = {{"python_spaces_encoded_words", true},
                  {"headers",
                   {{"To", addresses(to)},
                    {"Cc", addresses(cc)},
                    {"Reply-To", addresses({{"reply@example.com", "Désk"}})}}},
                  {"structure", "text/plain"},
                  {"leaves", json::array{text_leaf("t")}}};
        cases.push_back(std::move(e));
    }

    // File names: spaces, quotes, non-ASCII, long ones; attachments of 0, 1, 57 and 58 bytes
    // (the edges of a base64 line).
    const std::vector<std::string> filenames = {
        "report final.pdf",
        "quote\"d.txt",
        "back\\slash.bin",
        "Grüße.pdf",
        "名前.txt",
        "semi;colon=equal,comma.txt",
        "=?UTF-8?B?ZXZpbC5leGU=?=",
        "a \"quoted\" Grüße name.pdf",
        std::string(150, 'f') + ".txt",
        [] {
            std::string s;
            for (int i = 0; i < 80; ++i)
                s += "ü";
            return s + ".bin";
        }(),
        "",
    };
    const std::vector<std::size_t> sizes = {0, 1, 57, 58, 76, 1000};
    for (std::size_t i = 0; i < filenames.size(); ++i) {
        for (std::size_t size : sizes) {
            const std::string content = random_bytes(size, static_cast<unsigned>(i * 100 + size));
            expectation e{"file-" + std::to_string(i) + "-" + std::to_string(size), {}, {}};
            e.built.from({"s@example.com"}).to({"r@example.org"}).text("see attached");
            e.built.attach_file(filenames[i], content, i % 2 ? "" : "application/x-test");
            e.spec = {{"structure", i % 2 ? "multipart/mixed(text/plain,application/octet-stream)"
                                          : "multipart/mixed(text/plain,application/x-test)"},
                      {"leaves",
                       json::array{text_leaf("see attached"), file_leaf(content, filenames[i])}}};
            cases.push_back(std::move(e));
        }
    }

    // Bodies at the edges of each transfer encoding.
    const std::vector<std::pair<std::string, std::string>> texts = {
        {"line-998", std::string(998, 'a') + "\r\n"},
        {"line-999", std::string(999, 'a') + "\r\n"},
        {"line-5000", std::string(5000, 'q')},
        {"dots", ".\r\n.\r\n..\r\n.\r\n"},
        {"empty", ""},
        {"bare-lf", "one\ntwo\n\nthree"},
        {"bare-cr", "one\rtwo\r\rthree"},
        {"mixed-ends", "a\r\nb\nc\rd\n\r"},
        {"trailing-space", "space   \ntab\t\nend "},
        {"equals", "a=b ==\n=3D =\n"},
        {"from", "From the start\n>From\n"},
        {"mostly-ascii", "Hello Jürgen, the total is 10 € – thanks.\nBye.\n"},
        {"mostly-utf8",
         [] {
             std::string s;
             for (int i = 0; i < 500; ++i)
                 s += i % 40 == 39 ? "\n" : "日本語";
             return s;
         }()},
        {"long-utf8-line",
         [] {
             std::string s;
             for (int i = 0; i < 600; ++i)
                 s += "é";
             return s;
         }()},
        {"nul", std::string("a\0b\n", 4)},
        {"boundary-like", "--=_0123456789abcdef0123456789abcdef\n--\n"},
    };
    for (const auto& [name, text] : texts) {
        for (int with_html = 0; with_html < 2; ++with_html) {
            expectation e{"text-" + name + (with_html ? "-html" : ""), {}, {}};
            e.built.from({"s@example.com"}).to({"r@example.org"}).text(text);
            json::array leaves{text_leaf(text)};
            if (with_html) {
                e.built.html(text);
                leaves.push_back(text_leaf(text));
            }
            e.spec = {{"structure",
                       with_html ? "multipart/alternative(text/plain,text/html)" : "text/plain"},
                      {"leaves", leaves}};
            cases.push_back(std::move(e));
        }
    }

    // HTML only, attachments only, custom headers.
    {
        expectation e{"html-only", {}, {}};
        e.built.from({"s@example.com"}).to({"r@example.org"}).html("<b>bold</b>");
        e.spec = {{"structure", "text/html"}, {"leaves", json::array{text_leaf("<b>bold</b>")}}};
        cases.push_back(std::move(e));
    }
    {
        const std::string a = random_bytes(100, 7), b = random_bytes(200, 8);
        expectation e{"attachments-only", {}, {}};
        e.built.from({"s@example.com"}).to({"r@example.org"});
        e.built.attach_file("a.bin", a, "application/octet-stream").attach_file("b", b, "");
        e.spec = {
            {"structure", "multipart/mixed(application/octet-stream,application/octet-stream)"},
            {"leaves", json::array{file_leaf(a, "a.bin"), file_leaf(b, "b")}}};
        cases.push_back(std::move(e));
    }
    {
        expectation e{"custom-headers", {}, {}};
        e.built.from({"s@example.com"}).to({"r@example.org"}).text("x");
        e.built.header("X-Campaign", "Grüße 2026")
            .header("List-Unsubscribe", "<mailto:u@example.com>");
        e.built.header("X-Long", [] {
            std::string s;
            for (int i = 0; i < 50; ++i)
                s += "value" + std::to_string(i) + " ";
            return s + "end";
        }());
        e.spec = {{"headers",
                   {{"X-Campaign", "Grüße 2026"}, {"List-Unsubscribe", "<mailto:u@example.com>"}}},
                  {"structure", "text/plain"},
                  {"leaves", json::array{text_leaf("x")}}};
        cases.push_back(std::move(e));
    }
    return cases;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mime_read_back)

// Python's email parser, with the modern policy, reads every built message back exactly.
BOOST_AUTO_TEST_CASE(python_reads_every_message_back_exactly) {
    const char* script = std::getenv("CFMAIL_MIME_CHECK");
    BOOST_TEST_REQUIRE(script != nullptr, "CFMAIL_MIME_CHECK must name check_mime.py");
    const auto dir = fs::temp_directory_path() / ("cfmail-mime-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto cases = every_case();
    for (const auto& c : cases) {
        boost::system::error_code ec;
        cfmail::diagnostics diag;
        const std::string built = c.built.to_string(ec, diag);
        BOOST_TEST_REQUIRE(!ec, c.name << ": " << diag.detail);
        write_file(dir / (c.name + ".eml"), built);
        write_file(dir / (c.name + ".json"), json::serialize(c.spec));
    }
    const std::string cmd = "timeout 120 python3 " + quote(script) + " " + quote(dir.string()) +
                            " >" + quote((dir / "out").string()) + " 2>&1";
    const int raw = std::system(cmd.c_str());
    const std::string out = read_file(dir / "out");
    BOOST_TEST(WIFEXITED(raw));
    BOOST_TEST(WEXITSTATUS(raw) == 0, out);
    BOOST_TEST(out.find(std::to_string(cases.size()) + " of " + std::to_string(cases.size()) +
                        " messages read back exactly") != std::string::npos,
               out);
    fs::remove_all(dir);
}

// Built messages go through send_raw and the emulator stores them byte for byte: nothing on the
// way re-encodes them.
BOOST_AUTO_TEST_CASE(sent_messages_are_stored_byte_identical) {
    emulator_process e;
    cfmail::https_options https;
    https.tls.ca_file = e.cert().cert_file;
    cfmail::client_options opts;
    opts.base_url = e.base_url();
    cfmail::blocking_client client(cfmail::blocking_https_transport(https),
                                   cfmail::api_token{"cli-SECRET-token"}, opts);
    const auto cases = every_case();
    std::vector<std::string> sent;
    for (const char* name : {"newsletter", "text-mostly-utf8-html", "file-8-58", "name-lists"}) {
        const auto it = std::find_if(cases.begin(), cases.end(),
                                     [&](const expectation& c) { return c.name == name; });
        BOOST_TEST_REQUIRE((it != cases.end()), name);
        const auto req = it->built.to_send_raw(account);
        BOOST_TEST(req.mime_message.find("\r\nBcc:") == std::string::npos);
        client.send_raw(req);
        sent.push_back(req.mime_message);
    }
    std::vector<std::string> stored;
    for (const auto& p : e.stored())
        stored.push_back(read_file(p));
    std::sort(sent.begin(), sent.end());
    std::sort(stored.begin(), stored.end());
    BOOST_TEST_REQUIRE(stored.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i)
        BOOST_TEST((stored[i] == sent[i]), "stored message " << i << " differs from the sent one");
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace integration_mime_test
