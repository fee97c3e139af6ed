// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_TESTING_RUN_HPP
#define CFMAIL_TESTING_RUN_HPP

/// @file testing/run.hpp
/// Running a coroutine to completion in a test: `cfmail::testing::run(ioc, send_welcome(...))`
/// instead of `co_spawn`, a completion handler and `ioc.run()`.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace cfmail::testing {

/// Thrown by run() when the coroutine did not finish within its time limit.
class run_timed_out : public std::runtime_error {
public:
    /// Names the limit that passed.
    explicit run_timed_out(std::chrono::steady_clock::duration limit)
        : std::runtime_error(
              "cfmail::testing::run: the coroutine did not finish within " +
              std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) +
              " ms") {}
};

/// Runs `task` on `ioc` until it finishes and returns its value, or rethrows its exception.
/// When `limit` passes first, the coroutine is cancelled (terminal cancellation), given up to
/// one more `limit` to unwind, and run_timed_out is thrown. `ioc` is restarted first, so one
/// io_context can serve several calls; other work queued on it runs too.
template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> task,
      std::chrono::steady_clock::duration limit = std::chrono::seconds(10)) {
    // Shared with the completion handler, which may outlive this call after a time-out.
    struct outcome {
        std::exception_ptr failure;
        bool finished = false;
        std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
        boost::asio::cancellation_signal cancel;
    };
    auto state = std::make_shared<outcome>();
    auto done = [state](std::exception_ptr e, auto... result) {
        state->failure = e;
        state->finished = true;
        if constexpr (sizeof...(result) != 0) {
            if (!e)
                state->value.emplace(std::move(result)...);
        }
    };
    boost::asio::co_spawn(
        ioc, std::move(task),
        boost::asio::bind_cancellation_slot(state->cancel.slot(), std::move(done)));
    auto run_until = [&](std::chrono::steady_clock::time_point until) {
        ioc.restart();
        while (!state->finished && std::chrono::steady_clock::now() < until && !ioc.stopped())
            ioc.run_one_until(until);
    };
    run_until(std::chrono::steady_clock::now() + limit);
    if (!state->finished) {
        state->cancel.emit(boost::asio::cancellation_type::terminal);
        run_until(std::chrono::steady_clock::now() + limit);
        throw run_timed_out(limit);
    }
    if (state->failure)
        std::rethrow_exception(state->failure);
    if constexpr (!std::is_void_v<T>)
        return std::move(*state->value);
}

} // namespace cfmail::testing

#endif
