// libFuzzer target: the protocol core's handling of any sequence of answers (status, headers,
// body) and transport failures. Invariants: it ends; never asks for more attempts than the
// policy allows; never waits longer than the caps; never repeats a request that may have
// reached the server unless the policy opts in (only the answers the API documents as
// "nothing sent" are repeated); once an attempt may have reached the server the send says so
// to the end; success only with a 2xx answer.
#include <cfmail/detail/send_algorithm.hpp>
#include <cfmail/error.hpp>

#include <boost/asio/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

struct reader {
    const std::uint8_t* data;
    std::size_t size;
    std::uint8_t byte() {
        if (!size)
            return 0;
        --size;
        return *data++;
    }
    std::string text(std::size_t max) {
        std::size_t n = std::min<std::size_t>(byte() * 4u, std::min(max, size));
        std::string out(reinterpret_cast<const char*>(data), n);
        data += n;
        size -= n;
        return out;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cfmail;
    using kind = detail::next_action::kind;
    reader in{data, size};
    client_options opts;
    opts.retry.max_retries = in.byte() % 4;
    opts.retry.retry_outcome_unknown = in.byte() & 1;
    detail::client_config config(api_token{"t"}, opts);
    detail::send_algorithm algo(config);
    algo.seed(1);
    diagnostics diag;
    const send_raw_request req{"023e105f4ecef8ad9ca31a8372d0c353",
                               "a@example.com",
                               {"b@example.com"},
                               "Subject: x\r\n\r\ny"};
    auto action = algo.start(req, diag);
    unsigned round_trips = 0;
    bool may_have_reached = false;
    // Whether the last round trip proved that nothing was sent, so that repeating it is safe.
    auto documented_not_sent = [&](const http_response& resp) {
        auto has = [&](std::int64_t code) {
            for (const auto& e : diag.errors)
                if (e.code == code)
                    return true;
            return false;
        };
        return resp.status == 429 || (resp.status == 500 && has(10002)) ||
               (resp.status == 503 && has(10100));
    };
    while (action.what != kind::done) {
        if (action.what == kind::wait) {
            if (action.delay > opts.retry.max_retry_after && action.delay > opts.retry.max_backoff)
                std::abort();
            action = algo.resume({});
            continue;
        }
        if (++round_trips > opts.retry.max_retries + 1)
            std::abort();
        auto& resp = algo.response();
        resp.clear();
        const auto choice = in.byte();
        if (choice < 48) {
            static const boost::system::error_code failures[] = {
                boost::asio::error::connection_reset,
                boost::asio::error::timed_out,
                error::response_too_large,
                error::bad_response,
                error::certificate_untrusted,
                error::certificate_expired};
            const auto failure = failures[(choice >> 1) % std::size(failures)];
            resp.request_written = choice & 1;
            action = algo.resume(failure);
            if (resp.request_written)
                may_have_reached = true;
            if (is_certificate_failure(failure) && action.what != kind::done)
                std::abort(); // a certificate failure is final
            if (resp.request_written && action.what == kind::wait &&
                !opts.retry.retry_outcome_unknown)
                std::abort(); // repeated what may have been sent
            if (may_have_reached && !may_have_been_sent(action.ec ? action.ec : failure, diag))
                std::abort(); // forgot an earlier attempt
            continue;
        }
        resp.request_written = true;
        static constexpr unsigned statuses[] = {200, 201, 204, 301, 400, 401, 403,
                                                404, 429, 500, 502, 503, 504, 520};
        resp.status = statuses[in.byte() % std::size(statuses)];
        for (int h = in.byte() % 4; h > 0; --h) {
            static const char* names[] = {"Retry-After", "retry-after-ms", "cf-ray",
                                          "x-should-retry"};
            resp.headers.push_back({names[in.byte() % 4], in.text(40)});
        }
        resp.body = in.text(4096);
        action = algo.resume({});
        const bool proven_not_sent =
            documented_not_sent(resp) || (resp.status >= 300 && resp.status < 500);
        if (resp.status / 100 == 2 || !proven_not_sent)
            may_have_reached = true;
        if (action.what == kind::wait && !proven_not_sent && !opts.retry.retry_outcome_unknown)
            std::abort(); // repeated an answer that does not prove nothing was sent
        if (may_have_reached && action.what == kind::done && action.ec &&
            !may_have_been_sent(action.ec, diag))
            std::abort(); // forgot an earlier attempt
    }
    if (!action.ec && diag.http_status / 100 != 2)
        std::abort(); // success only with a 2xx answer
    if (!action.ec && algo.result().message_id.empty() && algo.result().delivered.empty() &&
        algo.result().queued.empty() && algo.result().permanent_bounces.empty() &&
        diag.http_status / 100 != 2)
        std::abort(); // success without a 2xx answer
    if (diag.attempts != round_trips)
        std::abort();
    return 0;
}
