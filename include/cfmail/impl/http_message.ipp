// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_HTTP_MESSAGE_IPP
#define CFMAIL_IMPL_HTTP_MESSAGE_IPP

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

} // namespace cfmail

#endif
