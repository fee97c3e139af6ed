// What an application file parses with CFMAIL_SEPARATE_COMPILATION when it sends (blocking or
// asynchronously) or tests through the mock: cfmail's declarations, Boost.JSON and Asio's core,
// and nothing of the transport (Beast, OpenSSL), of Asio's timers or of its coroutines. Those
// were most of such a file's compile time (doc/packaging.md, "Compile times"): this file stops
// compiling if one of them comes back.
#ifndef CFMAIL_SEPARATE_COMPILATION
#define CFMAIL_SEPARATE_COMPILATION
#endif
#include <cfmail.hpp>
#include <cfmail/any_client.hpp>
#include <cfmail/https_client.hpp>
#include <cfmail/testing/mock_transport.hpp>

#if defined(BOOST_ASIO_BASIC_WAITABLE_TIMER_HPP) || defined(BOOST_ASIO_STEADY_TIMER_HPP)
#error "a file that sends parses Asio's timers: they belong in the compiled part of cfmail"
#endif
#if defined(BOOST_ASIO_AWAITABLE_HPP) || defined(BOOST_ASIO_CO_SPAWN_HPP) ||                       \
    defined(BOOST_ASIO_USE_AWAITABLE_HPP)
#error "a file that sends parses Asio's coroutines, which only a file that awaits needs"
#endif
#if defined(BOOST_BEAST_HTTP_MESSAGE_HPP) || defined(BOOST_BEAST_CORE_TCP_STREAM_HPP)
#error "a file that sends parses Beast: the transport belongs in the compiled part of cfmail"
#endif
#if defined(BOOST_ASIO_SSL_CONTEXT_HPP) || defined(OPENSSL_SSL_H)
#error "a file that sends parses OpenSSL: the transport belongs in the compiled part of cfmail"
#endif

// The same file still gets every client the headers name.
static_assert(cfmail::sync_transport<cfmail::testing::mock_transport>);
static_assert(cfmail::async_transport<cfmail::testing::mock_transport>);
static_assert(cfmail::sync_transport<cfmail::blocking_https_transport>);
static_assert(cfmail::concurrent_transport<cfmail::pooled_https_transport>);
static_assert(cfmail::sync_transport<cfmail::any_transport>);
static_assert(cfmail::async_transport<cfmail::any_transport>);
