// libFuzzer target: the MIME builder (cfmail::mime::message) on arbitrary display names,
// subject, bodies, file names, content types, attachment bytes and custom headers. What it
// refuses must say why; what it builds is parsed back independently of the builder and must
// keep its promises: CRLF line ends only, no line over 998 octets, only ASCII without NUL,
// every RFC 2047 encoded word in the header well formed and decoding to UTF-8 (and the Subject,
// display names and custom header value decoding to exactly what was given), every boundary
// found only on its own delimiter lines, every part decoding to exactly its text or bytes, no
// Bcc header, and the size to_send_raw checks before encoding equal to the size written.
#include <cfmail/mime.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using std::string_view;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_mime: invariant broken: %s\n", what);
        std::abort();
    }
}

bool starts_with(string_view s, string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

bool is_printable_ascii(string_view s) {
    for (char c : s) {
        if (c < 0x20 || c > 0x7e)
            return false;
    }
    return true;
}

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
bool is_utf8(string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    for (std::size_t i = 0; i < s.size();) {
        const unsigned c = p[i];
        std::size_t len;
        std::uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size())
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

int hex_value(char c) { // upper case only, as the builder writes it
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// Standard base64 with padding; appends the decoded bytes to `out`.
bool decode_base64(string_view in, std::string& out) {
    if (in.size() % 4 != 0)
        return false;
    std::size_t pad = 0;
    while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=')
        ++pad;
    for (std::size_t i = 0; i + pad < in.size(); ++i) {
        if (!is_base64_char(in[i]))
            return false;
    }
    if (in.empty())
        return true;
    std::string buffer(in.size() / 4 * 3 + 1, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buffer.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    // EVP_DecodeBlock counts the padding as decoded zero bytes.
    if (n < 0 || static_cast<std::size_t>(n) != in.size() / 4 * 3)
        return false;
    out.append(buffer.data(), static_cast<std::size_t>(n) - pad);
    return true;
}

// RFC 2047 Q text as the builder may write it in a phrase: letters, digits, "!*+-/", '_' for a
// space and =XX for any other byte.
bool decode_q(string_view in, std::string& out) {
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '_') {
            out += ' ';
        } else if (c == '=') {
            const int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
            const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '!' || c == '*' || c == '+' || c == '-' || c == '/') {
            out += c;
        } else {
            return false;
        }
    }
    return true;
}

// One whole encoded word `=?UTF-8?B?...?=` or `=?UTF-8?Q?...?=`: at most 75 characters, not
// empty, decoding to valid UTF-8 on its own (a character is never split between words).
bool decode_word(string_view word, std::string& out) {
    if (word.size() < 13 || word.size() > 75 || !starts_with(word, "=?UTF-8?") || word[9] != '?' ||
        word.substr(word.size() - 2) != "?=")
        return false;
    const string_view text = word.substr(10, word.size() - 12);
    if (text.find('?') != string_view::npos)
        return false;
    std::string decoded;
    if (word[8] == 'B') {
        if (!decode_base64(text, decoded))
            return false;
    } else if (word[8] == 'Q') {
        if (!decode_q(text, decoded))
            return false;
    } else {
        return false;
    }
    if (decoded.empty() || !is_utf8(decoded))
        return false;
    out += decoded;
    return true;
}

bool is_atext(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           string_view("!#$%&'*+-/=?^_`{|}~").find(c) != string_view::npos;
}

// An unfolded field text as a reader decodes it (RFC 2047 6.2): words separated by single
// spaces, each an encoded word or a plain word (an atom when `atoms`); the space between two
// adjacent encoded words is dropped, any other is kept.
bool decode_words(string_view text, bool atoms, std::string& out) {
    if (text.empty())
        return false;
    bool previous_encoded = false;
    for (std::size_t i = 0; i <= text.size();) {
        const std::size_t space = std::min(text.find(' ', i), text.size());
        const string_view word = text.substr(i, space - i);
        if (word.empty())
            return false;
        const bool encoded = starts_with(word, "=?");
        if (i != 0 && !(encoded && previous_encoded))
            out += ' ';
        if (encoded) {
            if (!decode_word(word, out))
                return false;
        } else {
            if (word.find("=?") != string_view::npos)
                return false;
            for (char c : word) {
                if (atoms ? !is_atext(c) : c <= 0x20 || c > 0x7e)
                    return false;
            }
            out += word;
        }
        previous_encoded = encoded;
        i = space + 1;
    }
    return true;
}

// Every "=?" of a header block starts an encoded word standing alone between white space
// (the fuzzer keeps "=?" out of the fields it does not expect the builder to encode).
void check_encoded_words(string_view head) {
    for (std::size_t at = head.find("=?"); at != string_view::npos; at = head.find("=?", at + 2)) {
        check(at > 0 && head[at - 1] == ' ', "an encoded word does not follow a space");
        check(head.compare(at, 8, "=?UTF-8?") == 0 && at + 10 <= head.size() && head[at + 9] == '?',
              "'=?' in the header that is not a UTF-8 encoded word");
        const std::size_t end = head.find('?', at + 10);
        check(end != string_view::npos && end + 2 < head.size() && head[end + 1] == '=',
              "an encoded word without its '?='");
        check(head[end + 2] == ' ' || head[end + 2] == '\r',
              "an encoded word not followed by white space");
        std::string decoded;
        check(decode_word(head.substr(at, end + 2 - at), decoded),
              "an encoded word that does not decode to UTF-8");
        at = end;
    }
}

// The unfolded value of the first field `name` in a header block (lines ending in CRLF), from
// just after its colon; nullopt when there is none.
std::optional<std::string> field(string_view head, string_view name) {
    std::size_t pos = 0;
    while (pos < head.size()) {
        std::size_t eol = head.find("\r\n", pos);
        const string_view line = head.substr(pos, eol - pos);
        pos = eol + 2;
        if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
            line[name.size()] != ':')
            continue;
        std::string value(line.substr(name.size() + 1));
        while (pos < head.size() && (head[pos] == ' ' || head[pos] == '\t')) {
            eol = head.find("\r\n", pos);
            value += head.substr(pos, eol - pos);
            pos = eol + 2;
        }
        return value;
    }
    return std::nullopt;
}

// Every line of a header block is a field or the continuation of one.
void check_header_lines(string_view head) {
    check(!head.empty() && head.substr(head.size() - 2) == "\r\n", "a header block without CRLF");
    for (std::size_t pos = 0; pos < head.size();) {
        const std::size_t eol = head.find("\r\n", pos);
        const string_view line = head.substr(pos, eol - pos);
        if (pos != 0 && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
            check(line.find_first_not_of(" \t") != string_view::npos,
                  "a header continuation line of white space only");
        } else {
            const std::size_t colon = line.find(':');
            check(colon != string_view::npos && colon > 0, "a header line that is not a field");
            for (char c : line.substr(0, colon))
                check(c > 0x20 && c < 0x7f, "a field name outside printable ASCII");
        }
        pos = eol + 2;
    }
}

bool is_attribute_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           string_view("!#$&+-.^_`|~").find(c) != string_view::npos;
}

std::string percent_decode(string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%') {
            const int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
            const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
            check(hi >= 0 && lo >= 0, "a bad percent escape in an RFC 2231 parameter");
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            check(is_attribute_char(in[i]), "a raw character that needs escaping in RFC 2231");
            out += in[i];
        }
    }
    return out;
}

// The value of parameter `attribute` of an unfolded Content-Type or Content-Disposition value:
// a quoted string, an RFC 2231 extended value, or numbered RFC 2231 continuations.
std::optional<std::string> parameter(string_view value, string_view attribute) {
    std::size_t pos = value.find(';');
    if (pos == string_view::npos)
        return std::nullopt;
    ++pos;
    std::optional<std::string> plain;
    std::map<unsigned, std::pair<bool, std::string>> sections; // number: extended, raw value
    while (pos < value.size()) {
        while (pos < value.size() && value[pos] == ' ')
            ++pos;
        const std::size_t eq = value.find('=', pos);
        check(eq != string_view::npos, "a parameter without '='");
        const string_view name = value.substr(pos, eq - pos);
        pos = eq + 1;
        std::string raw;
        bool quoted = false;
        if (pos < value.size() && value[pos] == '"') {
            quoted = true;
            for (++pos;;) {
                check(pos < value.size(), "an unterminated quoted parameter");
                const char c = value[pos++];
                if (c == '"')
                    break;
                if (c == '\\') {
                    check(pos < value.size(), "a quoted parameter ending in a backslash");
                    raw += value[pos++];
                } else {
                    raw += c;
                }
            }
        } else {
            const std::size_t end = std::min(value.find(';', pos), value.size());
            raw = value.substr(pos, end - pos);
            pos = end;
        }
        while (pos < value.size() && value[pos] == ' ')
            ++pos;
        if (pos < value.size()) {
            check(value[pos] == ';', "parameters not separated by ';'");
            ++pos;
        }
        if (name == attribute) {
            check(quoted, "a plain parameter value that is not quoted");
            check(!plain && sections.empty(), "a parameter given twice");
            plain = raw;
        } else if (starts_with(name, attribute) && name.size() > attribute.size() &&
                   name[attribute.size()] == '*') {
            string_view rest = name.substr(attribute.size() + 1);
            unsigned number = 0;
            bool extended = true;
            if (!rest.empty()) {
                extended = rest.back() == '*';
                if (extended)
                    rest.remove_suffix(1);
                check(!rest.empty() && rest.size() < 4 &&
                          rest.find_first_not_of("0123456789") == string_view::npos &&
                          (rest.size() == 1 || rest[0] != '0'),
                      "a bad RFC 2231 section number");
                number = static_cast<unsigned>(std::stoul(std::string(rest)));
            }
            check(!plain && sections.count(number) == 0, "a parameter section given twice");
            sections[number] = {extended, raw};
        }
    }
    if (plain)
        return plain;
    if (sections.empty())
        return std::nullopt;
    std::string out;
    unsigned expected = 0;
    for (auto& [number, section] : sections) {
        check(number == expected++, "RFC 2231 sections not numbered 0, 1, 2, ...");
        string_view raw = section.second;
        if (number == 0) {
            check(section.first && starts_with(raw, "UTF-8''"),
                  "an RFC 2231 value without its UTF-8'' prefix");
            raw.remove_prefix(7);
        }
        out += section.first ? percent_decode(raw) : std::string(raw);
    }
    return out;
}

// MIME's canonical form of text: LF, CR and CRLF all CRLF, and a final line break.
std::string canonical(string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' || text[i] == '\n') {
            out += "\r\n";
            if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
        } else {
            out += text[i];
        }
    }
    if (!out.empty() && out.back() != '\n')
        out += "\r\n";
    return out;
}

std::string ascii_fallback(string_view utf8) {
    std::string out;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        out += c >= 0x20 && c <= 0x7e ? static_cast<char>(c) : '_';
        i += c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    }
    return out;
}

std::vector<string_view> lines_of(string_view body) { // body without a final CRLF
    std::vector<string_view> lines;
    for (std::size_t pos = 0;;) {
        const std::size_t eol = body.find("\r\n", pos);
        lines.push_back(body.substr(pos, eol == string_view::npos ? eol : eol - pos));
        if (eol == string_view::npos)
            return lines;
        pos = eol + 2;
    }
}

std::string decode_body(string_view cte, string_view body) {
    std::string out;
    if (cte == " 7bit")
        return std::string(body);
    if (cte == " base64") {
        if (body.size() >= 2 && body.substr(body.size() - 2) == "\r\n")
            body.remove_suffix(2);
        if (body.empty())
            return out;
        std::string joined;
        for (auto line : lines_of(body)) {
            check(line.size() <= 76, "a base64 line over 76 characters");
            joined += line;
        }
        check(decode_base64(joined, out), "a base64 body that does not decode");
        return out;
    }
    check(cte == " quoted-printable", "an unknown Content-Transfer-Encoding");
    if (body.empty())
        return out;
    check(body.size() >= 2 && body.substr(body.size() - 2) == "\r\n",
          "a quoted-printable body without a final line break");
    body.remove_suffix(2);
    for (auto line : lines_of(body)) {
        check(line.size() <= 76, "a quoted-printable line over 76 characters");
        check(line.empty() || (line.back() != ' ' && line.back() != '\t'),
              "quoted-printable white space at the end of a line");
        bool soft = false;
        for (std::size_t i = 0; i < line.size(); ++i) {
            const char c = line[i];
            if (c == '=') {
                if (i + 1 == line.size()) {
                    soft = true;
                    break;
                }
                const int hi = hex_value(line[i + 1]);
                const int lo = i + 2 < line.size() ? hex_value(line[i + 2]) : -1;
                check(hi >= 0 && lo >= 0, "a bad quoted-printable escape");
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
            } else {
                check((c >= 33 && c <= 126) || c == ' ' || c == '\t',
                      "a raw quoted-printable character that needs escaping");
                out += c;
            }
        }
        if (!soft)
            out += "\r\n";
    }
    return out;
}

struct leaf {
    std::string head; // its header block
    std::string content;
};

struct multipart_seen {
    std::string boundary;
    std::size_t parts = 0;
};

// Parses one entity (header block, blank line, body) into its leaves in order.
void walk(string_view entity, bool top, std::vector<leaf>& leaves,
          std::vector<multipart_seen>& multiparts, int depth) {
    check(depth < 8, "multiparts nested too deep");
    const std::size_t blank = entity.find("\r\n\r\n");
    check(blank != string_view::npos, "an entity without a blank line after its header");
    const string_view head = entity.substr(0, blank + 2);
    string_view body = entity.substr(blank + 4);
    check_header_lines(head);
    const auto type = field(head, "Content-Type");
    const auto cte = field(head, "Content-Transfer-Encoding");
    check(type.has_value(), "an entity without Content-Type");
    if (cte) { // a leaf
        leaves.push_back({std::string(head), decode_body(*cte, body)});
        return;
    }
    check(starts_with(*type, " multipart/"), "a leaf without Content-Transfer-Encoding");
    const auto boundary = parameter(*type, "boundary");
    check(boundary.has_value(), "a multipart without a boundary");
    const std::string& b = *boundary;
    check(!b.empty() && b.size() <= 70 && b.back() != ' ', "a boundary of bad length");
    for (char c : b) {
        check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  string_view("'()+_,-./:=? ").find(c) != string_view::npos,
              "a boundary character outside RFC 2046 bchars");
    }
    for (const auto& seen : multiparts)
        check(seen.boundary != b, "two multiparts with the same boundary");
    if (top) {
        check(body.size() >= 2 && body.substr(body.size() - 2) == "\r\n",
              "the message does not end in CRLF");
        body.remove_suffix(2);
    }
    const std::string delimiter = "--" + b;
    check(starts_with(body, delimiter + "\r\n"), "a multipart body that does not start with --b");
    multiparts.push_back({b, 0});
    const std::size_t index = multiparts.size() - 1;
    std::size_t start = delimiter.size() + 2;
    for (;;) {
        const std::size_t next = body.find("\r\n" + delimiter, start);
        check(next != string_view::npos, "a multipart without its close delimiter");
        walk(body.substr(start, next - start), false, leaves, multiparts, depth + 1);
        ++multiparts[index].parts;
        const std::size_t after = next + 2 + delimiter.size();
        if (body.substr(after) == "--")
            break;
        check(body.compare(after, 2, "\r\n") == 0,
              "a line starting with the boundary that is not a delimiter");
        start = after + 2;
    }
}

// A mailbox field with one mailbox: the display name, if any, decodes to exactly `name`.
void check_mailbox(string_view head, const char* name, const std::string& display,
                   const std::string& address) {
    const auto value = field(head, name);
    check(value.has_value(), "a mailbox field is missing");
    if (display.empty()) {
        check(*value == " " + address, "a mailbox without display name is not the address");
        return;
    }
    const std::string suffix = " <" + address + ">";
    check(value->size() > suffix.size() + 1 && (*value)[0] == ' ' &&
              value->compare(value->size() - suffix.size(), suffix.size(), suffix) == 0,
          "a mailbox field does not end in its <address>");
    const string_view phrase = string_view(*value).substr(1, value->size() - 1 - suffix.size());
    if (starts_with(phrase, "\"")) {
        check(is_printable_ascii(display), "a display name outside ASCII is not encoded");
        check(phrase.size() >= 2 && phrase.back() == '"', "an unterminated quoted display name");
        std::string unquoted;
        for (std::size_t i = 1; i + 1 < phrase.size(); ++i) {
            if (phrase[i] == '\\')
                ++i;
            else
                check(phrase[i] != '"', "an unescaped quote in a display name");
            unquoted += phrase[i];
        }
        check(unquoted == display, "a quoted display name is not the name given");
        return;
    }
    // Atoms and encoded words (a run of words that are not atoms is encoded as a whole).
    std::string decoded;
    check(decode_words(phrase, true, decoded),
          "a display name that is not atoms and encoded words that decode");
    check(decoded == display, "a display name does not decode to the name given");
}

// An unstructured field (Subject, a custom header): unfolded, plain words and encoded words
// that a reader decodes to exactly the text given.
void check_unstructured(string_view head, const std::string& name, const std::string& given) {
    const auto value = field(head, name);
    check(value.has_value(), "an unstructured field is missing");
    if (given.empty()) {
        check(value->empty(), "an empty field value is not empty");
        return;
    }
    check(value->size() > 1 && (*value)[0] == ' ', "a field value does not follow a space");
    std::string decoded;
    check(decode_words(string_view(*value).substr(1), false, decoded),
          "a field value that is not words and encoded words that decode");
    check(decoded == given, "a field value does not decode to the text given");
}

struct expected_leaf {
    std::string content;
    const cfmail::attachment* part = nullptr; // null: a text or html body
    const char* text_type = nullptr;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cfmail;
    // Fields separated by 0xff bytes (never in UTF-8):
    //  0 control: flags, UTC offset, 4 bytes of date, XOR key for attachment bytes
    //  1 From name        2 To name        3 subject        4 text body      5 html body
    //  6 filename A       7 type A         8 bytes A
    //  9 filename B      10 type B        11 bytes B       12 content id (inline parts)
    // 13 header name     14 header value  15 message id
    std::vector<std::string> f(1);
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == 0xff && f.size() < 16)
            f.emplace_back();
        else
            f.back() += static_cast<char>(data[i]);
    }
    f.resize(16);
    auto control = [&](std::size_t i) {
        return i < f[0].size() ? static_cast<unsigned char>(f[0][i]) : 0u;
    };
    const unsigned flags = control(0);
    const std::string from = "sender@example.com", to = "to@example.com", cc = "cc@example.com",
                      bcc = "bcc@example.com";

    mime::message m;
    m.from(mailbox{from, f[1].empty() ? std::nullopt : std::optional<std::string>(f[1])});
    m.to(mailbox{to, f[2]});
    if (flags & 0x80) {
        m.cc(mailbox{cc}).bcc(mailbox{bcc}).reply_to(mailbox{"reply@example.com", f[2]});
        // '=?' only where the builder writes encoded words (see check_encoded_words).
        if (!f[15].empty() && f[15].find("=?") == std::string::npos)
            m.message_id(f[15]);
    }
    m.subject(f[3]);
    if (flags & 0x01)
        m.text(f[4]);
    if (flags & 0x02)
        m.html(f[5]);
    const auto key = static_cast<char>(control(6)); // lets attachment bytes hold 0xff
    auto bytes = [&](std::string s) {
        for (char& c : s)
            c = static_cast<char>(c ^ key);
        return s;
    };
    if (flags & 0x04) {
        if (flags & 0x08)
            m.inline_image(f[12], bytes(f[8]), f[7], f[6]);
        else
            m.attach_file(f[6], bytes(f[8]), f[7]);
    }
    if (flags & 0x10) {
        if (flags & 0x20)
            m.inline_image(f[12] + "b", bytes(f[11]), f[10], f[9]);
        else
            m.attach_file(f[9], bytes(f[11]), f[10]);
    }
    std::string header_name = f[13].find("=?") == std::string::npos ? f[13] : "X-Fuzz";
    // A printable ASCII value goes as given; one with "=?" would look like an encoded word
    // to the header-wide check, so it loses its '?'.
    const bool verbatim_value = mime::detail::is_verbatim_value(f[14]);
    std::string header_value = f[14];
    if (verbatim_value) {
        for (auto at = header_value.find("=?"); at != std::string::npos;
             at = header_value.find("=?", at))
            header_value[at + 1] = '_';
    }
    if (flags & 0x40)
        m.header(header_name, header_value);
    const auto offset = std::chrono::minutes(12 * static_cast<signed char>(control(1)));
    const auto when = std::chrono::sys_days(std::chrono::year(2000) / 1 / 1) +
                      std::chrono::seconds(control(2) | control(3) << 8 | control(4) << 16 |
                                           std::uint32_t(control(5)) << 24);
    m.date(when, offset);

    boost::system::error_code ec;
    diagnostics diag;
    const std::string out = m.to_string(ec, diag);
    if (ec) {
        check(!diag.detail.empty(), "an error without a detail");
        check(out.empty(), "an error with a message");
        return 0;
    }

    // Lines, bytes.
    check(out.size() >= 2 && out.substr(out.size() - 2) == "\r\n", "no final CRLF");
    std::size_t line = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto c = static_cast<unsigned char>(out[i]);
        check(c != 0 && c < 0x80, "a NUL or a byte outside ASCII");
        if (c == '\r') {
            check(i + 1 < out.size() && out[i + 1] == '\n', "a bare CR");
            check(line <= 998, "a line over 998 octets");
            line = 0;
            ++i;
        } else {
            check(c != '\n', "a bare LF");
            ++line;
        }
    }

    // The message header: fields, encoded words, what each field says.
    const std::size_t blank = out.find("\r\n\r\n");
    check(blank != std::string::npos, "no blank line after the header");
    const string_view head = string_view(out).substr(0, blank + 2);
    check_header_lines(head);
    check_encoded_words(head);
    for (std::size_t pos = 0; pos < head.size(); pos = head.find("\r\n", pos) + 2) {
        const auto l = head.substr(pos, 4);
        check(!(l.size() == 4 && (l[0] | 0x20) == 'b' && (l[1] | 0x20) == 'c' &&
                (l[2] | 0x20) == 'c' && l[3] == ':'),
              "a Bcc header");
    }
    check_mailbox(head, "From", f[1], from);
    check_mailbox(head, "To", f[2], to);
    if (f[3].empty())
        check(!field(head, "Subject"), "a Subject header for an empty subject");
    else
        check_unstructured(head, "Subject", f[3]);
    if (flags & 0x40 && verbatim_value)
        check(field(head, header_name) ==
                  std::optional<std::string>(header_value.empty() ? "" : " " + header_value),
              "a printable ASCII custom value that does not unfold to the value given");
    else if (flags & 0x40)
        check_unstructured(head, header_name, header_value);
    check(field(head, "MIME-Version") == std::optional<std::string>(" 1.0"), "no MIME-Version");

    // The body: structure, boundaries, every part decoding to what was given.
    std::vector<leaf> leaves;
    std::vector<multipart_seen> multiparts;
    walk(out, true, leaves, multiparts, 0);
    const auto lines = lines_of(string_view(out).substr(0, out.size() - 2));
    for (const auto& mp : multiparts) {
        const std::string delimiter = "--" + mp.boundary;
        std::size_t opens = 0, closes = 0;
        for (auto l : lines) {
            if (l == delimiter)
                ++opens;
            else if (l.size() == delimiter.size() + 2 && starts_with(l, delimiter) &&
                     l.substr(delimiter.size()) == "--")
                ++closes;
            else
                check(!starts_with(l, delimiter),
                      "a line starts with a boundary it does not close");
        }
        check(opens == mp.parts && closes == 1, "a boundary's delimiter lines miscounted");
    }

    std::vector<expected_leaf> expected;
    const std::optional<std::string> text = flags & 0x01 ? std::optional(f[4]) : std::nullopt;
    const std::optional<std::string> html = flags & 0x02 ? std::optional(f[5]) : std::nullopt;
    if (text)
        expected.push_back({canonical(*text), nullptr, "text/plain"});
    if (html)
        expected.push_back({canonical(*html), nullptr, "text/html"});
    // The parts as the message holds them: rebuilt here, in the order written (inline, then
    // attached, each in the order added).
    std::vector<attachment> parts;
    if (flags & 0x04)
        parts.push_back(
            {f[6], f[7], bytes(f[8]),
             flags & 0x08 ? content_disposition::inline_content : content_disposition::attachment,
             flags & 0x08 ? f[12] : std::string()});
    if (flags & 0x10)
        parts.push_back(
            {f[9], f[10], bytes(f[11]),
             flags & 0x20 ? content_disposition::inline_content : content_disposition::attachment,
             flags & 0x20 ? f[12] + "b" : std::string()});
    for (int inline_pass = 1; inline_pass >= 0; --inline_pass) {
        for (const auto& p : parts) {
            if ((p.disposition == content_disposition::inline_content) == (inline_pass == 1))
                expected.push_back({p.content, &p, nullptr});
        }
    }
    if (expected.empty())
        expected.push_back({"", nullptr, "text/plain"});
    check(leaves.size() == expected.size(), "not one part for each body and attachment");
    for (std::size_t i = 0; i < leaves.size(); ++i) {
        const auto& got = leaves[i];
        const auto& want = expected[i];
        check(got.content == want.content, "a part does not decode to what was given");
        const auto type = field(got.head, "Content-Type");
        if (!want.part) {
            check(type == " " + std::string(want.text_type) + "; charset=utf-8",
                  "a text part's Content-Type");
            continue;
        }
        const auto& p = *want.part;
        const std::string type_name =
            p.content_type.empty() ? "application/octet-stream" : p.content_type;
        check(type && starts_with(*type, " " + type_name) &&
                  (type->size() == type_name.size() + 1 || (*type)[type_name.size() + 1] == ';'),
              "an attachment's Content-Type is not its type");
        check(field(got.head, "Content-Transfer-Encoding") == std::optional<std::string>(" base64"),
              "an attachment not in base64");
        const auto disposition = field(got.head, "Content-Disposition");
        const bool is_inline = p.disposition == content_disposition::inline_content;
        check(disposition && starts_with(*disposition, is_inline ? " inline" : " attachment"),
              "an attachment's Content-Disposition");
        if (p.filename.empty()) {
            check(!parameter(*disposition, "filename") && !parameter(*type, "name"),
                  "a file name for a part without one");
        } else {
            check(parameter(*disposition, "filename") == p.filename,
                  "a filename parameter is not the file name given");
            check(parameter(*type, "name") == ascii_fallback(p.filename),
                  "a name parameter is not the ASCII stand-in of the file name");
        }
        if (is_inline)
            check(field(got.head, "Content-ID") == " <" + p.content_id + ">",
                  "an inline part's Content-ID");
    }

    // to_send_raw checks the size before it encodes anything: the size it computes is the size
    // it writes (the random Message-ID and boundaries have a fixed length).
    client_options limits;
    limits.max_message_size = out.size();
    send_raw_request req = m.to_send_raw("023e105f4ecef8ad9ca31a8372d0c353", ec, diag, limits);
    check(!ec, "to_send_raw refused a limit equal to the message's size");
    check(req.mime_message.size() == out.size(), "to_send_raw wrote another size");
    check(req.from == from, "the envelope sender is not the author");
    std::vector<std::string> recipients{to};
    if (flags & 0x80) {
        recipients.push_back(cc);
        recipients.push_back(bcc);
    }
    check(req.recipients == recipients, "the envelope recipients are not To, Cc and Bcc");
    limits.max_message_size = out.size() - 1;
    req = m.to_send_raw("023e105f4ecef8ad9ca31a8372d0c353", ec, diag, limits);
    check(ec && !diag.detail.empty() && req.mime_message.empty(),
          "to_send_raw accepted a message over the size limit");
    return 0;
}
