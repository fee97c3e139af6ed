// libFuzzer target: the envelope parser on arbitrary bytes. It must not crash, throw (but
// bad_alloc) or leak, and what it accepts must be consistent.
#include <cfmail/envelope.hpp>
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
    return 0;
}
