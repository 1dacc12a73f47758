#include "rootfs_scaffold.hpp"

#include <berth/base/file.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace berth;

namespace
{

// Two layers: the top one has /sys as a symlink; the bottom one has /etc
// (mode 0750) and /proc (mode 0555). Neither has /dev.
struct ScaffoldFixture {
    std::string root;
    PodPlan plan;
    AppPlan appPlan;
    PreparedPod pod;
    PreparedApp app;

    ScaffoldFixture()
    {
        char tmpl[] = "/tmp/berth-scaffold-test-XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        root = tmpl;
        for (const char* dir : {"/top", "/bottom", "/bottom/etc", "/bottom/proc", "/pod"})
            REQUIRE(::mkdir((root + dir).c_str(), 0755) == 0);
        REQUIRE(::chmod((root + "/bottom/etc").c_str(), 0750) == 0);
        REQUIRE(::chmod((root + "/bottom/proc").c_str(), 0555) == 0);
        REQUIRE(::symlink("/elsewhere", (root + "/top/sys").c_str()) == 0);
        plan.etcFiles = {{"hosts", "127.0.0.1\tlocalhost\n"}, {"hostname", "box\n"}};
        appPlan.rootfs.lowerDirs = {root + "/top", root + "/bottom"};
        pod.plan = &plan;
        app.plan = &appPlan;
        app.scaffoldDir = root + "/pod/scaffold-0";
    }
    ~ScaffoldFixture() { std::filesystem::remove_all(root); }

    mode_t modeOf(const std::string& relative) const
    {
        struct stat st;
        if (::lstat((app.scaffoldDir + "/" + relative).c_str(), &st) < 0) return 0;
        return st.st_mode;
    }
};

} // namespace

TEST_CASE("the scaffold has the mount points the image lacks, and its directories' modes")
{
    ScaffoldFixture f;
    REQUIRE_FALSE(buildRootfsScaffold(f.pod, f.app));
    CHECK(f.modeOf("dev") == (S_IFDIR | 0755));  // absent from the image
    CHECK(f.modeOf("proc") == (S_IFDIR | 0555)); // the image's own mode
    CHECK(f.modeOf("etc") == (S_IFDIR | 0750));
    CHECK(f.modeOf("sys") == 0); // a symlink in the image: left to the image
    auto hosts = readFile(f.app.scaffoldDir + "/etc/hosts", 4096);
    REQUIRE(hosts);
    CHECK(*hosts == "127.0.0.1\tlocalhost\n");
    CHECK(f.modeOf("etc/resolv.conf") == 0); // not in this plan

    REQUIRE_FALSE(dropRootfsScaffold(f.pod, f.app));
    CHECK(f.modeOf("") == 0);
}

TEST_CASE("a read-only root's scaffold has empty /etc files, for binds to cover")
{
    ScaffoldFixture f;
    f.appPlan.rootfs.readOnly = true;
    REQUIRE_FALSE(buildRootfsScaffold(f.pod, f.app));
    auto hostname = readFile(f.app.scaffoldDir + "/etc/hostname", 4096);
    REQUIRE(hostname);
    CHECK(hostname->empty());
}
