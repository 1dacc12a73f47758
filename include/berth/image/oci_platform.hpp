#pragma once

#include <berth/base/result.hpp>
#include <berth/image/oci_descriptor.hpp>
#include <berth/image/oci_index.hpp>
#include <string>
#include <string_view>

namespace berth
{

// The host's platform in OCI spelling: linux, amd64/arm64/arm/386/…, and the
// variant where one matters (arm: v6/v7; arm64: v8).
OciPlatform hostPlatform();

// "linux/arm64/v8", or the host platform with os/arch replaced when given.
OciPlatform platformFor(const std::string& os, const std::string& architecture);

// Does a descriptor's platform satisfy `wanted`? An empty variant on either
// side matches; arm64's implied variant is v8.
bool platformMatches(const OciPlatform& candidate, const OciPlatform& wanted);

std::string platformString(const OciPlatform& platform);

// Chooses the manifest for `wanted` among an index's entries. Entries that
// are not manifests or indexes (attestations, "unknown/unknown") are skipped.
// A single entry with no platform is taken as it is.
Result<OciDescriptor> selectPlatformManifest(const std::vector<OciDescriptor>& entries,
                                             const OciPlatform& wanted, std::string_view what);

} // namespace berth
