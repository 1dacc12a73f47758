#pragma once

#include <berth/image/aci_manifest.hpp>
#include <string>

namespace berth
{

// Serializes a pod manifest in the appc spelling, as parseAciPodManifest
// and the appc reference (schema.PodManifest) read it back. Top-level
// "apps", "volumes", "isolators", "annotations" and "ports" are always
// lists, never null: the ACE validator compares /pod/annotations with the
// manifest's annotations, and Go tells an empty list from null.
std::string serializeAciPodManifest(const AciPodManifest& manifest);

} // namespace berth
