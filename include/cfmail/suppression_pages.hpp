// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_SUPPRESSION_PAGES_HPP
#define CFMAIL_SUPPRESSION_PAGES_HPP

/// @file suppression_pages.hpp
/// Walks the suppression list page by page without writing the cursor loop.

#include <cfmail/client.hpp>
#include <cfmail/operations/suppressions.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/deferred.hpp>

#include <exception>
#include <utility>

namespace cfmail {

/// The pages of one listing: the first call's filters are kept, and each page's cursor starts
/// the next, until a page comes without one (absent or empty). Blocking: `while (!pages.done())
/// use(pages.next());`; asynchronous: `while (!pages.done()) use(co_await
/// pages.async_next());`. A failed page can be asked for again; the pager stays where it was.
///
/// Thread safety: one page at a time; the client must outlive the pager's operations.
template <class Client>
class suppression_pages {
public:
    /// Pages of `first` (whose `cursor` is usually empty) read through `client`.
    suppression_pages(Client& client, list_suppressions_request first)
        : client_(&client)
        , req_(std::move(first)) {}

    /// True once the last page was read.
    bool done() const noexcept { return done_; }

    /// The request the next page will be read with.
    const list_suppressions_request& next_request() const noexcept { return req_; }

    /// Reads the next page; throws error_with_diagnostics on failure.
    suppression_page next() {
        auto page = client_->list_suppressions(req_);
        advance(page);
        return page;
    }

    /// Reads the next page; never throws. On failure sets `ec`, fills `diag`, and stays.
    suppression_page next(boost::system::error_code& ec, diagnostics& diag) {
        auto page = client_->list_suppressions(req_, ec, diag);
        if (!ec)
            advance(page);
        return page;
    }

    /// Reads the next page asynchronously: `void(std::exception_ptr, suppression_page)`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_next(CompletionToken&& token = {}) {
        return boost::asio::async_compose<CompletionToken,
                                          void(std::exception_ptr, suppression_page)>(
            step<true>{this, nullptr}, token, client_->get_executor());
    }

    /// Reads the next page asynchronously: `void(error_code, suppression_page)`.
    template <class CompletionToken = boost::asio::deferred_t>
    auto async_next(diagnostics& diag, CompletionToken&& token = {}) {
        return boost::asio::async_compose<CompletionToken,
                                          void(boost::system::error_code, suppression_page)>(
            step<false>{this, &diag}, token, client_->get_executor());
    }

private:
    void advance(const suppression_page& page) {
        const auto cursor = page.next_cursor();
        done_ = cursor.empty();
        req_.cursor.assign(cursor);
    }

    template <bool Throwing>
    struct step {
        suppression_pages* pages;
        diagnostics* diag;

        template <class Self>
        void operator()(Self& self) {
            if constexpr (Throwing)
                pages->client_->async_list_suppressions(pages->req_, std::move(self));
            else
                pages->client_->async_list_suppressions(pages->req_, *diag, std::move(self));
        }

        template <class Self, class Failure>
        void operator()(Self& self, Failure failure, suppression_page page) {
            if (!failure)
                pages->advance(page);
            self.complete(std::move(failure), std::move(page));
        }
    };

    Client* client_;
    list_suppressions_request req_;
    bool done_ = false;
};

/// Calls `on_item(const suppression&)` for every entry of every page, blocking; throws
/// error_with_diagnostics on failure.
template <class Client, class OnItem>
void for_each_suppression(Client& client, list_suppressions_request first, OnItem&& on_item) {
    suppression_pages<Client> pages(client, std::move(first));
    while (!pages.done()) {
        for (const auto& item : pages.next().items)
            on_item(item);
    }
}

} // namespace cfmail

#endif
