// A layer (tar, gzip or zstd) extracted through the tree writer into a
// temporary directory, as rendering does. Beside the tree lies a directory
// with one file: an input that changes anything outside the tree is a
// finding even when nothing crashes.
#include "fuzz_input.hpp"

#include <berth/base/file.hpp>
#include <berth/base/unique_fd.hpp>
#include <berth/render/layer_extractor.hpp>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace
{

std::string base;
berth::UniqueFd baseFd;
constexpr std::string_view kSentinel = "outside the tree\n";

void removeBase()
{
    if (!base.empty()) (void)berth::removeTree(base);
}

// Names in a directory, "." and ".." left out.
std::set<std::string> namesIn(int dirFd)
{
    std::set<std::string> names;
    int fd = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) std::abort();
    DIR* dir = ::fdopendir(fd);
    if (!dir) std::abort();
    while (auto* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.insert(name);
    }
    ::closedir(dir);
    return names;
}

// The directory beside the tree holds exactly its one file, unchanged.
bool outsideUntouched()
{
    if (namesIn(baseFd.get()) != std::set<std::string>{"outside"}) return false;
    auto outside = berth::openAt(baseFd.get(), "outside", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!outside) return false;
    if (namesIn(outside->get()) != std::set<std::string>{"sentinel"}) return false;
    auto text = berth::readFileAt(outside->get(), "sentinel");
    return text && *text == kSentinel;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    const char* tmp = std::getenv("TMPDIR");
    // 0700 (mkdtemp): the trees may hold setuid files and device nodes.
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-fuzz-layer-XXXXXX";
    if (!::mkdtemp(pattern.data())) std::abort();
    base = pattern;
    std::atexit(removeBase);
    auto fd = berth::openDirectory(base);
    if (!fd) std::abort();
    baseFd = std::move(*fd);
    if (::mkdirat(baseFd.get(), "outside", 0755) < 0) std::abort();
    auto outside = berth::openAt(baseFd.get(), "outside", O_RDONLY | O_DIRECTORY);
    if (!outside) std::abort();
    auto sentinel = berth::openAt(outside->get(), "sentinel", O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (!sentinel || !berth::writeAll(sentinel->get(), kSentinel)) std::abort();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    int memfd = ::memfd_create("layer", MFD_CLOEXEC);
    if (memfd < 0) std::abort();
    berth::UniqueFd blob(memfd);
    if (!berth::writeAll(blob.get(), berth::fuzz::text(data, size))) std::abort();
    if (::lseek(blob.get(), 0, SEEK_SET) < 0) std::abort();

    if (::mkdirat(baseFd.get(), "tree", 0755) < 0) std::abort();
    {
        auto tree = berth::openAt(baseFd.get(), "tree", O_RDONLY | O_DIRECTORY);
        if (!tree) std::abort();
        berth::LayerSource source;
        source.label = "fuzz layer";
        berth::ExtractOptions options;
        // Both ways a layer is written, and OCI or ACI members, chosen by
        // the last byte (after a tar's end, where it changes nothing else;
        // a mutation elsewhere keeps the mode).
        unsigned char mode = size ? data[size - 1] : 0;
        options.mode = mode & 1 ? berth::LayerMode::Overlay : berth::LayerMode::Flatten;
        // An ACI's members live under rootfs/.
        source.aci = mode & 2;
        options.ownership = berth::Ownership::Squash;
        // Small bounds keep each run fast; the limits themselves are code
        // under test.
        options.limits.maxEntries = 4096;
        options.limits.maxBytes = 8 << 20;
        auto stats = berth::extractLayer(tree->get(), std::move(blob), source, options);
        // BERTH_FUZZ_VERBOSE=1 tells why a seed is refused (a seed that
        // fails early covers little).
        if (!stats && std::getenv("BERTH_FUZZ_VERBOSE"))
            std::fprintf(stderr, "%s\n", stats.error().message().c_str());
    }
    if (!berth::removeTreeAt(baseFd.get(), "tree")) std::abort();
    if (!outsideUntouched()) __builtin_trap();
    return 0;
}
