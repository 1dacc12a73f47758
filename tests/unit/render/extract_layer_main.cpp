// render-extract-layer BLOB DEST [DIGEST [DIFFID]]
//
// Applies one layer blob to a new directory DEST with the render engine
// (decompression, both digests, safe extraction, ownership through the
// current user's id map), for bench/unpack.sh to time the core without the
// CLI. Prints the error line and exits 125 on failure.

#include <berth/base/file.hpp>
#include <berth/render/container_root.hpp>
#include <berth/render/layer_extractor.hpp>
#include <berth/stage/id_map.hpp>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>

using namespace berth;

int main(int argc, char** argv)
{
    if (argc < 3 || argc > 5) {
        std::fprintf(stderr, "usage: render-extract-layer BLOB DEST [DIGEST [DIFFID]]\n");
        return 2;
    }
    std::string blob = argv[1], dest = argv[2];
    LayerSource source;
    source.label = "layer '" + blob + "'";
    if (argc > 3) {
        auto digest = Digest::parse(argv[3]);
        if (!digest) {
            std::fprintf(stderr, "%s\n", digest.error().message().c_str());
            return 2;
        }
        source.expect.blob = *digest;
    }
    if (argc > 4) {
        auto diffId = Digest::parse(argv[4]);
        if (!diffId) {
            std::fprintf(stderr, "%s\n", diffId.error().message().c_str());
            return 2;
        }
        source.expect.diffId = *diffId;
    }
    IdMap map = IdMap::forCurrentUser();
    ExtractOptions options;
    options.ownership = map.kind == IdMap::Kind::Single ? Ownership::Squash : Ownership::Keep;
    options.limits = ExtractLimits::fromEnvironment();
    if (::mkdir(dest.c_str(), 0755) < 0) {
        std::perror(dest.c_str());
        return 125;
    }
    auto blobFd = openPath(blob, O_RDONLY);
    auto rootFd = openDirectory(dest);
    if (!blobFd || !rootFd) {
        std::fprintf(stderr, "cannot open %s or %s\n", blob.c_str(), dest.c_str());
        return 125;
    }
    int root = rootFd->get();
    auto result = runAsContainerRoot(map, [&]() -> Result<void> {
        BERTH_CHECK(extractLayer(root, std::move(blobFd).value(), source, options));
        return ok();
    });
    if (!result) {
        std::fprintf(stderr, "render-extract-layer: %s\n", result.error().message().c_str());
        (void)removeTreeAsContainerRoot(map, dest);
        return 125;
    }
    return 0;
}
