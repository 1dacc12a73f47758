#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

// A trust prefix is an image name or a leading run of its '/'-separated
// components: "example.com", "example.com/app", "registry:5000/team/app".
// Keys trusted for a prefix apply to every image whose name is that prefix or
// lies below it, component by component ("example.com/app" does not cover
// "example.com/application").

// Checks that `prefix` is a usable name: non-empty, at most 200 bytes,
// printable ASCII without spaces, no leading, trailing or doubled '/', no "."
// or ".." component, and not a URL.
Result<void> validatePrefix(std::string_view prefix);

// The prefix as one directory name under prefix.d/. Bytes in [A-Za-z0-9._-]
// stay as they are, except a leading '.'; every other byte (including '/' and
// '%') becomes "%XX" with uppercase hex. So "example.com/app" is stored as
// "example.com%2Fapp". The mapping is injective (unescaping gives back the
// prefix), the result never contains '/' and never is "." or "..", and it
// stays readable in `ls`. rkt nested prefix directories instead; one escaped
// component per prefix keeps key files and prefix directories from ever being
// confused. The prefix must be valid.
std::string escapePrefix(std::string_view prefix);

// The inverse of escapePrefix. Only the canonical form is accepted (uppercase
// hex, nothing escaped that need not be), so each prefix has exactly one
// directory name; anything else is an error and the directory is ignored.
Result<std::string> unescapePrefix(std::string_view name);

// The prefixes that cover `name`, longest first:
// "example.com/a/b" -> {"example.com/a/b", "example.com/a", "example.com"}.
// Root keys are not part of the chain; callers add them.
std::vector<std::string> prefixChain(std::string_view name);

// True when `prefix` covers `name` (equal, or a leading run of components).
bool prefixCovers(std::string_view prefix, std::string_view name);

} // namespace berth
