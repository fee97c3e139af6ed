// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_AWAITABLE_FIX_HPP
#define CFMAIL_DETAIL_AWAITABLE_FIX_HPP

// Boost.Asio 1.80 and 1.81 cannot `co_await` a deferred operation whose completion signature is
// `void(std::exception_ptr, T)`: awaitable_async_op_handler::resume dereferences its result
// struct instead of the exception pointer (chriskohlhoff/asio#1190, fixed in Boost 1.82).
// async_send_raw completes with exactly that signature, and deferred is its default token, so
// for those versions this supplies a correct, more specialized handler for send_raw_result.

#include <cfmail/types.hpp>

#include <boost/version.hpp>

#if BOOST_VERSION < 108200
#include <boost/asio/awaitable.hpp>

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
#include <exception>
#include <utility>

namespace boost::asio::detail {

template <typename R, typename Executor>
class awaitable_async_op_handler<R(std::exception_ptr, cfmail::send_raw_result), Executor>
    : public awaitable_thread<Executor> {
public:
    struct result_type {
        std::exception_ptr* ex_;
        cfmail::send_raw_result* value_;
    };

    awaitable_async_op_handler(awaitable_thread<Executor>* h, result_type& result)
        : awaitable_thread<Executor>(std::move(*h))
        , result_(result) {}

    void operator()(std::exception_ptr ex, cfmail::send_raw_result value) {
        result_.ex_ = &ex;
        result_.value_ = &value;
        this->entry_point()->top_of_stack_->attach_thread(this);
        this->entry_point()->top_of_stack_->clear_cancellation_slot();
        this->pump();
    }

    static cfmail::send_raw_result resume(result_type& result) {
        if (*result.ex_)
            std::rethrow_exception(std::exchange(*result.ex_, nullptr));
        return std::move(*result.value_);
    }

private:
    result_type& result_;
};

} // namespace boost::asio::detail

#endif
#endif
#endif
