#pragma once

#include <berth/base/result.hpp>
#include <string>

namespace berth
{

// "/a//b/./c/" → "/a/b/c"; refuses relative paths and "..", which could
// reach outside the app's root once joined to it. (Internal to appc.)
Result<std::string> cleanMountPath(const std::string& path);

} // namespace berth
