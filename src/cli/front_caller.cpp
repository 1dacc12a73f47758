#include "front_caller.hpp"

#include "config.h"

#include <berth/stage/id_map.hpp>
#include <berth/stage/subordinate_ranges.hpp>
#include <berth/store/system_store.hpp>
#include <grp.h>
#include <nss.h>
#include <unistd.h>

namespace berth::cli
{

void limitUserLookupsToFiles()
{
#if BERTH_STATIC_FRONT
    ::__nss_configure_lookup("passwd", "files");
    ::__nss_configure_lookup("group", "files");
#endif
}

std::string engineNeededForCaller()
{
#if BERTH_STATIC_FRONT
    // The user's name finds their subordinate ranges; without it the run
    // would fall back to a single-id map that the engine would not choose.
    uid_t uid = ::getuid();
    if (!callerUserName())
        return "uid " + std::to_string(uid) +
               " is not in /etc/passwd, and this front asks no other "
               "user database";
    std::string service = subidService();
    if (!service.empty() && service != "files")
        return "subordinate ids come from the '" + service +
               "' service, which this front does not load";
    // Root's runs use the system store, and opening it repairs the store's
    // group: a group this front cannot see must not be taken for none.
    if (::geteuid() == 0 && !::getgrnam(kStoreGroup))
        return std::string("group '") + kStoreGroup +
               "' is not in /etc/group, and this front asks no other group database";
#endif
    return {};
}

} // namespace berth::cli
