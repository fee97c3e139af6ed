// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_EMULATOR_MAILDIR_HPP
#define CFMAIL_EMULATOR_MAILDIR_HPP

// How cfmail-emulator stores the messages it accepts (--maildir).

#include "handler.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>

namespace cfmail_emulator {

namespace detail {

// Writes `data` as the whole file `path`, closing it before judging: a write that fails only
// when the buffer is flushed still counts.
inline bool write_whole_file(const std::filesystem::path& path, std::string_view data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    return !out.fail();
}

} // namespace detail

// Stores the message as `<stem>.eml` (the MIME bytes exactly) beside `<stem>.json` (its
// envelope). Names come from the emulator, never from the request; the .eml appears last and
// atomically, so a reader never sees a partial message. When any step fails, whatever it
// wrote is removed again: a failed store leaves no file behind.
inline bool store(const std::filesystem::path& dir, const accepted_message& m) {
    boost::json::array recipients;
    for (const auto& r : m.recipients)
        recipients.emplace_back(r);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    boost::json::object envelope{
        {"message_id", m.message_id},
        {"account_id", m.account_id},
        {"from", m.from},
        {"recipients", std::move(recipients)},
        {"received_at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now).count()}};
    const auto json_path = dir / (m.file_stem + ".json");
    const auto eml_path = dir / (m.file_stem + ".eml");
    const auto tmp_path = dir / (m.file_stem + ".eml.tmp");

    // Removes only regular files: a name that is taken by anything else was not ours.
    auto discard = [](const std::filesystem::path& p) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(std::filesystem::symlink_status(p, ec)))
            std::filesystem::remove(p, ec);
    };
    if (!detail::write_whole_file(json_path, boost::json::serialize(envelope) + '\n')) {
        discard(json_path);
        return false;
    }
    std::error_code ec;
    if (detail::write_whole_file(tmp_path, m.mime_message))
        std::filesystem::rename(tmp_path, eml_path, ec);
    else
        ec = std::make_error_code(std::errc::io_error);
    if (ec) {
        discard(tmp_path);
        discard(json_path);
        return false;
    }
    return true;
}

} // namespace cfmail_emulator

#endif
