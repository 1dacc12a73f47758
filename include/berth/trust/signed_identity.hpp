#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>

namespace berth
{

// A docker reference in the fully qualified form signatures compare by:
// "busybox" and "docker.io/busybox" both become
// "docker.io/library/busybox:latest". Signatures made by skopeo and podman
// carry this form; berth's own names already name their registry.
struct SignedIdentity {
    std::string repository; // "docker.io/library/busybox", "127.0.0.1:5000/team/app"
    std::string tag;        // empty when a digest is given and no tag
    std::string digest;     // "sha256:…", or empty

    // "repository:tag", "repository@digest" or "repository:tag@digest".
    std::string str() const;
};

// Parses HOST[:PORT]/PATH[:TAG][@DIGEST] (a registry may be left out, as
// docker allows; a transport prefix "docker://" is dropped). A reference
// with neither tag nor digest gets "latest". The registry is lowercased;
// repository paths must be lowercase, as the distribution spec requires.
Result<SignedIdentity> parseSignedIdentity(std::string_view text);

// containers-policy.json(5)'s default rule, matchRepoDigestOrExact: an image
// pulled by digest accepts a signature naming the same repository (the
// digest itself is checked against the payload's manifest digest); an image
// pulled by tag accepts only a signature naming exactly that repository and
// tag, so a signature cannot move a tag from one image to another.
bool signedIdentityMatches(const SignedIdentity& signedIdentity, const SignedIdentity& image);

} // namespace berth
