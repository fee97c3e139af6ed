// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.

// The baseline client of cfmail-bench: the send_raw loop a C++ user writes today with libcurl
// and nlohmann/json, tuned the way such a user would tune it (kept-alive handles, no
// `Expect: 100-continue`, the multi interface for concurrency), so that the comparison is fair.

#include "bench_common.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

namespace cfmail_bench {

namespace {

struct easy_deleter {
    void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct multi_deleter {
    void operator()(CURLM* multi) const noexcept { curl_multi_cleanup(multi); }
};
struct slist_deleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using easy_ptr = std::unique_ptr<CURL, easy_deleter>;
using multi_ptr = std::unique_ptr<CURLM, multi_deleter>;
using slist_ptr = std::unique_ptr<curl_slist, slist_deleter>;

// curl_global_init once for the process, curl_global_cleanup when the run is over.
class curl_global {
public:
    curl_global()
        : code_(curl_global_init(CURL_GLOBAL_DEFAULT)) {}
    ~curl_global() {
        if (code_ == CURLE_OK)
            curl_global_cleanup();
    }
    curl_global(const curl_global&) = delete;
    curl_global& operator=(const curl_global&) = delete;

    CURLcode code() const { return code_; }

private:
    CURLcode code_;
};

// Prints only the first few failures: a misbehaving server would otherwise flood stderr.
class failure_log {
public:
    void report(std::string_view what) {
        if (printed_ >= 5)
            return;
        ++printed_;
        std::fprintf(stderr, "libcurl client: send failed: %.*s\n", int(what.size()), what.data());
    }

private:
    int printed_ = 0;
};

// One in-flight slot. Its easy handle lives for the whole run so that libcurl keeps its
// connection alive and reuses it for the next send.
struct transfer {
    easy_ptr easy;
    std::string request;   // CURLOPT_POSTFIELDS points into it: alive until the transfer ends
    std::string response;  // cleared before each transfer; its capacity is reused
    bool attached = false; // added to the multi handle and not yet removed
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* userdata) {
    static_cast<std::string*>(userdata)->append(data, size * count);
    return size * count;
}

// Appends a header line; the first append creates the list, later ones return its head.
bool append_header(slist_ptr& list, const std::string& line) {
    curl_slist* head = curl_slist_append(list.get(), line.c_str());
    if (!head)
        return false;
    if (!list)
        list.reset(head);
    return true;
}

slist_ptr make_headers(const client_args& args) {
    slist_ptr list;
    // An empty "Expect:" stops libcurl from waiting for `100 Continue` before larger bodies.
    for (const std::string& line :
         {"Authorization: Bearer " + args.token, std::string("Content-Type: application/json"),
          std::string("Accept: application/json"), std::string("Expect:")}) {
        if (!append_header(list, line))
            return nullptr;
    }
    return list;
}

// Creates the slot's handle with everything that stays the same from one send to the next.
bool setup(transfer& slot, const client_args& args, const std::string& url, curl_slist* headers) {
    slot.easy.reset(curl_easy_init());
    if (!slot.easy)
        return false;
    CURL* easy = slot.easy.get();
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L); // no SIGALRM-based timeouts
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &slot.response);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &slot);
    // Peer and host verification stay on (the defaults); only the trusted roots change.
    if (!args.ca_file.empty())
        curl_easy_setopt(easy, CURLOPT_CAINFO, args.ca_file.c_str());
    return true;
}

// Builds this send's body, as a user sending different messages would, and points the handle
// at it.
void prepare(transfer& slot, const client_args& args) {
    const nlohmann::json body = {
        {"from", args.from},
        {"recipients", nlohmann::json::array({args.recipient})},
        {"mime_message", args.message},
    };
    slot.request = body.dump();
    slot.response.clear();
    CURL* easy = slot.easy.get();
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(slot.request.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, slot.request.data());
}

// Whether a finished transfer is a successful send: HTTP 200 and a Cloudflare API envelope
// with `"success": true` and an object `result`.
bool succeeded(const transfer& slot, CURLcode code, failure_log& log) {
    if (code != CURLE_OK) {
        log.report(curl_easy_strerror(code));
        return false;
    }
    long status = 0;
    curl_easy_getinfo(slot.easy.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        log.report("HTTP status " + std::to_string(status));
        return false;
    }
    const nlohmann::json reply = nlohmann::json::parse(slot.response, nullptr, false);
    if (reply.is_discarded() || !reply.is_object()) {
        log.report("the response is not a JSON object");
        return false;
    }
    const auto success = reply.find("success");
    const auto result = reply.find("result");
    if (success == reply.end() || *success != true || result == reply.end() ||
        !result->is_object()) {
        log.report("the response does not report success");
        return false;
    }
    return true;
}

// Concurrency 1: one handle, one blocking transfer after another.
std::size_t run_serial(const client_args& args, const std::string& url, curl_slist* headers,
                       failure_log& log) {
    transfer slot;
    if (!setup(slot, args, url, headers)) {
        log.report("curl_easy_init failed");
        return 0;
    }
    std::size_t ok = 0;
    for (std::size_t i = 0; i < args.n; ++i) {
        prepare(slot, args);
        if (succeeded(slot, curl_easy_perform(slot.easy.get()), log))
            ++ok;
    }
    return ok;
}

// Concurrency > 1: the multi interface, one handle per in-flight slot; a slot that finishes is
// given the next send right away.
std::size_t run_multi(const client_args& args, const std::string& url, curl_slist* headers,
                      failure_log& log) {
    // Declared before the slots so that it is cleaned up after their handles.
    const multi_ptr multi(curl_multi_init());
    if (!multi) {
        log.report("curl_multi_init failed");
        return 0;
    }
    // One connection per slot; without the limit a finished connection could sit unused.
    curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, long(args.concurrency));

    // Sized once: the handles point at their slots, which must not move.
    std::vector<transfer> slots(std::min(args.n, args.concurrency));
    for (transfer& slot : slots) {
        if (!setup(slot, args, url, headers)) {
            log.report("curl_easy_init failed");
            return 0;
        }
    }

    std::size_t started = 0;
    std::size_t in_flight = 0;
    auto start = [&](transfer& slot) {
        prepare(slot, args);
        if (curl_multi_add_handle(multi.get(), slot.easy.get()) != CURLM_OK) {
            log.report("curl_multi_add_handle failed");
            return;
        }
        slot.attached = true;
        ++started;
        ++in_flight;
    };
    for (transfer& slot : slots)
        start(slot);

    std::size_t ok = 0;
    while (in_flight > 0) {
        int running = 0;
        CURLMcode code = curl_multi_perform(multi.get(), &running);
        if (code != CURLM_OK) {
            log.report(curl_multi_strerror(code));
            break;
        }
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
            if (message->msg != CURLMSG_DONE)
                continue;
            void* owner = nullptr;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &owner);
            transfer& slot = *static_cast<transfer*>(owner);
            const CURLcode result = message->data.result; // `message` dies with the removal
            curl_multi_remove_handle(multi.get(), slot.easy.get());
            slot.attached = false;
            --in_flight;
            if (succeeded(slot, result, log))
                ++ok;
            if (started < args.n)
                start(slot); // same handle: its connection is reused
        }
        // A handle just added makes libcurl's internal timeout zero, so this returns at once.
        if (in_flight > 0 &&
            (code = curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr)) != CURLM_OK) {
            log.report(curl_multi_strerror(code));
            break;
        }
    }
    // After an error, detach what is still in flight before the handles are cleaned up.
    for (transfer& slot : slots) {
        if (slot.attached)
            curl_multi_remove_handle(multi.get(), slot.easy.get());
    }
    return ok;
}

} // namespace

int run_curl_client(const client_args& args) {
    const curl_global global;
    const std::string url = args.send_raw_url();
    failure_log log;

    run_meter meter;
    std::size_t ok = 0;
    if (global.code() != CURLE_OK) {
        log.report(curl_easy_strerror(global.code()));
    } else if (const slist_ptr headers = make_headers(args); !headers) {
        log.report("curl_slist_append failed");
    } else if (args.concurrency == 1) {
        ok = run_serial(args, url, headers.get(), log);
    } else {
        ok = run_multi(args, url, headers.get(), log);
    }
    return meter.finish("libcurl", args.n, ok);
}

} // namespace cfmail_bench
