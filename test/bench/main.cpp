// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.

// cfmail-bench and cfmail-bench-baseline: the loopback server and the two clients that
// test/bench/run.sh compares.
//   cfmail-bench server http|https PORT_FILE [CERT KEY]
//   cfmail-bench client BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]            (cfmail)
//   cfmail-bench client-send BASE_URL N CONCURRENCY FILE [CA_FILE]   (FILE attached to a send)
//   cfmail-bench-baseline client BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]   (libcurl)
// A client prints one JSON object as its last line and exits 0 only when every send succeeded.

#include "bench_common.hpp"

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

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
#else
int run_server(int argc, char** argv);
int run_cfmail_client(client_args args);
int run_client(client_args args) {
    return run_cfmail_client(std::move(args));
}
#endif
} // namespace cfmail_bench

int main(int argc, char** argv) {
    using namespace cfmail_bench;
    const std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "server")
        return run_server(argc - 2, argv + 2);
    if (mode == "client" || mode == "client-send") {
        client_args args;
        args.structured = mode == "client-send";
        std::string why;
        if (!parse_client_args(argc - 2, argv + 2, args, why)) {
            std::fprintf(stderr, "%s client: %s\n", argv[0], why.c_str());
            return 2;
        }
        return run_client(std::move(args));
    }
    std::fprintf(stderr,
                 "usage: %s server|client ...\n"
                 "  server http|https PORT_FILE [CERT KEY]\n"
                 "  client BASE_URL N CONCURRENCY MESSAGE_FILE [CA_FILE]\n"
                 "  client-send BASE_URL N CONCURRENCY FILE [CA_FILE]  (FILE attached to a send)\n",
                 argv[0]);
    return 2;
}
