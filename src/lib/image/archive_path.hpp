#pragma once

#include <berth/base/result.hpp>
#include <string>
#include <string_view>

namespace berth
{

// "./rootfs//usr/" → "rootfs/usr"; "." → "". Refuses what could leave the
// image: absolute paths and ".." components. Used for the tar entries ACIs
// are read from and written to, so an ACI we write passes the same checks as
// one we import (the renderer still resolves every path under its root; this
// is the first of two fences).
Result<std::string> cleanArchivePath(std::string_view raw);

} // namespace berth
