#pragma once

#include <berth/base/result.hpp>
#include <berth/fetch/fetch_options.hpp>
#include <berth/image/image_record.hpp>
#include <berth/stage/id_map.hpp>
#include <berth/store/store.hpp>
#include <string>
#include <vector>

namespace berth
{

// Where `berth run` gets its images and their layer trees. The engine
// fetches, verifies and renders whatever is missing. The warm path (the
// small `berth` front, which links none of libcurl, gpgme or libarchive)
// takes only images already stored with every tree rendered, and otherwise
// reports that the engine is needed, before anything has been changed.
class ImageSupply
{
public:
    virtual ~ImageSupply() = default;

    // IMAGE as typed: stored, fetched or imported, and trusted. A fetch
    // may unpack the layers for `map` (the pod's) on the way.
    virtual Result<ImageRecord> find(Store& store, const std::string& text, bool allowUnsigned,
                                     const FetchOptions& fetch, const IdMap& map) = 0;
    // The image's layer trees in overlay lowerdir order, topmost first.
    virtual Result<std::vector<std::string>> layerTrees(Store& store, const ImageRecord& image,
                                                        const IdMap& map) = 0;
    // After a failed call: whether the engine could have done it.
    virtual bool needsEngine() const { return false; }
};

// Fetch, import, verify and render as needed.
class EngineImageSupply final : public ImageSupply
{
public:
    Result<ImageRecord> find(Store& store, const std::string& text, bool allowUnsigned,
                             const FetchOptions& fetch, const IdMap& map) override;
    Result<std::vector<std::string>> layerTrees(Store& store, const ImageRecord& image,
                                                const IdMap& map) override;
};

// Only what is ready. When something is not, the call fails and
// needsEngine() says the run must be handed to the engine.
class WarmImageSupply final : public ImageSupply
{
public:
    Result<ImageRecord> find(Store& store, const std::string& text, bool allowUnsigned,
                             const FetchOptions& fetch, const IdMap& map) override;
    Result<std::vector<std::string>> layerTrees(Store& store, const ImageRecord& image,
                                                const IdMap& map) override;

    bool needsEngine() const override { return needsEngine_; }

private:
    Error handOver(const std::string& why);

    bool needsEngine_ = false;
};

} // namespace berth
