// libFuzzer target: request validation and building on arbitrary account ids, addresses and
// messages. Whatever passes validation must build a request whose target stays under the base
// path and whose body is JSON that round-trips every field exactly, streamed or not.
#include <cfmail/detail/send_algorithm.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cfmail;
    // Fields separated by 0xff bytes: account, from, recipients..., and the message last.
    std::vector<std::string> fields(1);
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == 0xff && fields.size() < 8)
            fields.emplace_back();
        else
            fields.back() += static_cast<char>(data[i]);
    }
    while (fields.size() < 4)
        fields.emplace_back();
    send_raw_request req{fields[0], fields[1],
                         std::vector<std::string>(fields.begin() + 2, fields.end() - 1),
                         fields.back()};
    client_options opts;
    std::string why;
    if (detail::validate_request(req, opts, why))
        return 0;
    detail::endpoint ep;
    if (detail::parse_base_url("https://api.cloudflare.com/client/v4", ep, why))
        std::abort();
    http_request out;
    detail::build_request(req, ep, credentials(api_token{"t"}), opts, out);
    const std::string prefix = "/client/v4/accounts/";
    const std::string suffix = "/email/sending/send_raw";
    if (out.target.rfind(prefix, 0) != 0 || out.target.find_first_of("?# ") != std::string::npos ||
        out.target.find("/", prefix.size()) != out.target.size() - suffix.size())
        std::abort();
    boost::system::error_code ec;
    auto body = boost::json::parse(out.full_body(), ec);
    if (ec)
        std::abort();
    const auto& obj = body.as_object();
    if (obj.at("from").as_string() != req.from ||
        obj.at("mime_message").as_string() != req.mime_message)
        std::abort();
    const auto& recipients = obj.at("recipients").as_array();
    if (recipients.size() != req.recipients.size())
        std::abort();
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        if (recipients[i].as_string() != req.recipients[i])
            std::abort();
    }

    // The streaming path a transport takes: the escaped chunks, in any chunk size, make the
    // same body, of the length it announces.
    http_request streamed;
    detail::build_request(req, ep, credentials(api_token{"t"}), opts, streamed, true);
    if (streamed.body.contiguous() || streamed.body_size() != out.body.text().size())
        std::abort();
    const std::size_t chunk = 1 + (size ? data[0] % 64 : 0); // down to one byte at a time
    request_body::reader reader(streamed.body);
    std::string joined;
    std::vector<char> buffer(chunk);
    for (std::size_t rounds = 0; !reader.done(); ++rounds) {
        const std::size_t n = reader.read(buffer.data(), buffer.size());
        if (n == 0 || rounds > out.body.text().size() + 4)
            std::abort(); // no progress
        joined.append(buffer.data(), n);
    }
    if (joined != out.body.text())
        std::abort();
    return 0;
}
