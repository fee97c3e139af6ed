// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_CONFIG_HPP
#define CFMAIL_CONFIG_HPP

/// @file config.hpp
/// Build configuration: header-only (default) or separately compiled.

/// Major version of cfmail.
#define CFMAIL_VERSION_MAJOR 0
/// Minor version of cfmail.
#define CFMAIL_VERSION_MINOR 1
/// Patch version of cfmail.
#define CFMAIL_VERSION_PATCH 0
/// The version as a string, as it appears in the default `User-Agent`.
#define CFMAIL_VERSION_STRING "0.1.0"

// In header-only mode every non-template function is `inline` and its body is included by the
// header that declares it. With CFMAIL_SEPARATE_COMPILATION the bodies are compiled once, in the
// translation unit that includes <cfmail/src.hpp>.
#ifdef CFMAIL_SEPARATE_COMPILATION
/// Marks cfmail's non-template functions: `inline` in header-only mode, empty otherwise.
#define CFMAIL_DECL
#else
/// Marks cfmail's non-template functions: `inline` in header-only mode, empty otherwise.
#define CFMAIL_DECL inline
/// Defined in header-only mode (CFMAIL_SEPARATE_COMPILATION not defined).
#define CFMAIL_HEADER_ONLY 1
#endif

#endif
