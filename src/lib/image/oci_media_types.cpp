#include <berth/image/oci_media_types.hpp>

namespace berth
{

bool isIndexMediaType(std::string_view mediaType)
{
    return mediaType == oci_media::Index || mediaType == oci_media::DockerManifestList;
}

bool isManifestMediaType(std::string_view mediaType)
{
    return mediaType == oci_media::Manifest || mediaType == oci_media::DockerManifest;
}

bool isConfigMediaType(std::string_view mediaType)
{
    return mediaType == oci_media::Config || mediaType == oci_media::DockerConfig;
}

bool isLayerMediaType(std::string_view mediaType)
{
    static constexpr std::string_view known[] = {
        oci_media::Layer,
        oci_media::LayerGzip,
        oci_media::LayerZstd,
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        oci_media::DockerLayerGzip,
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    };
    for (auto k : known)
        if (mediaType == k) return true;
    return false;
}

LayerCompression layerCompression(std::string_view mediaType)
{
    if (mediaType.ends_with("+gzip") || mediaType.ends_with(".tar.gzip"))
        return LayerCompression::Gzip;
    if (mediaType.ends_with("+zstd")) return LayerCompression::Zstd;
    return LayerCompression::None;
}

} // namespace berth
