// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_BENCH_COMMON_HPP
#define CFMAIL_BENCH_COMMON_HPP

// What every client mode of cfmail-bench shares: its arguments, the process figures it
// measures and the one JSON line it prints, so that every client is measured the same way.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include <sys/resource.h>

namespace cfmail_bench {

// `client BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]`, plus the environment.
struct client_args {
    std::string base_url; // without a trailing '/'
    std::size_t n = 0;    // sends to make
    std::size_t concurrency = 1;
    std::string message;    // the MIME message, read from MESSAGE_FILE
    std::string ca_file;    // empty: plain HTTP, or the system roots
    std::string account_id; // $CF_ACCOUNT_ID, or a placeholder
    std::string token;      // $CLOUDFLARE_API_TOKEN, or a placeholder
    std::string from = "sender@example.com";
    std::string recipient = "recipient@example.com";
    bool structured = false; // `send` with MESSAGE_FILE's bytes as one attachment
    bool erased = false;     // through cfmail::any_client instead of cfmail::pooled_client
    std::string observer;    // "json" or "metrics": client_options::observer set; empty: none

    std::string send_raw_url() const {
        return base_url + "/accounts/" + account_id + "/email/sending/send_raw";
    }
};

inline std::string env_or(const char* name, std::string_view fallback) {
    const char* value = std::getenv(name);
    return value && *value ? std::string(value) : std::string(fallback);
}

// Reads a whole file at its exact size: growing a string while reading would double the peak
// memory every mode is measured by.
inline bool read_file(const char* path, std::string& out, std::string& why) {
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    if (file) {
        out.resize(static_cast<std::size_t>(file.tellg()));
        file.seekg(0);
        if (file.read(out.data(), std::streamsize(out.size())))
            return true;
    }
    why = std::string("cannot read ") + path;
    return false;
}

// Parses the arguments after the mode word; on failure explains in `why`.
inline bool parse_client_args(int argc, char** argv, client_args& out, std::string& why) {
    if (argc < 4 || argc > 5) {
        why = "usage: client BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]";
        return false;
    }
    out.base_url = argv[0];
    while (!out.base_url.empty() && out.base_url.back() == '/')
        out.base_url.pop_back();
    char* end = nullptr;
    out.n = std::strtoull(argv[1], &end, 10);
    if (*end != '\0' || out.n == 0) {
        why = "N must be a positive integer";
        return false;
    }
    out.concurrency = std::strtoull(argv[2], &end, 10);
    if (*end != '\0' || out.concurrency == 0) {
        why = "CONCURRENCY must be a positive integer";
        return false;
    }
    if (!read_file(argv[3], out.message, why))
        return false;
    if (argc == 5)
        out.ca_file = argv[4];
    out.account_id = env_or("CF_ACCOUNT_ID", "023e105f4ecef8ad9ca31a8372d0c353");
    out.token = env_or("CLOUDFLARE_API_TOKEN", "bench-placeholder-token");
    return true;
}

// CPU seconds (user + system) this process has used so far.
inline double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The largest resident set size this process has had, in MiB.
inline double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0; // ru_maxrss is in KiB on Linux
}

// Measures one run: construct right before the first send, call finish() after the last.
class run_meter {
public:
    run_meter()
        : wall_start_(std::chrono::steady_clock::now())
        , cpu_start_(cpu_seconds()) {}

    // Prints the result line (the last line of stdout) and returns the process exit status.
    int finish(std::string_view client, std::size_t n, std::size_t ok) const {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
        const double cpu = cpu_seconds() - cpu_start_;
        std::printf("{\"client\":\"%.*s\",\"n\":%zu,\"ok\":%zu,\"seconds\":%.6f,"
                    "\"sends_per_s\":%.1f,\"cpu_s\":%.6f,\"peak_rss_mib\":%.1f}\n",
                    int(client.size()), client.data(), n, ok, seconds,
                    seconds > 0 ? double(ok) / seconds : 0.0, cpu, peak_rss_mib());
        std::fflush(stdout);
        return ok == n ? 0 : 1;
    }

private:
    std::chrono::steady_clock::time_point wall_start_;
    double cpu_start_;
};

} // namespace cfmail_bench

#endif
