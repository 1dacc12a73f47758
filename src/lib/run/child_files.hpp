#pragma once

#include <climits>
#include <string_view>

namespace berth
{

// File steps of the pod's init between clone and execve: system calls and
// fixed buffers only, no allocation (async-signal-safe).

// `out` = `dir` + "/" + `name`; false when that does not fit.
bool joinPath(char (&out)[PATH_MAX], std::string_view dir, std::string_view name);

// Creates `path`, which must not exist, holding `content`. False, with
// errno set, when that fails.
bool writeNewFile(const char* path, std::string_view content);

} // namespace berth
