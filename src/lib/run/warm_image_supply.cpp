#include <berth/image/reference.hpp>
#include <berth/render/render.hpp>
#include <berth/run/image_supply.hpp>
#include <berth/trust/stored_image_trust.hpp>

namespace berth
{

Error WarmImageSupply::handOver(const std::string& why)
{
    needsEngine_ = true;
    return Error(why + ": the engine is needed");
}

Result<ImageRecord> WarmImageSupply::find(Store& store, const std::string& text, bool allowUnsigned,
                                          const FetchOptions& /*fetch*/, const IdMap& /*map*/)
{
    auto reference = ImageReference::parse(text);
    if (!reference || reference->transport != ImageReference::Transport::Stored)
        return handOver("'" + text + "' is not a stored image");
    auto image = store.index().resolve(text);
    if (!image) return handOver("'" + text + "' is not in the store");
    // The same check, and so the same refusal, as the engine's.
    BERTH_CHECK(checkStoredImageTrust(store, *image, KeyringPaths::defaults()));
    // Another member's record of a verification is checked again with gpg
    // (checkSystemStoreImage), which only the engine has.
    if (store.isSystem() && !allowUnsigned)
        return handOver("an image in the system store is verified again");
    return image;
}

Result<std::vector<std::string>> WarmImageSupply::layerTrees(Store& store, const ImageRecord& image,
                                                             const IdMap& map)
{
    auto trees = findLayerTrees(store, image, map.kind);
    if (!trees) return handOver(trees.error().message());
    if (!*trees) return handOver("a layer of " + image.id + " is not rendered yet");
    return std::move(**trees);
}

} // namespace berth
