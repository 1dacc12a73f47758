#pragma once

#include <string_view>

namespace berth
{

// OCI media types, and the Docker schema2 ones accepted as their equivalents.
namespace oci_media
{
inline constexpr std::string_view Index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view Manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view Config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view Layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view LayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view LayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view DockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view DockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view DockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view DockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
} // namespace oci_media

enum class LayerCompression { None, Gzip, Zstd };

bool isIndexMediaType(std::string_view mediaType);
bool isManifestMediaType(std::string_view mediaType);
bool isConfigMediaType(std::string_view mediaType);
// Layer types we can apply, including the non-distributable and Docker
// "foreign" variants (their bytes are ordinary layers).
bool isLayerMediaType(std::string_view mediaType);
// The compression a layer's media type announces. Unpacking goes by the
// stream's magic bytes, which cannot lie; this is for what we write.
LayerCompression layerCompression(std::string_view mediaType);

} // namespace berth
