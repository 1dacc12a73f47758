#include <berth/base/unique_fd.hpp>
#include <berth/stage/landlock.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// Our own copies of the UAPI: the build host's headers (Debian 12: Linux 6.1)
// predate the ABIs a newer kernel offers, and the raw syscalls take sizes, so
// a struct larger than the kernel knows is simply passed shorter.
namespace
{

constexpr long kCreateRuleset = 444;
constexpr long kAddRule = 445;
constexpr long kRestrictSelf = 446;
constexpr uint32_t kCreateRulesetVersion = 1U << 0;
constexpr int kRulePathBeneath = 1;

enum : uint64_t {
    kExecute = 1ULL << 0,
    kWriteFile = 1ULL << 1,
    kReadFile = 1ULL << 2,
    kReadDir = 1ULL << 3,
    kRemoveDir = 1ULL << 4,
    kRemoveFile = 1ULL << 5,
    kMakeChar = 1ULL << 6,
    kMakeDir = 1ULL << 7,
    kMakeReg = 1ULL << 8,
    kMakeSock = 1ULL << 9,
    kMakeFifo = 1ULL << 10,
    kMakeBlock = 1ULL << 11,
    kMakeSym = 1ULL << 12,
    kRefer = 1ULL << 13,    // ABI 2
    kTruncate = 1ULL << 14, // ABI 3
    kIoctlDev = 1ULL << 15, // ABI 5
};
constexpr uint64_t kNetBindTcp = 1ULL << 0;        // ABI 4
constexpr uint64_t kNetConnectTcp = 1ULL << 1;     // ABI 4
constexpr uint64_t kScopeAbstractUnix = 1ULL << 0; // ABI 6
constexpr uint64_t kScopeSignal = 1ULL << 1;       // ABI 6

struct RulesetAttr {
    uint64_t handledAccessFs;
    uint64_t handledAccessNet;
    uint64_t scoped;
};

struct __attribute__((packed)) PathBeneathAttr {
    uint64_t allowedAccess;
    int32_t parentFd;
};

// Rights that make sense on a file that is not a directory; the kernel
// rejects a rule on a file that names any other.
constexpr uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;

uint64_t handledFs(int abi)
{
    uint64_t rights = (1ULL << 13) - 1; // ABI 1: execute … make_sym
    if (abi >= 2) rights |= kRefer;
    if (abi >= 3) rights |= kTruncate;
    if (abi >= 5) rights |= kIoctlDev;
    return rights;
}

size_t rulesetSize(int abi)
{
    if (abi >= 6) return sizeof(RulesetAttr);
    if (abi >= 4) return offsetof(RulesetAttr, scoped);
    return offsetof(RulesetAttr, handledAccessNet);
}

} // namespace

namespace berth
{

int landlockAbi(std::string* whyNot)
{
    long abi = ::syscall(kCreateRuleset, nullptr, 0, kCreateRulesetVersion);
    if (abi > 0) return static_cast<int>(abi);
    if (whyNot) {
        if (errno == ENOSYS)
            *whyNot = "the kernel has no Landlock (Linux >= 5.13 built with CONFIG_SECURITY_"
                      "LANDLOCK)";
        else if (errno == EOPNOTSUPP)
            *whyNot = "Landlock is built in but not enabled (add 'landlock' to the lsm= kernel "
                      "parameter)";
        else
            *whyNot = std::string("Landlock probe failed: ") + std::strerror(errno);
    }
    return 0;
}

Result<void> applyLandlock(const LandlockRules& rules, int abi)
{
    if (abi <= 0) return Error("Landlock is not available");
    uint64_t fs = handledFs(abi);
    RulesetAttr attr{};
    attr.handledAccessFs = fs;
    // Handled and never granted (no port rule is added): every TCP bind and
    // connect is denied.
    if (abi >= 4 && rules.denyTcp) attr.handledAccessNet = kNetBindTcp | kNetConnectTcp;
    if (abi >= 6 && rules.scope) attr.scoped = kScopeAbstractUnix | kScopeSignal;
    long rulesetFd = ::syscall(kCreateRuleset, &attr, rulesetSize(abi), 0U);
    if (rulesetFd < 0) return Error::fromErrno("create Landlock ruleset");
    UniqueFd ruleset(static_cast<int>(rulesetFd));

    auto add = [&](const std::string& path, uint64_t rights) -> Result<void> {
        int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT || errno == ENOTDIR || errno == EACCES) return ok();
            return Error::fromErrno("open '" + path + "' for a Landlock rule");
        }
        UniqueFd owned(fd);
        struct stat st;
        if (::fstat(fd, &st) < 0) return Error::fromErrno("stat '" + path + "'");
        if (!S_ISDIR(st.st_mode)) rights &= kFileRights;
        PathBeneathAttr rule{rights & fs, fd};
        if (rule.allowedAccess == 0) return ok();
        if (::syscall(kAddRule, ruleset.get(), kRulePathBeneath, &rule, 0U) < 0)
            return Error::fromErrno("add Landlock rule for '" + path + "'");
        return ok();
    };
    const uint64_t read = kReadFile | kReadDir;
    for (const auto& p : rules.read)
        BERTH_CHECK(add(p, read));
    for (const auto& p : rules.execute)
        BERTH_CHECK(add(p, read | kExecute));
    for (const auto& p : rules.write)
        BERTH_CHECK(add(p, fs));
    for (const auto& p : rules.devices)
        BERTH_CHECK(add(p, kReadFile | kWriteFile | kIoctlDev));

    if (::syscall(kRestrictSelf, ruleset.get(), 0U) < 0)
        return Error::fromErrno("apply Landlock ruleset");
    return ok();
}

} // namespace berth
