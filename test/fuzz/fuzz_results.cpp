// libFuzzer target: the suppression results' readers on arbitrary envelopes. They must not
// crash, throw (but bad_alloc) or leak, and what they accept must survive being written out
// (boost::json::value_from) and read back unchanged.
#include <cfmail/envelope.hpp>
#include <cfmail/operations/suppressions.hpp>
#include <cfmail/testing/mock_transport.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

template <class Op>
void check(const boost::json::value& result, const std::optional<cfmail::result_info>& info) {
    typename Op::result_type first{};
    if (!Op::read(result, info, first))
        return;
    const auto body = cfmail::testing::mock_transport::success_body(first, info);
    auto again = cfmail::parse_envelope<boost::json::value>(body);
    typename Op::result_type second{};
    if (!again || !again->result || !Op::read(*again->result, again->result_info, second) ||
        !(first == second))
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    auto env = cfmail::parse_envelope<boost::json::value>(body);
    if (!env || !env->result)
        return 0;
    check<cfmail::list_suppressions_op>(*env->result, env->result_info);
    check<cfmail::get_suppression_op>(*env->result, env->result_info);
    check<cfmail::create_suppression_op>(*env->result, env->result_info);
    check<cfmail::import_suppressions_op>(*env->result, env->result_info);
    return 0;
}
