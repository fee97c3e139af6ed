// A translation unit that `co_await`s one send through cfmail::client: what a coroutine
// service's file costs to compile. With CFMAIL_SEPARATE_COMPILATION it compiles no Beast, SSL
// or cfmail composed-operation code: the exchange loop and the transport are in src.hpp.
#include <cfmail.hpp>
#include <cfmail/https_client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

boost::asio::awaitable<void> send_one(cfmail::client& client) {
    cfmail::send_request req;
    req.account_id = "023e105f4ecef8ad9ca31a8372d0c353";
    req.from = {"sender@example.com"};
    req.to = {{"recipient@example.com"}};
    req.subject = "hi";
    req.text = "hello";
    co_await client.async_send(req);
}

int main() {
    boost::asio::io_context ioc;
    cfmail::client client(cfmail::https_transport(ioc.get_executor()),
                          cfmail::credentials::from_environment());
    boost::asio::co_spawn(ioc, send_one(client), boost::asio::detached);
    ioc.run();
}
