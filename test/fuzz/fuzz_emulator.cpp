// libFuzzer target: the emulator's request handling on arbitrary methods, targets, credentials
// and bodies. It must not crash, and whatever it stores must satisfy the API's rules and have a
// name made of hex digits only.
#include "../../example/emulator/handler.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> parts(1);
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == '\n' && parts.size() < 4)
            parts.emplace_back();
        else
            parts.back() += static_cast<char>(data[i]);
    }
    while (parts.size() < 4)
        parts.emplace_back();
    cfmail_emulator::settings settings;
    auto a = cfmail_emulator::handle(settings, {parts[0], parts[1], parts[2], "", "", parts[3]});
    if (a.stored) {
        const auto& m = *a.stored;
        if (m.file_stem.empty() ||
            m.file_stem.find_first_not_of("0123456789abcdef") != std::string::npos)
            std::abort();
        if (m.recipients.empty() || m.recipients.size() > 50 || m.mime_message.empty() ||
            !cfmail_emulator::printable_ascii(m.from))
            std::abort();
    }
    return 0;
}
