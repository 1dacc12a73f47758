#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/base/scope_exit.hpp>
#include <berth/fetch/fetch_stage.hpp>
#include <berth/stage/stage_message.hpp>
#include <berth/stage/stage_process.hpp>
#include <berth/store/image_gc.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace berth
{

namespace
{

// In the fetch stage: stands in for one real download. Its bytes go where
// the real download keeps them when it has such a file (a layer's partial
// blob, opened by stage0 and inherited: the sandbox forbids opening it
// here), else to a staging file. It records what stage0 must replay
// (response headers, a 304). Everything else is asked of the real download
// (its copy in the stage's memory), which never writes the store here.
class StagedDownload : public Download
{
public:
    StagedDownload(Download& real, int dirFd, std::string name)
        : real_(real), dirFd_(dirFd), name_(std::move(name))
    {
    }

    std::string label() const override { return real_.label(); }
    std::string url() const override { return real_.url(); }
    int64_t expectedSize() const override { return real_.expectedSize(); }
    int64_t resumeFrom() const override { return real_.resumeFrom(); }
    std::vector<std::string> requestHeaders() const override { return real_.requestHeaders(); }

    Result<DownloadStart> begin() override
    {
        appendFd_ = real_.stageAppendFd();
        offset_ = real_.resumeFrom();
        if (appendFd_ < 0) {
            BERTH_TRY(fd_, openAt(dirFd_, name_, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        }
        return DownloadStart::Go;
    }
    Result<void> write(std::string_view bytes) override
    {
        if (appendFd_ < 0) return writeAll(fd_.get(), bytes);
        // At an explicit offset: the file description is shared with stage0.
        while (!bytes.empty()) {
            ssize_t n = ::pwrite(appendFd_, bytes.data(), bytes.size(), offset_);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Error::fromErrno("write the bytes of " + label());
            bytes.remove_prefix(static_cast<size_t>(n));
            offset_ += n;
        }
        return ok();
    }
    Result<void> finish() override
    {
        fd_.reset();
        return ok();
    }
    void responseHeader(const std::string& name, const std::string& value) override
    {
        if (headers_.size() < 4096) headers_.emplace_back(name, value);
        real_.responseHeader(name, value);
    }
    bool notModified() override
    {
        notModified_ = real_.notModified();
        if (notModified_) fd_.reset();
        return notModified_;
    }

    void answer(StageMessageWriter& out) const
    {
        out.put(notModified_ ? "304" : "200");
        out.put(static_cast<int64_t>(headers_.size()));
        for (const auto& [name, value] : headers_) {
            out.put(name);
            out.put(value);
        }
    }

private:
    Download& real_;
    int dirFd_;
    std::string name_;
    UniqueFd fd_;
    int appendFd_ = -1; // borrowed from the real download
    int64_t offset_ = 0;
    std::vector<std::pair<std::string, std::string>> headers_;
    bool notModified_ = false;
};

// Feeds what the stage wrote for `d` to it, from `fd` starting at `offset`:
// through write() for a staging file, through adoptAppended() for bytes the
// stage appended to the download's own file.
Result<void> replayBytes(Download& d, int fd, int64_t offset, bool appended)
{
    std::vector<char> buffer(1 << 20);
    while (true) {
        ssize_t n = ::pread(fd, buffer.data(), buffer.size(), offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::fromErrno("read the staged bytes of " + d.label());
        if (n == 0) return ok();
        std::string_view chunk(buffer.data(), static_cast<size_t>(n));
        BERTH_CHECK(appended ? d.adoptAppended(chunk) : d.write(chunk));
        offset += n;
    }
}

// What the host may hold that a download needs, beyond the staging dir.
void addReadablePaths(std::vector<std::string>& read)
{
    // TLS trust and per-registry CAs and client certificates. Not
    // /etc/pki or /etc/containers as a whole: they hold signature keys
    // (containers' policy.json keyPath) too.
    for (const char* p :
         {"/etc/ssl", "/etc/pki/tls", "/etc/pki/ca-trust", "/etc/ca-certificates",
          "/usr/share/ca-certificates", "/usr/local/share/ca-certificates", "/usr/lib/ssl",
          "/etc/crypto-policies", "/etc/containers/certs.d", "/etc/docker/certs.d"})
        read.emplace_back(p);
    // Name service and time.
    for (const char* p : {"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf",
                          "/etc/host.conf", "/etc/services", "/etc/protocols", "/etc/localtime",
                          "/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/run/systemd/resolve"})
        read.emplace_back(p);
    // Libraries loaded late (NSS modules, OpenSSL providers): the multiarch
    // directories only, not /usr/lib as a whole, which holds
    // /usr/lib/berth/trustedkeys.
    for (const char* base : {"/usr/lib", "/lib", "/usr/lib64", "/lib64"}) {
        DIR* d = ::opendir(base);
        if (!d) continue;
        while (dirent* e = ::readdir(d)) {
            std::string_view name = e->d_name;
            if (name.find("-linux-") != std::string_view::npos)
                read.push_back(std::string(base) + "/" + e->d_name);
        }
        ::closedir(d);
    }
    // The per-user certs.d. Not the credential files: stage0 resolved the
    // credentials before the fork (see runDownloadsInStage), and the files
    // hold other registries' too. Not berth's configuration directory,
    // which holds the trusted keys, nor containers' policy.json and
    // registries.d.
    const char* home = std::getenv("HOME");
    const char* config = std::getenv("XDG_CONFIG_HOME");
    std::string configHome = config && config[0] == '/' ? std::string(config)
                             : home && home[0] == '/'   ? std::string(home) + "/.config"
                                                        : std::string();
    if (!configHome.empty()) read.push_back(configHome + "/containers/certs.d");
}

} // namespace

SandboxPolicy fetchPolicy(const std::string& stagingDir)
{
    SandboxPolicy policy;
    policy.stage = "fetch";
    addReadablePaths(policy.paths.read);
    policy.paths.write = {stagingDir};
    policy.paths.devices = {"/dev/null", "/dev/urandom"};
    return policy;
}

namespace
{

// One fetch stage over `go` (downloads stage0 has begun), then the digest
// checks and publishing in stage0. Returns the downloads whose resumed bytes
// failed and were dropped, to be fetched again whole.
Result<std::vector<Download*>> runStageRound(Store& store, HttpClient& http,
                                             const std::vector<Download*>& go,
                                             const DownloadHooks& hooks,
                                             const std::optional<std::string>& authHeader,
                                             Progress& progress, int parallel)
{
    // Leftovers of a killed berth; one another member owns stays (sticky tmp/).
    if (auto swept = collectAbandonedStagingDirs(store, false); !swept)
        logDebug("abandoned staging dirs: {}", swept.error().message());
    BERTH_TRY(std::string staging, store.makeTempDirectory("fetch-stage"));
    ScopeExit removeStaging([&] { (void)removeTree(staging); });
    BERTH_TRY(UniqueFd stagingFd, openDirectory(staging));
    // Held until the directory is removed: see collectAbandonedStagingDirs.
    if (::flock(stagingFd.get(), LOCK_EX | LOCK_NB) < 0)
        return Error::fromErrno("lock '" + staging + "'");
    SandboxPolicy policy = fetchPolicy(staging);
    noticeMissingProtections(policy);

    BERTH_TRY(std::string answer, runStage(policy, [&]() -> Result<std::string> {
                  std::vector<std::unique_ptr<StagedDownload>> staged;
                  std::vector<Download*> transfers;
                  for (size_t i = 0; i < go.size(); ++i) {
                      staged.push_back(std::make_unique<StagedDownload>(*go[i], stagingFd.get(),
                                                                        std::to_string(i)));
                      transfers.push_back(staged.back().get());
                  }
                  DownloadHooks stageHooks = hooks;
                  if (hooks.authorization)
                      stageHooks.authorization = [&](bool refresh) {
                          if (!refresh) return Result<std::optional<std::string>>(authHeader);
                          return hooks.authorization(true);
                      };
                  BERTH_CHECK(runDownloads(http, transfers, stageHooks, progress, parallel));
                  StageMessageWriter out;
                  for (const auto& s : staged)
                      s->answer(out);
                  return out.take();
              }));

    // Stage0 replays what the stage saw and feeds the bytes to the real
    // downloads, which check them and publish.
    StageMessageReader in(answer);
    std::vector<Download*> again;
    for (size_t i = 0; i < go.size(); ++i) {
        Download& d = *go[i];
        BERTH_TRY(std::string_view outcome, in.next());
        BERTH_TRY(int64_t headerCount, in.nextNumber());
        for (int64_t h = 0; h < headerCount; ++h) {
            BERTH_TRY(std::string_view name, in.next());
            BERTH_TRY(std::string_view value, in.next());
            d.responseHeader(std::string(name), std::string(value));
        }
        if (outcome == "304") {
            if (!d.notModified())
                return Error(d.label() + ": the fetch stage reports a 304 nobody asked for");
            continue;
        }
        if (int appendFd = d.stageAppendFd(); appendFd >= 0) {
            BERTH_CHECK(replayBytes(d, appendFd, d.resumeFrom(), true));
        } else {
            std::string name = std::to_string(i);
            BERTH_TRY(UniqueFd fd, openAt(stagingFd.get(), name, O_RDONLY | O_CLOEXEC));
            BERTH_CHECK(replayBytes(d, fd.get(), 0, false));
            (void)::unlinkat(stagingFd.get(), name.c_str(), 0);
        }
        auto finished = d.finish();
        if (!finished && d.discardResumed()) {
            logInfo("{}: the bytes an earlier fetch left do not verify; downloading it again",
                    d.label());
            logDebug("{}", finished.error().message());
            again.push_back(&d);
            continue;
        }
        BERTH_CHECK(std::move(finished));
    }
    return again;
}

} // namespace

Result<void> runDownloadsInStage(Store& store, HttpClient& http,
                                 const std::vector<Download*>& downloads,
                                 const DownloadHooks& hooks, Progress& progress, int parallel)
{
    // Stage0 starts the downloads: the fetch locks are held here, for the
    // whole of the stage and the commit after it, so concurrent berths still
    // download each blob once. A begun download holds two fds (its lock and
    // its partial blob) until it is committed, so they are begun a window at
    // a time, each window in a stage of its own: the fds a fetch holds grow
    // with the transfers in flight, not with the image's layer count.
    size_t window = static_cast<size_t>(std::max(1, parallel)) * 8;
    std::optional<std::string> authHeader;
    bool authorized = false;
    for (size_t next = 0; next < downloads.size();) {
        std::vector<Download*> go;
        while (next < downloads.size() && go.size() < window) {
            Download* d = downloads[next++];
            // Bounded by whoever holds the lock, as in runDownloads.
            for (bool told = false;;) {
                BERTH_TRY(DownloadStart start, d->begin());
                if (start == DownloadStart::Go) {
                    go.push_back(d);
                    break;
                }
                if (start == DownloadStart::Skip) {
                    progress.finish(progress.add(d->label(), d->expectedSize()),
                                    "already in the store");
                    break;
                }
                if (!told) logInfo("{}: another berth is fetching it; waiting", d->label());
                told = true;
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
        if (go.empty()) continue;

        // The credentials were resolved in stage0 before any of this (by
        // findCredential, which runs credential helpers: the stage may not
        // execute programs), and the first token is asked for here. The
        // stage asks again only when the registry refuses the token
        // mid-download; that refresh (RegistryClient::authorization) sends
        // the username and password the stage holds in its copy of stage0's
        // memory to the token server, and reads no file and runs no program.
        if (hooks.authorization && !authorized) {
            BERTH_TRY(authHeader, hooks.authorization(false));
            authorized = true;
        }

        // Bytes an earlier berth left that fail the digest are dropped and
        // the blob fetched again from the start: a second stage, once.
        for (int round = 0; round < 2 && !go.empty(); ++round) {
            BERTH_TRY(go, runStageRound(store, http, go, hooks, authHeader, progress, parallel));
        }
    }
    return ok();
}

} // namespace berth
