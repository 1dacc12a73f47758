#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <string>

namespace berth
{

// Opens for reading a file a user named (an image, an archive, a signature,
// a manifest, a key) and refuses it unless it is a regular file: a FIFO
// would hang berth on open or read, a device would feed it without end. The
// open itself is O_NONBLOCK so that a FIFO with no writer cannot block it;
// the flag is cleared again on the regular file returned. readFile and
// readFileAt (file.hpp) open through it.
Result<UniqueFd> openRegularFile(const std::string& path);
Result<UniqueFd> openRegularFileAt(int dirFd, const std::string& path);

// What kind of file st_mode says, for messages ("a FIFO", "a directory").
const char* fileKindName(unsigned mode);

} // namespace berth
