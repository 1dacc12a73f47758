#include "apply_layers.hpp"
#include "layer_plan.hpp"

#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <berth/render/container_root.hpp>
#include <berth/render/render.hpp>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>

namespace berth
{

namespace
{

std::string imageName(const ImageRecord& image)
{
    std::string name = image.name.empty() ? image.id : image.name;
    return image.tag.empty() ? name : name + ":" + image.tag;
}

// Builds next to `destination` and renames into place only when complete:
// a failure or a crash never leaves a partial tree under the final name.
Result<void> renderTo(Store& store, const ImageRecord& image, const std::string& destination,
                      const RenderOptions& options, bool dependencies)
{
    std::string dest = destination;
    while (dest.size() > 1 && dest.back() == '/')
        dest.pop_back();
    if (dest.empty()) return Error("empty destination");
    if (pathExists(dest)) return Error("'" + dest + "' already exists", EEXIST);
    BERTH_TRY(auto layers, planLayers(store, image, dependencies, dependencies));

    std::string tmp = dest + ".tmp-" + randomHex(6);
    if (::mkdir(tmp.c_str(), 0755) < 0) return Error::fromErrno("create '" + tmp + "'");
    auto applied = applyLayers(store, layers, tmp, LayerMode::Flatten, options);
    if (applied && ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) < 0)
        applied = Error::fromErrno("rename '" + tmp + "' to '" + dest + "'");
    if (!applied) {
        if (auto removed = removeTreeAsContainerRoot(options.idMap, tmp); !removed)
            logWarning("{}", removed.error().message());
        return applied;
    }
    return ok();
}

} // namespace

Result<void> renderImage(Store& store, const ImageRecord& image, const std::string& destination,
                         const RenderOptions& options)
{
    return renderTo(store, image, destination, options, true)
        .context("render image '" + imageName(image) + "'");
}

Result<void> extractImage(Store& store, const ImageRecord& image, const std::string& destination,
                          const RenderOptions& options)
{
    return renderTo(store, image, destination, options, false)
        .context("extract image '" + imageName(image) + "'");
}

} // namespace berth
