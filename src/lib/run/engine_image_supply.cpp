#include <berth/fetch/fetcher.hpp>
#include <berth/image/importer.hpp>
#include <berth/image/reference.hpp>
#include <berth/render/fetch_unpacking.hpp>
#include <berth/render/render.hpp>
#include <berth/run/image_supply.hpp>
#include <berth/trust/stored_image_trust.hpp>
#include <berth/trust/stored_image_verification.hpp>
#include <berth/trust/verified_import.hpp>

namespace berth
{

namespace
{

Result<ImageRecord> findImage(Store& store, const std::string& text, bool allowUnsigned,
                              const FetchOptions& fetch, const IdMap& map)
{
    BERTH_TRY(ImageReference reference, ImageReference::parse(text));
    if (reference.transport == ImageReference::Transport::Stored) {
        // No gpg here either: only a look at the key directories, so an
        // image whose key was removed with `berth trust rm` stops running.
        auto image = store.index().resolve(text);
        if (image) {
            BERTH_CHECK(checkStoredImageTrust(store, *image, KeyringPaths::defaults()));
            return image;
        }
        // A bare name the store lacks may be found by appc discovery.
        if (fetch.pull == PullPolicy::Never || !isRemoteReference(reference)) return image;
    }
    if (isRemoteReference(reference)) {
        FetchOptions options = fetch;
        options.allowUnsigned = allowUnsigned;
        // The run unpacks the layers next anyway; unpacked before the image
        // is recorded, their diff_ids need no decompression while they
        // download. Designated: a defaulted idMap would read /etc/subuid again.
        options.unpacking = unpackIntoTreeCache(store, RenderOptions{.idMap = map});
        return fetchRemoteImage(store, reference, options);
    }
    ImportOptions options;
    options.allowUnsigned = allowUnsigned;
    return importVerifiedImage(store, reference, options, TrustOptions{});
}

} // namespace

Result<ImageRecord> EngineImageSupply::find(Store& store, const std::string& text,
                                            bool allowUnsigned, const FetchOptions& fetch,
                                            const IdMap& map)
{
    BERTH_TRY(ImageRecord image, findImage(store, text, allowUnsigned, fetch, map));
    if (store.isSystem()) BERTH_CHECK(checkSystemStoreImage(store, image, allowUnsigned));
    return image;
}

Result<std::vector<std::string>>
EngineImageSupply::layerTrees(Store& store, const ImageRecord& image, const IdMap& map)
{
    // Designated: a defaulted idMap would read /etc/subuid again.
    RenderOptions render{.idMap = map};
    return prepareLayerTrees(store, image, render);
}

} // namespace berth
