// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_IMPL_OPERATION_IPP
#define CFMAIL_IMPL_OPERATION_IPP

#include <cfmail/operation.hpp>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace cfmail {

CFMAIL_DECL void request_parts::append_segment(std::string_view segment) {
    path_ += '/';
    path_ += boost::urls::encode(segment, boost::urls::pchars);
}

CFMAIL_DECL void request_parts::add_query(std::string_view name, std::string_view value) {
    if (!query_.empty())
        query_ += '&';
    // Query values: everything but the unreserved characters is percent-encoded, so `&`, `=`,
    // `+` and `#` cannot change the query's meaning.
    query_ += boost::urls::encode(name, boost::urls::unreserved_chars);
    query_ += '=';
    query_ += boost::urls::encode(value, boost::urls::unreserved_chars);
}

} // namespace cfmail

#endif
