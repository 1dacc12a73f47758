#include <berth/fetch/fetch_options.hpp>

namespace berth
{

Result<PullPolicy> parsePullPolicy(const std::string& text)
{
    if (text == "never") return PullPolicy::Never;
    if (text == "new" || text == "missing") return PullPolicy::New;
    if (text == "update" || text == "always" || text == "newer") return PullPolicy::Update;
    return Error("--pull=" + text + ": expected never, new or update");
}

} // namespace berth
