#pragma once

// Helpers shared by the render tests: temporary directories removed as
// container root, layers written to files or into a store.

#include "../../fixtures/hostile/tar_builder.hpp"

#include <berth/base/file.hpp>
#include <berth/render/container_root.hpp>
#include <berth/render/layer_extractor.hpp>
#include <berth/render/render.hpp>
#include <berth/store/store.hpp>
#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::test
{

using fixtures::TarBuilder;

class TempDir
{
public:
    TempDir()
    {
        char tmpl[] = "/tmp/berth-render-test-XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        path_ = tmpl;
    }
    ~TempDir() { (void)removeTreeAsContainerRoot(IdMap::forCurrentUser(), path_); }
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline std::set<std::string> listDir(const std::string& dir)
{
    std::set<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return names;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.insert(n);
    }
    ::closedir(d);
    return names;
}

inline bool exists(const std::string& path)
{
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

inline struct stat lstatOf(const std::string& path)
{
    struct stat st {
    };
    REQUIRE_MESSAGE(::lstat(path.c_str(), &st) == 0, path);
    return st;
}

inline std::string contentOf(const std::string& path)
{
    auto data = readFile(path);
    REQUIRE_MESSAGE(data.has_value(), path);
    return *data;
}

// Applies tar layers one after the other to `root` with extractLayer, as
// container root (in a user namespace when rootless). Returns the first
// error.
inline Result<void> applyTars(const std::string& root, const std::vector<std::string>& blobs,
                              LayerMode mode, ExtractLimits limits = {})
{
    TempDir files;
    std::vector<std::string> paths;
    for (size_t i = 0; i < blobs.size(); ++i) {
        paths.push_back(files / ("layer" + std::to_string(i)));
        REQUIRE(writeFileAtomic(paths.back(), blobs[i]));
    }
    IdMap map = IdMap::forCurrentUser();
    ExtractOptions options;
    options.mode = mode;
    options.limits = limits;
    options.ownership = map.kind == IdMap::Kind::Single ? Ownership::Squash : Ownership::Keep;
    options.trustedOverlayXattrs = map.kind == IdMap::Kind::Identity;
    BERTH_TRY(UniqueFd rootFd, openDirectory(root));
    int rootDir = rootFd.get();
    return runAsContainerRoot(map, [&]() -> Result<void> {
        for (size_t i = 0; i < paths.size(); ++i) {
            BERTH_TRY(UniqueFd blob, openPath(paths[i], O_RDONLY));
            LayerSource source;
            source.label = "test layer " + std::to_string(i + 1);
            BERTH_CHECK(extractLayer(rootDir, std::move(blob), source, options));
        }
        return ok();
    });
}

// Stores gzip layers (or given blobs) and returns an OCI image record.
inline ImageRecord putOciImage(Store& store, const std::vector<std::string>& tars,
                               const std::string& name = "localhost/test")
{
    ImageRecord image;
    image.name = name;
    image.tag = "latest";
    image.format = ImageFormat::Oci;
    std::string ids;
    for (const auto& tar : tars) {
        auto blob = store.putBlob(fixtures::gzipBytes(tar));
        REQUIRE(blob);
        LayerRecord layer{*blob, Hasher::hash(DigestAlgorithm::Sha256, tar),
                          "application/vnd.oci.image.layer.v1.tar+gzip", 0};
        image.layers.push_back(layer);
        ids += layer.diffId.str();
    }
    image.id = Hasher::hash(DigestAlgorithm::Sha256, ids).str();
    return image;
}

} // namespace berth::test
