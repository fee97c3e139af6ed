// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_HTTP_MESSAGE_IPP
#define CFMAIL_IMPL_HTTP_MESSAGE_IPP

#include <cfmail/detail/json_escape.hpp>
#include <cfmail/http_message.hpp>

namespace cfmail {

namespace detail {
// Header names are ASCII; std::tolower would consult the locale.
inline bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        unsigned char x = static_cast<unsigned char>(a[i]);
        unsigned char y = static_cast<unsigned char>(b[i]);
        if (static_cast<unsigned>(x - 'A') < 26u)
            x += 'a' - 'A';
        if (static_cast<unsigned>(y - 'A') < 26u)
            y += 'a' - 'A';
        if (x != y)
            return false;
    }
    return true;
}
} // namespace detail

CFMAIL_DECL std::string_view find_header(const std::vector<http_header>& headers,
                                         std::string_view name) noexcept {
    for (const auto& field : headers) {
        if (detail::ascii_iequals(field.name, name))
            return field.value;
    }
    return {};
}

CFMAIL_DECL std::size_t http_request::body_size() const noexcept {
    if (!json_string_tail)
        return body.size();
    return detail::json_body_producer::total_size(body, *json_string_tail, body_end);
}

CFMAIL_DECL std::string http_request::full_body() const {
    if (!json_string_tail)
        return body;
    std::string out(body_size(), '\0');
    detail::json_body_producer producer(body, *json_string_tail, body_end);
    std::size_t written = 0;
    while (!producer.done()) {
        const std::size_t n = producer.produce(out.data() + written, out.size() - written);
        if (n == 0)
            break; // cannot happen with an exact size; never spin
        written += n;
    }
    return out;
}

} // namespace cfmail

#endif
