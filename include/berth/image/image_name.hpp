#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>

namespace berth
{

// The name grammars of the formats berth imports. A name or tag read from an
// image is checked against its grammar before the index keeps it, so that
// what `berth image list` prints is what the format allows: no control
// character, no escape sequence, no invalid UTF-8.

// A `docker save` RepoTags entry: [HOST[:PORT]/]PATH[:TAG], with the
// reference grammar of the Docker registry (lowercase path components
// joined by '.', '_', '__' or dashes; a tag of word characters, '.' and
// '-', at most 128).
bool isValidDockerRepoTag(std::string_view text);

// An org.opencontainers.image.ref.name annotation (OCI image spec):
// components of letters and digits joined by one of -._:@+ or "--",
// separated by '/'.
bool isValidOciRefName(std::string_view text);

// A name and tag as the index keeps them, whatever their origin: plain
// text (no control characters, no spaces), at most 255 and 128 bytes. The
// error names `what` (and is escaped when printed, as every message is).
Result<void> checkStoredName(std::string_view name, std::string_view tag, std::string_view what);

} // namespace berth
