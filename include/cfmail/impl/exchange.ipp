// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_EXCHANGE_IPP
#define CFMAIL_IMPL_EXCHANGE_IPP

#include <cfmail/detail/exchange.hpp>
#include <cfmail/detail/saturate.hpp>
#include <cfmail/error.hpp>
#include <cfmail/impl/endpoint.ipp>
#include <cfmail/impl/http_message.ipp>
#include <cfmail/impl/operation.ipp>
#include <cfmail/impl/retry_timing.ipp>
#include <cfmail/impl/validation.ipp>
#include <cfmail/observer.hpp>

#include <boost/asio/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <initializer_list>
#include <ostream>
#include <random>

namespace cfmail::detail {

CFMAIL_DECL client_config::client_config(cfmail::credentials c, client_options o)
    : options(std::move(o))
    , creds(std::move(c)) {
    endpoint_error = parse_base_url(options.base_url, ep, endpoint_why);
}

CFMAIL_DECL boost::system::error_code build_http_request(const operation_call& call,
                                                         const client_config& cfg,
                                                         http_request& out, std::string& why) {
    if (auto ec = validate_header_inputs(cfg.creds, cfg.options, why))
        return ec;
    std::string_view account = call.op->account_id(call.request);
    if (account.empty())
        account = cfg.options.account_id;
    if (account.empty())
        return invalid(why, "account_id: empty, and client_options::account_id names no default "
                            "(CLOUDFLARE_ACCOUNT_ID with client_options::from_environment())");
    if (auto ec = validate_account_id(account, why))
        return ec;
    request_parts parts(out.body);
    parts.clear(cfg.stream_body);
    if (auto ec = call.op->prepare(call.request, cfg.options, parts, why))
        return ec;

    const endpoint& ep = cfg.ep;
    out.scheme = ep.scheme;
    out.host = ep.host;
    out.port = ep.port;
    out.method = call.op->method;
    out.target = ep.base_path;
    out.target += "/accounts/";
    out.target += boost::urls::encode(account, boost::urls::pchars);
    out.target += "/email/sending";
    out.target += parts.path();
    if (!parts.query().empty()) {
        out.target += '?';
        out.target += parts.query();
    }

    // Assigning into the fields of the last request reuses their storage: a client used
    // repeatedly builds its requests without allocating.
    std::size_t field_count = 0;
    auto set_field = [&](std::string_view name, auto&&... value_parts) {
        if (out.headers.size() == field_count)
            out.headers.emplace_back();
        auto& field = out.headers[field_count++];
        field.name.assign(name);
        field.value.clear();
        (field.value.append(value_parts), ...);
    };
    set_field("Host", ep.host_header);
    set_field("User-Agent", cfg.options.user_agent);
    set_field("Accept", "application/json");
    if (!out.body.contiguous() || !out.body.text().empty())
        set_field("Content-Type", "application/json");
    if (auto token = cfg.creds.token()) {
        set_field("Authorization", "Bearer ", token->token);
    } else if (auto key = cfg.creds.key()) {
        set_field("X-Auth-Email", key->email);
        set_field("X-Auth-Key", key->key);
    }
    out.headers.resize(field_count);
    return {};
}

CFMAIL_DECL next_action exchange_machine::start(const operation_call& call, diagnostics& diag) {
    call_ = call;
    diag_ = &diag;
    retries_ = 0;
    diag.clear();
    call.op->reset(call.result);
    response_.clear();

    if (cfg_->creds.empty()) {
        diag.detail = "no credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and "
                      "CLOUDFLARE_API_KEY";
        return finish(error::missing_credentials);
    }
    if (cfg_->endpoint_error) {
        diag.detail = cfg_->endpoint_why;
        return finish(cfg_->endpoint_error);
    }
    if (auto ec = build_http_request(call, *cfg_, request_, diag.detail))
        return finish(ec);

    const auto limit = call.deadline ? *call.deadline : cfg_->options.deadline;
    deadline_ = clock::time_point::max();
    if (limit != no_deadline) {
        if (limit <= std::chrono::milliseconds(0)) {
            diag.detail = "the deadline is zero or negative: nothing was sent";
            return finish(boost::asio::error::timed_out);
        }
        deadline_ = saturating_add(clock::now(), limit);
    }
    request_.deadline = deadline_;
    return start_attempt();
}

CFMAIL_DECL next_action exchange_machine::start_attempt() {
    state_ = state::awaiting_response;
    if (const auto& observer = cfg_->options.observer) {
        attempt_started_ = clock::now();
        attempt_event event;
        event.phase = attempt_phase::started;
        event.operation = call_.op->name;
        event.attempt = diag_->attempts + 1;
        try {
            observer(event);
        } catch (...) {
            // An observer must not change what an operation does.
        }
    }
    return {next_action::kind::round_trip, std::chrono::milliseconds(0), {}};
}

CFMAIL_DECL void exchange_machine::notify_attempt_end(boost::system::error_code transport_ec,
                                                      const next_action& next, unsigned attempt) {
    attempt_event event;
    event.phase = attempt_phase::ended;
    event.operation = call_.op->name;
    event.attempt = attempt;
    if (!transport_ec) {
        event.http_status = response_.status;
        event.cf_ray = response_.header("cf-ray");
        event.errors = diag_->errors;
    }
    event.bytes_written = response_.bytes_written;
    event.bytes_read = response_.bytes_read;
    event.duration = clock::now() - attempt_started_;
    event.request_written = response_.request_written;
    event.transport_error = transport_ec;
    if (next.what == next_action::kind::wait) {
        event.retrying = true;
        event.retry_delay = next.delay;
    } else {
        event.outcome = next.ec;
        event.may_have_been_sent = next.ec && may_have_been_sent(next.ec, *diag_);
    }
    try {
        cfg_->options.observer(event);
    } catch (...) {
        // An observer must not change what an operation does.
    }
}

CFMAIL_DECL next_action exchange_machine::resume(boost::system::error_code ec) {
    switch (state_) {
    case state::awaiting_response: {
        ++diag_->attempts;
        const next_action next = ec ? on_transport_error(ec) : on_answer();
        if (cfg_->options.observer)
            notify_attempt_end(ec, next, diag_->attempts);
        return next;
    }
    case state::awaiting_wait:
        if (ec)
            return end_between_attempts(ec);
        if (deadline_ != clock::time_point::max() && clock::now() >= deadline_) {
            // The wait ended late: no attempt may start after the deadline.
            diag_->detail = "the operation's deadline passed";
            return end_between_attempts(boost::asio::error::timed_out);
        }
        response_.clear();
        return start_attempt();
    case state::idle:
        break;
    }
    return finish(error::operation_in_progress);
}

CFMAIL_DECL next_action exchange_machine::abort() {
    const boost::system::error_code aborted = boost::asio::error::operation_aborted;
    if (state_ == state::awaiting_wait)
        return end_between_attempts(aborted);
    if (state_ == state::awaiting_response && cfg_->options.observer) {
        // The attempt was announced but never handed to the transport.
        response_.clear();
        const next_action done = finish(aborted);
        notify_attempt_end(aborted, done, diag_->attempts + 1);
        return done;
    }
    return finish(aborted);
}

CFMAIL_DECL next_action exchange_machine::end_between_attempts(boost::system::error_code ec) {
    const next_action done = finish(ec);
    if (const auto& observer = cfg_->options.observer) {
        attempt_event event;
        event.phase = attempt_phase::abandoned;
        event.operation = call_.op->name;
        event.attempt = diag_->attempts;
        event.outcome = ec;
        event.may_have_been_sent = may_have_been_sent(ec, *diag_);
        try {
            observer(event);
        } catch (...) {
            // An observer must not change what an operation does.
        }
    }
    return done;
}

CFMAIL_DECL next_action exchange_machine::finish(boost::system::error_code ec) {
    state_ = state::idle;
    return {next_action::kind::done, std::chrono::milliseconds(0), ec};
}

CFMAIL_DECL bool exchange_machine::retries_left() const noexcept {
    return retries_ < cfg_->options.retry.max_retries;
}

CFMAIL_DECL exchange_machine::exchange_machine(const client_config& cfg)
    : cfg_(&cfg)
    , jitter_seed_(std::random_device{}()) {}

CFMAIL_DECL std::ostream& operator<<(std::ostream& os, next_action::kind k) {
    switch (k) {
    case next_action::kind::round_trip:
        return os << "round_trip";
    case next_action::kind::wait:
        return os << "wait";
    case next_action::kind::done:
        return os << "done";
    }
    return os << "unknown";
}

// A std::minstd_rand that remembers the last value it gave, which is its state: seeding a new
// engine with it continues the same sequence.
struct jitter_engine {
    using result_type = std::minstd_rand::result_type;
    static constexpr result_type min() { return std::minstd_rand::min(); }
    static constexpr result_type max() { return std::minstd_rand::max(); }
    result_type operator()() { return last = engine(); }

    std::minstd_rand engine;
    result_type last = 0;
};

CFMAIL_DECL std::chrono::milliseconds exchange_machine::next_backoff() {
    jitter_engine rng{std::minstd_rand(jitter_seed_)};
    const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    jitter_seed_ = rng.last;
    return backoff_delay(cfg_->options.retry, retries_, unit);
}

CFMAIL_DECL next_action exchange_machine::deadline_passed(bool written) {
    diag_->unanswered_request = diag_->unanswered_request || written;
    diag_->detail = "the operation's deadline passed";
    return finish(boost::asio::error::timed_out);
}

CFMAIL_DECL next_action exchange_machine::retry_after(std::chrono::milliseconds delay) {
    if (deadline_ != clock::time_point::max() && saturating_add(clock::now(), delay) >= deadline_) {
        // Waiting could only end in the deadline: better to say so now.
        diag_->detail = "the deadline leaves no time for the " + std::to_string(delay.count()) +
                        " ms wait before another attempt";
        return finish(boost::asio::error::timed_out);
    }
    ++retries_;
    state_ = state::awaiting_wait;
    return {next_action::kind::wait, delay, {}};
}

CFMAIL_DECL next_action exchange_machine::on_transport_error(boost::system::error_code ec) {
    const bool written = response_.request_written;
    // This attempt got no answer: what an earlier one answered no longer describes the send.
    diag_->http_status = 0;
    diag_->cf_ray.clear();
    diag_->errors.clear();
    diag_->messages.clear();
    diag_->retry_after.reset();
    diag_->detail.clear();
    diag_->proxy_status = response_.proxy_status;
    if (ec == boost::asio::error::operation_aborted) {
        diag_->unanswered_request = diag_->unanswered_request || written;
        return finish(ec);
    }
    diag_->transport_error = ec;
    // A proxy that refused the tunnel for a 4xx reason (its credentials, its policy) or with
    // no HTTP answer would refuse again; nothing was sent.
    if (ec == error::proxy_refused && response_.proxy_status < 500)
        return finish(ec);
    // Final failures: another attempt would meet the same certificate, or an answer came that
    // does not say what happened. Whatever the transport wrote still counts.
    if (is_certificate_failure(ec) || ec == error::response_too_large ||
        ec == error::bad_response) {
        diag_->unanswered_request = diag_->unanswered_request || written;
        return finish(ec);
    }
    if (deadline_ != clock::time_point::max() && clock::now() >= deadline_)
        return deadline_passed(written);
    if (!written) {
        // Nothing reached the server: repeating cannot send the email twice.
        if (retries_left())
            return retry_after(next_backoff());
        return finish(ec);
    }
    diag_->unanswered_request = true;
    if ((repeat_safe() || cfg_->options.retry.retry_outcome_unknown) && retries_left())
        return retry_after(next_backoff());
    return finish(error::outcome_unknown);
}

// True when there are errors and every one of them is among `codes`: an envelope that also
// carries an undocumented code proves nothing.
inline bool only_error_codes(const std::vector<api_message>& entries,
                             std::initializer_list<std::int64_t> codes) noexcept {
    return !entries.empty() && std::all_of(entries.begin(), entries.end(), [&](const auto& m) {
        return std::find(codes.begin(), codes.end(), m.code) != codes.end();
    });
}

CFMAIL_DECL next_action exchange_machine::on_answer() {
    const unsigned status = response_.status;
    diag_->http_status = status;
    diag_->proxy_status = 0;
    diag_->cf_ray = response_.header("cf-ray");
    diag_->errors.clear();
    diag_->messages.clear();
    diag_->detail.clear();
    diag_->retry_after = parse_retry_after(response_, std::chrono::system_clock::now());

    // The document lives in the algorithm's own buffer (spilling to the heap only for a large
    // answer): nothing of it outlives this function, and a small answer allocates nothing.
    boost::json::monotonic_resource json_memory(json_buffer_, sizeof json_buffer_);
    auto envelope = parse_envelope_common(response_.body, &json_memory);
    if (envelope) {
        diag_->errors = std::move(envelope->errors);
        diag_->messages = std::move(envelope->messages);
    }
    const bool error_envelope = envelope && !envelope->success;

    if (status >= 200 && status < 300) {
        if (envelope && !envelope->success)
            return finish(error::api_rejected);
        if (envelope && envelope->result &&
            call_.op->read(*envelope->result, envelope->result_info, call_.result))
            return finish({});
        // Accepted, but the answer does not say what the API did.
        call_.op->reset(call_.result);
        diag_->unanswered_request = true;
        diag_->detail = envelope ? "success without a " + std::string(call_.op->name) +
                                       " result of the documented shape"
                                 : "the answer is not a Cloudflare envelope";
        return finish(error::bad_response);
    }

    const bool server_forbids_retry = ascii_iequals(response_.header("x-should-retry"), "false");
    const auto& policy = cfg_->options.retry;
    // A delay the server asked for, when within the policy's cap; otherwise the backoff.
    auto server_or_backoff_delay = [&] {
        const auto asked = diag_->retry_after;
        return asked && *asked <= policy.max_retry_after ? *asked : next_backoff();
    };

    if (status == 429) {
        // The API documents that a throttled request sent nothing.
        if (retries_left() && !server_forbids_retry) {
            if (!diag_->retry_after)
                return retry_after(next_backoff());
            if (*diag_->retry_after <= policy.max_retry_after)
                return retry_after(*diag_->retry_after);
            diag_->detail = "Retry-After exceeds retry_policy::max_retry_after";
        }
        return finish(error_envelope ? error::api_rejected : error::unexpected_http_status);
    }

    if (status >= 500) {
        // Only the failures the API documents as "no email will be sent" prove that nothing
        // went out: 500 with 10002 (internal error) or 10003 (not implemented), 503 with
        // 10100 (authentication unavailable), and no other code beside. The transient ones
        // are safe to repeat.
        const auto& errors = diag_->errors;
        const bool transient =
            error_envelope && ((status == 500 && only_error_codes(errors, {10002})) ||
                               (status == 503 && only_error_codes(errors, {10100})));
        const bool not_sent =
            transient || (error_envelope && status == 500 && only_error_codes(errors, {10003}));
        if (not_sent) {
            if (transient && retries_left() && !server_forbids_retry)
                return retry_after(server_or_backoff_delay());
            return finish(error::api_rejected);
        }
        // Any other 5xx, envelope or not (an intermediary, or a failure after the API acted):
        // whether the request took effect is unknown. The envelope's codes stay in
        // diagnostics. A repeatable operation retries the transient ones (a 500, and what a
        // gateway or an overloaded API answers); a 501 or 505 would only answer the same.
        diag_->unanswered_request = true;
        diag_->detail = "HTTP " + std::to_string(status) +
                        (error_envelope ? " is not an answer the API documents as \"nothing sent\""
                                        : " without a Cloudflare error envelope") +
                        (repeat_safe() ? ": the request may have taken effect"
                                       : ": the email may have been sent");
        const bool transient_status =
            status == 500 || status == 502 || status == 503 || status == 504;
        if (((repeat_safe() && transient_status) || policy.retry_outcome_unknown) &&
            retries_left() && !server_forbids_retry)
            return retry_after(server_or_backoff_delay());
        return finish(error::outcome_unknown);
    }

    // 1xx never reaches here (transports read past it); 3xx and 4xx are refusals.
    return finish(error_envelope ? error::api_rejected : error::unexpected_http_status);
}

} // namespace cfmail::detail

#endif
