#include <berth/appc/pod_metadata_service.hpp>

namespace berth
{

Result<std::unique_ptr<PodMetadataService>> PodMetadataService::prepare(const AppcPod& pod,
                                                                        std::string uuid,
                                                                        uint16_t port,
                                                                        HmacKeyLookup otherPods)
{
    BERTH_TRY(PodHmacKey key, PodHmacKey::generate());
    std::string token = newMetadataToken();
    std::unique_ptr<PodMetadataService> service(new PodMetadataService);
    service->port_ = port;
    service->url_ = metadataUrl("127.0.0.1", port, token);
    service->handler_ = std::make_shared<const MetadataHandler>(
        podMetadataFor(pod, std::move(uuid)), std::move(key), std::move(token),
        std::move(otherPods));
    return service;
}

Result<void> PodMetadataService::serve(UniqueFd listener, MetadataServerLimits limits)
{
    if (server_) return Error("metadata service: already serving");
    BERTH_TRY(server_, MetadataServer::create(std::move(listener), handler_, limits));
    return ok();
}

Result<void> PodMetadataService::dispatch()
{
    if (!server_) return ok();
    return server_->dispatch();
}

Result<void> PodMetadataService::saveKey(const std::string& podDir) const
{
    return savePodHmacKey(podDir, key());
}

void PodMetadataService::stop()
{
    if (server_) server_->stop();
}

HmacKeyLookup savedPodKeys(std::string runDir)
{
    return [runDir = std::move(runDir)](const std::string& uuid) -> std::optional<PodHmacKey> {
        // Hex digits and dashes only: no '/' or ".." can leave runDir.
        if (uuid.empty() || uuid.size() > 64 ||
            uuid.find_first_not_of("0123456789abcdef-") != std::string::npos)
            return std::nullopt;
        auto key = loadPodHmacKey(runDir + "/" + uuid);
        if (!key) return std::nullopt;
        return std::move(key).value();
    };
}

} // namespace berth
