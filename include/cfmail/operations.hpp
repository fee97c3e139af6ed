// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_OPERATIONS_HPP
#define CFMAIL_OPERATIONS_HPP

/// @file operations.hpp
/// Every operation of the Email Sending API: its request and result types and its descriptor.

#include <cfmail/operations/send.hpp>
#include <cfmail/operations/send_raw.hpp>
#include <cfmail/operations/suppressions.hpp>

#endif
