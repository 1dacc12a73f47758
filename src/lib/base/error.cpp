#include <berth/base/error.hpp>

#include <cerrno>
#include <cstring>

namespace berth {

Error::Error(std::string message, int errnum) : errnum_(errnum)
{
    chain_.push_back(std::move(message));
}

Error Error::fromErrno(std::string what, int errnum) { return Error(std::move(what), errnum); }

Error Error::fromErrno(std::string what) { return Error(std::move(what), errno); }

Error& Error::addContext(std::string outer) &
{
    chain_.insert(chain_.begin(), std::move(outer));
    return *this;
}

Error&& Error::addContext(std::string outer) &&
{
    chain_.insert(chain_.begin(), std::move(outer));
    return std::move(*this);
}

std::string Error::message() const
{
    std::string line;
    for (const auto& part : chain_) {
        if (part.empty())
            continue;
        if (!line.empty())
            line += ": ";
        line += part;
    }
    if (errnum_ != 0) {
        if (!line.empty())
            line += ": ";
        line += std::strerror(errnum_);
    }
    if (line.empty())
        line = "unknown error";
    return line;
}

} // namespace berth
