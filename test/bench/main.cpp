// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.

// cfmail-bench and cfmail-bench-baseline: the loopback server and the two clients that
// test/bench/run.sh compares.
//   cfmail-bench server http|https PORT_FILE [CERT KEY]
//   cfmail-bench client BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]            (cfmail)
//   cfmail-bench client-send BASE_URL N CONCURRENCY FILE [CA_FILE]   (FILE attached to a send)
//   cfmail-bench client-any BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]  (as client, through
//                                                                 cfmail::any_client)
//   cfmail-bench mime-build [FILE]   (FILE, or 10 MiB of random bytes, attached to a
//                                     mime::message built once; no network)
//   cfmail-bench-baseline client BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]   (libcurl)
// A client prints one JSON object as its last line and exits 0 only when every send succeeded;
// mime-build prints one JSON object as its last line and exits 0 when the message was built.

#include "bench_common.hpp"

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#ifndef CFMAIL_BENCH_BASELINE
#include <cfmail/mime.hpp>

#include <openssl/evp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#endif

namespace cfmail_bench {
#ifdef CFMAIL_BENCH_BASELINE
int run_curl_client(const client_args& args);
int run_client(client_args args) {
    return run_curl_client(args);
}
int run_server(int, char**) {
    std::fprintf(stderr, "the server is in cfmail-bench\n");
    return 2;
}
int run_mime_build(int, char**) {
    std::fprintf(stderr, "mime-build is in cfmail-bench\n");
    return 2;
}
#else
int run_server(int argc, char** argv);
int run_cfmail_client(client_args args);
int run_client(client_args args) {
    return run_cfmail_client(std::move(args));
}

// The message mime-build measures, with `attachment` moved in.
cfmail::mime::message mime_build_message(std::string attachment) {
    cfmail::mime::message message;
    message.from({"sender@example.com", "Sender"})
        .to({"recipient@example.com"})
        .subject("Your report")
        .text("The report is attached.\n")
        .attach_file("report.pdf", std::move(attachment), "application/pdf");
    return message;
}

// The attachment of mime-build: FILE's bytes, or 10 MiB from a fixed seed, so that a second
// call gives the same bytes again.
bool mime_build_attachment(const char* path, std::string& out, std::string& why) {
    if (path)
        return read_file(path, out, why);
    out.resize(10u * 1024u * 1024u);
    std::mt19937_64 random(20260101);
    for (std::size_t i = 0; i < out.size(); i += 8) {
        const std::uint64_t word = random();
        for (std::size_t k = 0; k < 8 && i + k < out.size(); ++k)
            out[i + k] = static_cast<char>(word >> (8 * k));
    }
    return true;
}

// `mime-build [FILE]`: the attachment moved into a mime::message with a short text body and
// built once by to_send_raw under a 25 MiB limit: its wall time, and the growth of the peak
// RSS (the attachment itself included) against the attachment's size. Then, as the floor of
// one pass over the same bytes, one EVP_EncodeBlock into a fresh buffer, and the ratio of the
// two times. The message is freed before the baseline runs, and the peak read before it.
int run_mime_build(int argc, char** argv) {
    if (argc > 1) {
        std::fprintf(stderr, "usage: mime-build [FILE]\n");
        return 2;
    }
    const char* path = argc == 1 ? argv[0] : nullptr;
    cfmail::client_options limits;
    limits.max_message_size = 25u * 1024u * 1024u;
    const std::string account_id = env_or("CF_ACCOUNT_ID", "023e105f4ecef8ad9ca31a8372d0c353");
    // One small build first, so that what happens once per process (library code paged in,
    // about 3 MiB of resident file pages; OpenSSL's random generator set up) is neither in the
    // growth of the peak nor in the time.
    (void)mime_build_message(std::string(1000, 'x')).to_send_raw(account_id, limits);
    const double peak_before = peak_rss_mib();
    std::string why;
    std::string attachment;
    if (!mime_build_attachment(path, attachment, why)) {
        std::fprintf(stderr, "mime-build: %s\n", why.c_str());
        return 2;
    }
    const std::size_t attachment_size = attachment.size();

    using clock = std::chrono::steady_clock;
    std::size_t message_size = 0;
    double build_s = 0, peak_after = 0;
    {
        const auto start = clock::now();
        const auto message = mime_build_message(std::move(attachment));
        boost::system::error_code ec;
        cfmail::diagnostics diag;
        const auto request = message.to_send_raw(account_id, ec, diag, limits);
        build_s = std::chrono::duration<double>(clock::now() - start).count();
        peak_after = peak_rss_mib();
        if (ec) {
            std::fprintf(stderr, "mime-build: %s: %s\n", ec.message().c_str(), diag.detail.c_str());
            return 1;
        }
        message_size = request.mime_message.size();
    }

    if (!mime_build_attachment(path, attachment, why)) {
        std::fprintf(stderr, "mime-build: %s\n", why.c_str());
        return 2;
    }
    const auto start = clock::now();
    // Not value-initialised: its pages are first touched by the encoding, as the message's are.
    std::unique_ptr<unsigned char[]> encoded(
        new unsigned char[4 * ((attachment.size() + 2) / 3) + 1]);
    const int written =
        EVP_EncodeBlock(encoded.get(), reinterpret_cast<const unsigned char*>(attachment.data()),
                        static_cast<int>(attachment.size()));
    const double baseline_s = std::chrono::duration<double>(clock::now() - start).count();
    if (written < 0 || std::size_t(written) != 4 * ((attachment.size() + 2) / 3)) {
        std::fprintf(stderr, "mime-build: EVP_EncodeBlock failed\n");
        return 1;
    }

    const double attachment_mib = double(attachment_size) / (1024.0 * 1024.0);
    const double growth_mib = peak_after - peak_before;
    std::printf("{\"mode\":\"mime-build\",\"attachment_mib\":%.2f,\"message_mib\":%.2f,"
                "\"build_s\":%.6f,\"baseline_s\":%.6f,\"time_ratio\":%.2f,"
                "\"peak_rss_mib\":%.1f,\"peak_rss_growth_mib\":%.1f,\"growth_ratio\":%.3f}\n",
                attachment_mib, double(message_size) / (1024.0 * 1024.0), build_s, baseline_s,
                baseline_s > 0 ? build_s / baseline_s : 0.0, peak_after, growth_mib,
                attachment_mib > 0 ? growth_mib / attachment_mib : 0.0);
    std::fflush(stdout);
    return 0;
}
#endif
} // namespace cfmail_bench

int main(int argc, char** argv) {
    using namespace cfmail_bench;
    const std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "server")
        return run_server(argc - 2, argv + 2);
    if (mode == "mime-build")
        return run_mime_build(argc - 2, argv + 2);
    if (mode == "client" || mode == "client-send" || mode == "client-any" ||
        mode == "client-json" || mode == "client-metrics") {
        client_args args;
        args.structured = mode == "client-send";
        args.erased = mode == "client-any";
        if (mode == "client-json" || mode == "client-metrics")
            args.observer = mode.substr(7);
        std::string why;
        if (!parse_client_args(argc - 2, argv + 2, args, why)) {
            std::fprintf(stderr, "%s client: %s\n", argv[0], why.c_str());
            return 2;
        }
        return run_client(std::move(args));
    }
    std::fprintf(stderr,
                 "usage: %s server|client|client-send|client-any|client-json|client-metrics|"
                 "mime-build ...\n"
                 "  server http|https PORT_FILE [CERT KEY]\n"
                 "  client BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]\n"
                 "  client-send BASE_URL N CONCURRENCY FILE [CA_FILE]  (FILE attached to a send)\n"
                 "  client-any BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]  (any_client)\n"
                 "  client-json, client-metrics: as client, with the JSON-lines observer (to "
                 "/dev/null) or attempt_metrics\n"
                 "  mime-build [FILE]  (FILE or 10 MiB of random bytes attached to a "
                 "mime::message)\n",
                 argv[0]);
    return 2;
}
