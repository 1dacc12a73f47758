#pragma once

#include <berth/base/result.hpp>
#include <berth/run/plan.hpp>
#include <string>
#include <vector>

namespace berth
{

// Cleans an absolute container path: collapses "//" and ".", strips a
// trailing "/", refuses "..". "/a//b/" → "/a/b".
Result<std::string> cleanContainerPath(const std::string& path);

// -v SRC:DST[:OPTIONS] (ro, rw; SELinux z/Z accepted and ignored). SRC must
// be an absolute host path; named volumes do not exist in berth.
Result<MountOp> parseBindVolume(const std::string& spec);

// --tmpfs DST[:OPTIONS] (tmpfs options such as size=, mode=, plus ro, noexec,
// nosuid, nodev, exec, …).
Result<MountOp> parseTmpfsVolume(const std::string& spec);

// Refuses two mounts on one destination (the user would silently lose one).
Result<void> checkDuplicateDestinations(const std::vector<MountOp>& mounts);

} // namespace berth
