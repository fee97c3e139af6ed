// Not a send: the least a coroutine file costs with Asio alone, an io_context that co_spawns a
// coroutine that does nothing. No library on Asio's coroutines compiles below it.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

boost::asio::awaitable<void> nothing() {
    co_return;
}

int main() {
    boost::asio::io_context ioc;
    boost::asio::co_spawn(ioc, nothing(), boost::asio::detached);
    ioc.run();
}
