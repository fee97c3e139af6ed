// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_AWAITABLE_FIX_HPP
#define CFMAIL_DETAIL_AWAITABLE_FIX_HPP

// Boost.Asio 1.80 and 1.81 cannot `co_await` a deferred operation whose completion signature is
// `void(std::exception_ptr, T)`: awaitable_async_op_handler::resume dereferences its result
// struct instead of the exception pointer (chriskohlhoff/asio#1190, fixed in Boost 1.82).
// The throwing flavour of every cfmail operation completes with exactly that signature, and
// deferred is its default token, so for those versions this supplies a correct handler for
// every result type of cfmail, chosen over Asio's as the more constrained specialization.

#include <boost/version.hpp>

#include <concepts>

namespace cfmail {
namespace detail {
struct own_type_tag {};
} // namespace detail
// Declared only: found by argument-dependent lookup for cfmail's own types, and no others.
template <class T>
detail::own_type_tag cfmail_own_type_probe(const T*);
} // namespace cfmail

namespace cfmail_adl {
// True for the types of namespace cfmail (and types built on them, such as a vector of them):
// ordinary lookup from here cannot see the probe, only argument-dependent lookup can.
template <class T>
concept cfmail_type = requires(const T* p) {
    { cfmail_own_type_probe(p) } -> std::same_as<cfmail::detail::own_type_tag>;
};
} // namespace cfmail_adl

#if BOOST_VERSION < 108200
#include <boost/asio/detail/config.hpp>

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
#include <exception>
#include <utility>

namespace boost::asio::detail {

// Declared as boost/asio/awaitable.hpp declares them (in 1.80 and 1.81, the only versions this
// is for), so that a file that never awaits does not parse Asio's coroutine machinery.
template <typename>
class awaitable_thread;
template <typename, typename>
class awaitable_async_op_handler;

template <typename R, typename T, typename Executor>
requires cfmail_adl::cfmail_type<T>
class awaitable_async_op_handler<R(std::exception_ptr, T), Executor>
    : public awaitable_thread<Executor> {
public:
    struct result_type {
        std::exception_ptr* ex_;
        T* value_;
    };

    awaitable_async_op_handler(awaitable_thread<Executor>* h, result_type& result)
        : awaitable_thread<Executor>(std::move(*h))
        , result_(result) {}

    void operator()(std::exception_ptr ex, T value) {
        result_.ex_ = &ex;
        result_.value_ = &value;
        this->entry_point()->top_of_stack_->attach_thread(this);
        this->entry_point()->top_of_stack_->clear_cancellation_slot();
        this->pump();
    }

    static T resume(result_type& result) {
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
