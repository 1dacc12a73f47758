#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/run/capabilities.hpp>
#include <cctype>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace berth
{

namespace
{

// Index = capability number (linux/capability.h).
constexpr const char* kNames[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};
constexpr int kKnown = sizeof kNames / sizeof kNames[0];

int lastCapability()
{
    static int last = [] {
        auto text = readFile("/proc/sys/kernel/cap_last_cap");
        if (text) {
            int value = std::atoi(text->c_str());
            if (value > 0 && value < 64) return value;
        }
        return kKnown - 1;
    }();
    return last;
}

bool isAll(const std::string& name)
{
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    return upper == "ALL";
}

} // namespace

int lastCapabilityNumber()
{
    return lastCapability();
}

CapabilitySet defaultCapabilities()
{
    CapabilitySet set = 0;
    for (int cap :
         {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE,
          CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT})
        set |= CapabilitySet{1} << cap;
    return set;
}

CapabilitySet allCapabilities()
{
    int last = lastCapability();
    return last >= 63 ? ~CapabilitySet{0} : (CapabilitySet{1} << (last + 1)) - 1;
}

Result<int> parseCapability(const std::string& name)
{
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    if (upper.starts_with("CAP_")) upper.erase(0, 4);
    for (int i = 0; i < kKnown; ++i)
        if (upper == kNames[i]) return i;
    return Error("unknown capability '" + name + "' (see capabilities(7))");
}

std::string capabilityName(int number)
{
    if (number >= 0 && number < kKnown) return std::string("CAP_") + kNames[number];
    return "CAP_" + std::to_string(number);
}

Result<CapabilitySet> applyCapabilityChanges(CapabilitySet base,
                                             const std::vector<std::string>& add,
                                             const std::vector<std::string>& drop)
{
    CapabilitySet addSet = 0, dropSet = 0;
    bool addAll = false, dropAll = false;
    for (const auto& name : add) {
        if (isAll(name)) {
            addAll = true;
            continue;
        }
        BERTH_TRY(int cap, parseCapability(name).context("--cap-add"));
        addSet |= CapabilitySet{1} << cap;
    }
    for (const auto& name : drop) {
        if (isAll(name)) {
            dropAll = true;
            continue;
        }
        BERTH_TRY(int cap, parseCapability(name).context("--cap-drop"));
        dropSet |= CapabilitySet{1} << cap;
    }
    if (addAll) return allCapabilities() & ~dropSet;
    if (dropAll) return addSet & allCapabilities();
    return ((base | addSet) & ~dropSet) & allCapabilities();
}

int dropBoundingSet(CapabilitySet set, int lastCap)
{
    for (int cap = 0; cap <= lastCap; ++cap)
        if (!(set & (CapabilitySet{1} << cap)) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return -1;
    return 0;
}

int setProcessCapabilities(CapabilitySet set)
{
    // Ambient capabilities would survive execve of unprivileged binaries.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return -1;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    data[0].effective = data[0].permitted = static_cast<uint32_t>(set);
    data[1].effective = data[1].permitted = static_cast<uint32_t>(set >> 32);
    return static_cast<int>(::syscall(SYS_capset, &header, data));
}

} // namespace berth
