// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_DETAIL_RFC5322_HPP
#define CFMAIL_DETAIL_RFC5322_HPP

// Character classes of RFC 5322 that both the address checks and the message builder use.

#include <string_view>

namespace cfmail::detail {

// atext (RFC 5322 3.2.3): what an atom holds; a dot-atom adds '.' between atoms.
inline bool is_atext(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// A character of dot-atom-text: atext or '.'.
inline bool is_dot_atom_char(char c) noexcept {
    return is_atext(c) || c == '.';
}

} // namespace cfmail::detail

#endif
