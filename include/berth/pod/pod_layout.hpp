#pragma once

#include <string>

namespace berth
{

// Where a pod keeps its files, below STORE/pods/STATE/UUID:
//   pod.json            what was run (image, name, apps), for `berth list`
//   exit-status         the pod's exit status, written when it exits
//   etc/                generated hosts, hostname, resolv.conf
//   root/               mount point of the pod's private root (a tmpfs)
//   apps/N/upper, work  overlay upper and work dirs of app N
//   volumes/NAME        appc kind=empty volumes
struct PodLayout {
    std::string dir;

    std::string file(const std::string& name) const { return dir + "/" + name; }
    // Where the pod's root tmpfs is mounted (in the pod's own mount
    // namespace only; on disk an empty directory).
    std::string rootDir() const { return dir + "/root"; }
    // A generated /etc file, in the pod's root tmpfs (see PodPlan::etcFiles).
    std::string etcFile(const std::string& name) const { return rootDir() + "/etc/" + name; }
    // Each app's overlay directories, directly in the pod directory: every
    // directory a run makes on disk it also removes, and on some file
    // systems both cost (see rootfs_scaffold.hpp).
    std::string upperDir(size_t index) const { return dir + "/upper-" + std::to_string(index); }
    std::string workDir(size_t index) const { return dir + "/work-" + std::to_string(index); }
    std::string volumeDir(const std::string& name) const { return dir + "/volumes/" + name; }
};

} // namespace berth
