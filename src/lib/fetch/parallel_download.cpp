#include <algorithm>
#include <berth/base/log.hpp>
#include <berth/fetch/parallel_download.hpp>
#include <cctype>
#include <chrono>
#include <curl/curl.h>
#include <memory>
#include <thread>

namespace berth
{

namespace
{

using Clock = std::chrono::steady_clock;

enum class Phase { Pending, Waiting, Active, Retrying, Done };

struct Transfer {
    Download* download = nullptr;
    int key = 0; // progress key
    Phase phase = Phase::Pending;
    Clock::time_point notBefore;
    int attempts = 0;
    bool authRefreshed = false;
    int64_t received = 0; // bytes handed to the download
    // Per attempt:
    CURL* easy = nullptr;
    struct curl_slist* headers = nullptr;
    long status = 0;
    bool statusKnown = false;
    int64_t requestedFrom = 0;
    int64_t skip = 0;        // bytes to drop: the server ignored our Range
    std::string errorBody;   // the body of an error status, bounded
    std::string rangeHeader; // content-range of the answer
    std::optional<Error> failure;
    char errorBuffer[CURL_ERROR_SIZE] = "";
    RequestDeadline deadline;
    Progress* progress = nullptr;

    void release(CURLM* multi)
    {
        if (easy) {
            curl_multi_remove_handle(multi, easy);
            curl_easy_cleanup(easy);
            easy = nullptr;
        }
        curl_slist_free_all(headers);
        headers = nullptr;
    }
};

size_t onHeader(char* data, size_t size, size_t count, void* user)
{
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * count;
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
        t->rangeHeader.clear();
        t->download->responseHeader(":status", std::string(line));
        return n;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    std::string name(line.substr(0, colon));
    for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
        value.remove_prefix(1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
        value.remove_suffix(1);
    if (name == "content-range") t->rangeHeader = std::string(value);
    t->download->responseHeader(name, std::string(value));
    return n;
}

size_t onData(char* data, size_t size, size_t count, void* user)
{
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * count;
    if (!t->statusKnown) {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
        t->statusKnown = true;
        if (t->status == 206) {
            auto start = contentRangeStart(t->rangeHeader);
            if (!start || *start != t->requestedFrom) {
                t->failure = Error(t->download->label() +
                                   ": the server resumed at the wrong "
                                   "offset (" +
                                   t->rangeHeader + ")");
                return 0;
            }
        } else if (t->status == 200 && t->requestedFrom > 0) {
            // The server sent the whole blob again: drop what we have.
            t->skip = t->requestedFrom;
        }
    }
    if (t->status != 200 && t->status != 206) {
        if (t->errorBody.size() < (64 << 10))
            t->errorBody.append(data, std::min(n, (64 << 10) - t->errorBody.size()));
        return n;
    }
    std::string_view chunk(data, n);
    if (t->skip > 0) {
        size_t drop = static_cast<size_t>(std::min<int64_t>(t->skip, static_cast<int64_t>(n)));
        chunk.remove_prefix(drop);
        t->skip -= static_cast<int64_t>(drop);
    }
    if (chunk.empty()) return n;
    int64_t expected = t->download->expectedSize();
    // Stop a blob that is longer than announced before it fills the disk.
    if (expected >= 0 && t->received + static_cast<int64_t>(chunk.size()) > expected) {
        t->failure = Error(t->download->label() + ": size mismatch: the server sends more than " +
                           std::to_string(expected) + " bytes");
        return 0;
    }
    auto written = t->download->write(chunk);
    if (!written) {
        t->failure = std::move(written).error();
        return 0;
    }
    // Announced once bytes flow, so that a refused connection or an error
    // status prints only the error.
    t->progress->start(t->key);
    t->received += static_cast<int64_t>(chunk.size());
    t->progress->update(t->key, t->received);
    return n;
}

} // namespace

std::optional<int64_t> contentRangeStart(std::string_view header)
{
    while (!header.empty() && header.front() == ' ')
        header.remove_prefix(1);
    if (!header.starts_with("bytes ")) return std::nullopt;
    header.remove_prefix(6);
    int64_t value = 0;
    size_t i = 0;
    for (; i < header.size() && std::isdigit(static_cast<unsigned char>(header[i])); ++i) {
        if (value > (INT64_MAX - 9) / 10) return std::nullopt;
        value = value * 10 + (header[i] - '0');
    }
    if (i == 0 || i >= header.size() || header[i] != '-') return std::nullopt;
    return value;
}

Result<void> runDownloads(HttpClient& http, const std::vector<Download*>& downloads,
                          const DownloadHooks& hooks, Progress& progress, int parallel)
{
    if (downloads.empty()) return ok();
    parallel = std::max(1, parallel);
    std::vector<std::unique_ptr<Transfer>> transfers;
    for (Download* d : downloads) {
        auto t = std::make_unique<Transfer>();
        t->download = d;
        t->key = progress.add(d->label(), d->expectedSize());
        t->progress = &progress;
        transfers.push_back(std::move(t));
    }
    CURLM* multi = curl_multi_init();
    if (!multi) return Error("cannot create a libcurl multi handle");
    // Whatever happens, no easy handle outlives the multi handle.
    auto cleanup = [&] {
        for (auto& t : transfers)
            t->release(multi);
        curl_multi_cleanup(multi);
    };
    auto fail = [&](Error error) -> Result<void> {
        cleanup();
        return error;
    };

    std::optional<std::string> authHeader;
    if (hooks.authorization) {
        auto auth = hooks.authorization(false);
        if (!auth) return fail(std::move(auth).error());
        authHeader = *auth;
    }

    auto startTransfer = [&](Transfer& t) -> Result<void> {
        t.release(multi);
        t.easy = curl_easy_init();
        if (!t.easy) return Error("cannot create a libcurl handle");
        int64_t expected = t.download->expectedSize();
        t.deadline.expectedBytes = expected >= 0 ? expected - t.received : -1;
        t.deadline.maxBytes = t.deadline.expectedBytes;
        BERTH_CHECK(http.configure(t.easy, t.download->url(), &t.deadline));
        t.status = 0;
        t.statusKnown = false;
        t.skip = 0;
        t.errorBody.clear();
        t.rangeHeader.clear();
        t.requestedFrom = t.received;
        t.errorBuffer[0] = '\0';
        curl_easy_setopt(t.easy, CURLOPT_ERRORBUFFER, t.errorBuffer);
        curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, onData);
        curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(t.easy, CURLOPT_HEADERFUNCTION, onHeader);
        curl_easy_setopt(t.easy, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
        if (authHeader) t.headers = curl_slist_append(t.headers, authHeader->c_str());
        for (const auto& h : t.download->requestHeaders())
            t.headers = curl_slist_append(t.headers, h.c_str());
        curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, t.headers);
        std::string range;
        if (t.received > 0) {
            // Resume where the dropped connection left off.
            range = std::to_string(t.received) + "-";
            curl_easy_setopt(t.easy, CURLOPT_RANGE, range.c_str());
        }
        ++t.attempts;
        if (curl_multi_add_handle(multi, t.easy) != CURLM_OK)
            return Error("cannot start the download of " + t.download->label());
        t.phase = Phase::Active;
        logDebug("GET {}{}", t.download->url(), range.empty() ? "" : " (bytes " + range + ")");
        return ok();
    };

    auto complete = [&](Transfer& t, const std::string& note) -> Result<void> {
        t.release(multi);
        auto finished = t.download->finish();
        if (!finished && t.download->discardResumed()) {
            logInfo("{}: the bytes an earlier fetch left do not verify; downloading it again",
                    t.download->label());
            logDebug("{}", finished.error().message());
            t.received = 0;
            progress.update(t.key, 0);
            return startTransfer(t);
        }
        BERTH_CHECK(std::move(finished));
        t.phase = Phase::Done;
        progress.finish(t.key, note);
        return ok();
    };

    auto retryLater = [&](Transfer& t, const std::string& why) -> bool {
        t.release(multi);
        if (!http.options().retry.mayRetry(t.attempts)) return false;
        auto delay = http.options().retry.delayBefore(t.attempts + 1);
        logDebug("{}: {}; resuming at byte {} in {} ms", t.download->label(), why, t.received,
                 delay.count());
        t.phase = Phase::Retrying;
        t.notBefore = Clock::now() + delay;
        return true;
    };

    // Handles one finished transfer; an Error stops everything.
    auto onDone = [&](Transfer& t, CURLcode code) -> Result<void> {
        if (t.failure) {
            Error e = std::move(*t.failure);
            t.failure.reset();
            return e;
        }
        long status = 0;
        curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
        // Not retried: a server this slow would be as slow again.
        if (t.deadline.passed)
            return deadlineError("GET", t.download->url(), t.deadline, t.received - t.requestedFrom)
                .addContext(t.download->label());
        if (code != CURLE_OK) {
            std::string detail = t.errorBuffer;
            if (isRetryableTransportError(code) &&
                retryLater(t, detail.empty() ? curl_easy_strerror(code) : detail))
                return ok();
            return transportError(code, t.download->url(), detail).addContext(t.download->label());
        }
        if (status == 200 || status == 206) {
            int64_t expected = t.download->expectedSize();
            if (expected >= 0 && t.received < expected) {
                if (retryLater(t, "connection closed early")) return ok();
                return Error(t.download->label() + ": size mismatch: expected " +
                             std::to_string(expected) + " bytes, got " +
                             std::to_string(t.received));
            }
            return complete(t, "done");
        }
        if (status == 304 && t.download->notModified()) {
            t.release(multi);
            t.phase = Phase::Done;
            progress.finish(t.key, "not modified");
            return ok();
        }
        if (status == 416 && t.received == t.download->expectedSize())
            return complete(t, "done"); // everything had arrived already
        if (status == 401 && hooks.authorization && !t.authRefreshed) {
            t.authRefreshed = true;
            BERTH_TRY(authHeader, hooks.authorization(true));
            t.release(multi);
            --t.attempts;
            return startTransfer(t);
        }
        if (isRetryableStatus(status) && retryLater(t, "HTTP " + std::to_string(status)))
            return ok();
        if (hooks.httpError) return hooks.httpError(status, t.errorBody, t.download->label());
        return Error(t.download->label() + ": HTTP " + std::to_string(status));
    };

    int active = 0;
    while (true) {
        auto now = Clock::now();
        bool allDone = true;
        Clock::time_point nextWake = now + std::chrono::milliseconds(200);
        active = 0;
        for (auto& t : transfers)
            active += t->phase == Phase::Active;
        // Start what may start, in order, within the parallel bound.
        for (auto& tp : transfers) {
            Transfer& t = *tp;
            if (t.phase == Phase::Done) continue;
            allDone = false;
            if (active >= parallel) break;
            if (t.phase == Phase::Active) continue;
            if ((t.phase == Phase::Waiting || t.phase == Phase::Retrying) && t.notBefore > now) {
                nextWake = std::min(nextWake, t.notBefore);
                continue;
            }
            if (t.phase == Phase::Pending || t.phase == Phase::Waiting) {
                auto start = t.download->begin();
                if (!start) return fail(std::move(start).error());
                if (*start == DownloadStart::Skip) {
                    t.phase = Phase::Done;
                    progress.finish(t.key, "already in the store");
                    continue;
                }
                if (*start == DownloadStart::Wait) {
                    if (t.phase == Phase::Pending)
                        logInfo("{}: another berth is fetching it; waiting", t.download->label());
                    t.phase = Phase::Waiting;
                    t.notBefore = now + std::chrono::milliseconds(100);
                    nextWake = std::min(nextWake, t.notBefore);
                    continue;
                }
            }
            if (t.phase == Phase::Pending || t.phase == Phase::Waiting) {
                t.received = t.download->resumeFrom();
                if (t.received > 0) {
                    progress.start(t.key);
                    progress.update(t.key, t.received);
                }
                if (t.received > 0 && t.received == t.download->expectedSize()) {
                    // Every byte was there already: only the checks remain.
                    auto completed = complete(t, "done");
                    if (!completed) return fail(std::move(completed).error());
                    continue;
                }
            }
            auto started = startTransfer(t);
            if (!started) return fail(std::move(started).error());
            ++active;
        }
        if (allDone) break;

        int running = 0;
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            return fail(Error("libcurl multi transfer failed"));
        int pending = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &pending)) {
            if (msg->msg != CURLMSG_DONE) continue;
            Transfer* t = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
            auto handled = onDone(*t, msg->data.result);
            if (!handled) return fail(std::move(handled).error());
        }
        progress.draw();
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(nextWake - Clock::now());
        int waitMs = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 200));
        if (running > 0)
            curl_multi_poll(multi, nullptr, 0, waitMs, nullptr);
        else if (waitMs > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(waitMs));
    }
    cleanup();
    return ok();
}

} // namespace berth
