// libFuzzer target: the envelope parser on arbitrary bytes. It must not crash, throw (but
// bad_alloc) or leak; what it accepts must be consistent, and must round-trip.
#include <cfmail/envelope.hpp>
#include <cfmail/testing/mock_transport.hpp>
#include <cfmail/types.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    auto typed = cfmail::parse_envelope<cfmail::send_raw_result>(body);
    auto raw = cfmail::parse_envelope<boost::json::value>(body);
    // A body that parses with a typed result also parses with a raw one, with the same verdict.
    if (typed &&
        (!raw || raw->success != typed->success || raw->errors.size() != typed->errors.size()))
        std::abort();
    if (!typed)
        return 0;
    // What was read survives writing it out again and reading it back: the result whole, and
    // each error's code and message.
    if (typed->result) {
        const auto again = cfmail::parse_envelope<cfmail::send_raw_result>(
            cfmail::testing::mock_transport::success_body(*typed->result));
        if (!again || !again->success || !again->result || !(*again->result == *typed->result))
            std::abort();
    }
    for (const auto& e : typed->errors) {
        const auto again = cfmail::parse_envelope<cfmail::send_raw_result>(
            cfmail::testing::mock_transport::error_body(e.code, e.message));
        if (!again || again->success || again->errors.size() != 1 ||
            again->errors[0].code != e.code || again->errors[0].message != e.message)
            std::abort();
    }
    return 0;
}
