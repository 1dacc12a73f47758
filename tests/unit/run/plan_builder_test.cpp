#include <algorithm>
#include <berth/run/plan_builder.hpp>
#include <doctest/doctest.h>
#include <map>
#include <sched.h>

using namespace berth;

namespace
{

PlanContext context()
{
    PlanContext c;
    c.uuid = "0123abcd-4567-4890-a123-456789abcdef";
    c.podDir = "/store/pods/run/0123abcd-4567-4890-a123-456789abcdef";
    c.idMap.kind = IdMap::Kind::Subordinate;
    c.idMap.uids = {{0, 1000, 1}, {1, 100000, 65536}};
    c.idMap.gids = {{0, 1000, 1}, {1, 100000, 65536}};
    c.lookup = [](const std::string& key) -> std::optional<std::string> {
        if (key == "CALLER") return std::string("from caller");
        return std::nullopt;
    };
    return c;
}

ResolvedApp image()
{
    ResolvedApp app;
    app.spec.name = "busybox";
    app.spec.entrypoint = {};
    app.spec.cmd = {"sh"};
    app.spec.env = {{"PATH", "/bin"}, {"IMAGE", "image"}, {"OVERRIDE", "image"}};
    app.lowerDirs = {"/store/trees/a"};
    app.passwdText = "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/sh\n";
    app.groupText = "root:x:0:\n";
    return app;
}

RunOptions options(std::vector<std::string> command = {})
{
    RunOptions o;
    AppOptions a;
    a.image = "busybox";
    a.command = std::move(command);
    o.apps.push_back(a);
    return o;
}

std::string envValue(const AppPlan& app, const std::string& key)
{
    for (const auto& e : app.env)
        if (e.starts_with(key + "=")) return e.substr(key.size() + 1);
    return "<unset>";
}

bool hasMount(const AppPlan& app, const std::string& destination)
{
    return std::any_of(app.mounts.begin(), app.mounts.end(),
                       [&](const MountOp& m) { return m.destination == destination; });
}

} // namespace

TEST_CASE("environment precedence: image, then env files, then -e; berth's defaults last")
{
    RunOptions o = options();
    o.apps[0].envFiles = {"file"};
    o.apps[0].env = {"OVERRIDE=cli", "CALLER", "SPACES=a b  c"};
    ResolvedApp app = image();
    app.envFileTexts = {"OVERRIDE=file\nFILE=file\n"};
    auto plan = buildPodPlan(o, {app}, context());
    REQUIRE(plan);
    const AppPlan& a = plan->apps[0];
    CHECK(envValue(a, "IMAGE") == "image");
    CHECK(envValue(a, "FILE") == "file");
    CHECK(envValue(a, "OVERRIDE") == "cli");
    CHECK(envValue(a, "CALLER") == "from caller");
    CHECK(envValue(a, "SPACES") == "a b  c");
    CHECK(envValue(a, "container") == "berth");
    CHECK(envValue(a, "PATH") == "/bin");
    CHECK(envValue(a, "HOME") == "/root");
    CHECK(envValue(a, "TERM") == "<unset>");
}

TEST_CASE("PATH gets a default, HOME follows the user, TERM comes with -t")
{
    RunOptions o = options();
    o.tty = true;
    o.apps[0].user = "www";
    ResolvedApp app = image();
    app.spec.env.clear();
    auto plan = buildPodPlan(o, {app}, context());
    REQUIRE(plan);
    CHECK(envValue(plan->apps[0], "PATH") == kDefaultPath);
    CHECK(envValue(plan->apps[0], "HOME") == "/var/www");
    CHECK(envValue(plan->apps[0], "TERM") == "xterm");
    CHECK(plan->apps[0].uid == 33);
}

TEST_CASE("-u and the image's user are refused, naming the id, unless mapped and valid")
{
    for (const char* user : {"4294967295", "0:4294967295", "70000"}) {
        RunOptions o = options();
        o.apps[0].user = user;
        auto plan = buildPodPlan(o, {image()}, context());
        REQUIRE_FALSE(plan);
        std::string id = std::string(user).substr(std::string(user).find(':') + 1);
        CHECK(plan.error().message().starts_with("app 'busybox': "));
        CHECK(plan.error().message().find(" " + id + " ") != std::string::npos);
    }
    // The image's own User (OCI config, ACI user and group) is checked alike.
    ResolvedApp app = image();
    app.spec.user = "4294967295";
    CHECK_FALSE(buildPodPlan(options(), {app}, context()));
    app.spec.user = "33";
    app.spec.group = "4294967295";
    CHECK_FALSE(buildPodPlan(options(), {app}, context()));
    app.spec.group = "33";
    app.spec.supplementaryGids = {4294967295u};
    CHECK_FALSE(buildPodPlan(options(), {app}, context()));
    app.spec.supplementaryGids = {50};
    auto plan = buildPodPlan(options(), {app}, context());
    REQUIRE(plan);
    CHECK(plan->apps[0].uid == 33);
}

TEST_CASE("the command replaces Cmd and keeps the entrypoint")
{
    ResolvedApp app = image();
    app.spec.entrypoint = {"/entry"};
    auto plan = buildPodPlan(options({"echo", "hi"}), {app}, context());
    REQUIRE(plan);
    CHECK(plan->apps[0].argv == std::vector<std::string>{"/entry", "echo", "hi"});
    auto defaults = buildPodPlan(options(), {app}, context());
    CHECK(defaults->apps[0].argv == std::vector<std::string>{"/entry", "sh"});
}

TEST_CASE("an ACI's exec is replaced by the command, and AC_APP_NAME is set")
{
    ResolvedApp app = image();
    app.format = ImageFormat::Aci;
    app.spec.entrypoint = {"/bin/httpd"};
    app.spec.cmd.clear();
    auto plan = buildPodPlan(options({"/bin/true"}), {app}, context());
    REQUIRE(plan);
    CHECK(plan->apps[0].argv == std::vector<std::string>{"/bin/true"});
    CHECK(envValue(plan->apps[0], "AC_APP_NAME") == "busybox");
}

TEST_CASE("no command at all is an error")
{
    ResolvedApp app = image();
    app.spec.cmd.clear();
    CHECK(!buildPodPlan(options(), {app}, context()));
}

TEST_CASE("mounts: base set, masks, /proc/sys read-only, user volumes; --privileged lifts masks")
{
    RunOptions o = options();
    o.volumes = {"/srv:/data:ro"};
    auto plan = buildPodPlan(o, {image()}, context());
    REQUIRE(plan);
    const AppPlan& a = plan->apps[0];
    for (const char* path : {"/proc", "/dev", "/dev/null", "/dev/pts", "/dev/shm", "/sys",
                             "/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/proc/kcore",
                             "/sys/firmware", "/proc/sys", "/data"})
        CHECK_MESSAGE(hasMount(a, path), path);
    CHECK(a.noNewPrivileges);
    CHECK(a.seccomp);

    o.privileged = true;
    auto privileged = buildPodPlan(o, {image()}, context());
    REQUIRE(privileged);
    CHECK(!hasMount(privileged->apps[0], "/proc/kcore"));
    CHECK(!privileged->apps[0].seccomp);
}

TEST_CASE("--read-only adds tmpfs on /tmp, /var/tmp, /run unless told not to")
{
    RunOptions o = options();
    o.readOnly = true;
    auto plan = buildPodPlan(o, {image()}, context());
    REQUIRE(plan);
    CHECK(plan->apps[0].rootfs.readOnly);
    CHECK(hasMount(plan->apps[0], "/tmp"));
    CHECK(hasMount(plan->apps[0], "/var/tmp"));
    CHECK(hasMount(plan->apps[0], "/run"));
    o.readOnlyTmpfs = false;
    auto bare = buildPodPlan(o, {image()}, context());
    CHECK(!hasMount(bare->apps[0], "/tmp"));
}

TEST_CASE("a duplicate volume destination fails the plan")
{
    RunOptions o = options();
    o.volumes = {"/a:/data"};
    o.tmpfs = {"/data"};
    auto plan = buildPodPlan(o, {image()}, context());
    REQUIRE(!plan);
    CHECK(plan.error().message().find("duplicate mount destination '/data'") != std::string::npos);
}

TEST_CASE("an appc app takes its name, env, handlers and volumes from the pod's plan")
{
    RunOptions o = options();
    o.apps[0].env = {"AC_APP_NAME=mine"};
    ResolvedApp app = image();
    app.format = ImageFormat::Aci;
    app.spec.entrypoint = {"/bin/web"}; // an ACI's exec
    AppcAppPlan appc;
    appc.name = "web";
    appc.appcEnv = {{"AC_APP_NAME", "web"}, {"AC_METADATA_URL", "http://127.0.0.1:1/t"}};
    appc.preStart = {{"/bin/setup"}};
    appc.postStop = {{"/bin/cleanup", "now"}};
    appc.readOnlyRootFs = true;
    AppcMount host;
    host.volume = "data";
    host.path = "/var/data";
    host.source = "/srv";
    host.readOnly = true;
    AppcMount empty;
    empty.volume = "scratch";
    empty.path = "/scratch";
    empty.kind = AppcMount::Kind::Empty;
    empty.uid = 33;
    empty.mode = 0700;
    appc.mounts = {host, empty};
    app.appc = appc;
    auto plan = buildPodPlan(o, {app}, context());
    REQUIRE(plan);
    const AppPlan& a = plan->apps[0];
    CHECK(a.name == "web");
    CHECK(a.argv == std::vector<std::string>{"/bin/web"});
    // -e still wins over the appc variables, which follow the image's.
    CHECK(envValue(a, "AC_APP_NAME") == "mine");
    CHECK(envValue(a, "AC_METADATA_URL") == "http://127.0.0.1:1/t");
    REQUIRE(a.preStart.size() == 1);
    CHECK(a.preStart[0].argv == std::vector<std::string>{"/bin/setup"});
    REQUIRE(a.postStop.size() == 1);
    CHECK(a.postStop[0].argv == std::vector<std::string>{"/bin/cleanup", "now"});
    CHECK(a.rootfs.readOnly);
    auto it = std::find_if(a.mounts.begin(), a.mounts.end(),
                           [](const MountOp& m) { return m.destination == "/scratch"; });
    REQUIRE(it != a.mounts.end());
    CHECK(!it->readOnly);
    CHECK(it->ownerUid == 33);
    CHECK(it->mode == 0700);
    CHECK(it->source == context().podDir + "/volumes/scratch");
    auto bound = std::find_if(a.mounts.begin(), a.mounts.end(),
                              [](const MountOp& m) { return m.destination == "/var/data"; });
    REQUIRE(bound != a.mounts.end());
    CHECK(bound->source == "/srv");
    CHECK(bound->readOnly);
    CHECK(bound->ownerUid == -1);
}

TEST_CASE("two apps: distinct names, stdin and tty only for the first")
{
    RunOptions o = options();
    o.interactive = true;
    o.apps.push_back(o.apps[0]);
    auto plan = buildPodPlan(o, {image(), image()}, context());
    REQUIRE(plan);
    REQUIRE(plan->apps.size() == 2);
    CHECK(plan->apps[0].name != plan->apps[1].name);
    CHECK(plan->apps[0].stdinAttached);
    CHECK(!plan->apps[1].stdinAttached);
    CHECK(plan->apps[1].rootfs.upperDir != plan->apps[0].rootfs.upperDir);
}

TEST_CASE("only a --rm pod's upper dir may skip overlay's syncs")
{
    auto kept = buildPodPlan(options(), {image()}, context());
    REQUIRE(kept);
    CHECK(!kept->apps[0].rootfs.discardUpper);
    RunOptions o = options();
    o.remove = true;
    auto removed = buildPodPlan(o, {image()}, context());
    REQUIRE(removed);
    CHECK(removed->apps[0].rootfs.discardUpper);
}

TEST_CASE("hostname defaults to the UUID's first 12 hex digits; net namespace unless host")
{
    auto plan = buildPodPlan(options(), {image()}, context());
    REQUIRE(plan);
    CHECK(plan->hostname == "0123abcd4567");
    CHECK((podCloneFlags(*plan) & CLONE_NEWNET) != 0);
    RunOptions host = options();
    host.network = NetworkMode::Host;
    CHECK((podCloneFlags(*buildPodPlan(host, {image()}, context())) & CLONE_NEWNET) == 0);
}

TEST_CASE("the generated /etc files name the pod and its network, and are bound from the pod root")
{
    auto content = [](const PodPlan& plan, const std::string& name) {
        for (const auto& f : plan.etcFiles)
            if (f.name == name) return f.content;
        return std::string("(missing)");
    };
    RunOptions o = options();
    o.hostname = "box";
    auto plan = buildPodPlan(o, {image()}, context());
    REQUIRE(plan);
    CHECK(content(*plan, "hostname") == "box\n");
    CHECK(content(*plan, "hosts").find("127.0.1.1\tbox\n") != std::string::npos);
    CHECK(content(*plan, "resolv.conf").find("no network") != std::string::npos);
    bool bound = false;
    for (const auto& m : plan->apps[0].mounts)
        if (m.destination == "/etc/hosts") {
            bound = m.kind == MountOp::Kind::PodFile &&
                    m.source == context().podDir + "/root/etc/hosts";
        }
    CHECK(bound);

    o.network = NetworkMode::Host;
    PlanContext host = context();
    host.hostResolvConf = "nameserver 192.0.2.53\n";
    auto hostPlan = buildPodPlan(o, {image()}, host);
    REQUIRE(hostPlan);
    CHECK(content(*hostPlan, "resolv.conf") == "nameserver 192.0.2.53\n");
}

namespace
{

PlanContext systemdContext(std::map<std::string, std::string> env, int64_t pid = 4242)
{
    PlanContext c = context();
    c.pid = pid;
    c.lookup = [env = std::move(env)](const std::string& key) -> std::optional<std::string> {
        auto it = env.find(key);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    return c;
}

RunOptions twoApps()
{
    RunOptions o = options();
    AppOptions second;
    second.image = "busybox";
    o.apps.push_back(second);
    return o;
}

} // namespace

TEST_CASE("LISTEN_FDS for berth's pid go to the first app, LISTEN_PID left to fill in")
{
    auto plan = buildPodPlan(
        twoApps(), {image(), image()},
        systemdContext(
            {{"LISTEN_FDS", "2"}, {"LISTEN_PID", "4242"}, {"LISTEN_FDNAMES", "http:admin"}}));
    REQUIRE(plan);
    CHECK(plan->listenFds == 2);
    CHECK(envValue(plan->apps[0], "LISTEN_FDS") == "2");
    CHECK(envValue(plan->apps[0], "LISTEN_FDNAMES") == "http:admin");
    // The app's own pid is known only once it is forked.
    CHECK(envValue(plan->apps[0], "LISTEN_PID") == "");
    CHECK(envValue(plan->apps[1], "LISTEN_FDS") == "<unset>");
    CHECK(envValue(plan->apps[1], "LISTEN_PID") == "<unset>");
    CHECK(plan->notifySocket.empty());
    CHECK_FALSE(hasMount(plan->apps[0], kNotifySocketInPod));
}

TEST_CASE("LISTEN_FDS meant for another pid is not ours to pass on")
{
    auto plan = buildPodPlan(options(), {image()},
                             systemdContext({{"LISTEN_FDS", "1"}, {"LISTEN_PID", "1"}}));
    REQUIRE(plan);
    CHECK(plan->listenFds == 0);
    CHECK(envValue(plan->apps[0], "LISTEN_FDS") == "<unset>");
    plan = buildPodPlan(options(), {image()}, systemdContext({{"LISTEN_FDS", "1"}}));
    REQUIRE(plan);
    CHECK(plan->listenFds == 0);

    auto bad = buildPodPlan(options(), {image()},
                            systemdContext({{"LISTEN_FDS", "lots"}, {"LISTEN_PID", "4242"}}));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("LISTEN_FDS='lots'") != std::string::npos);
}

TEST_CASE("NOTIFY_SOCKET: every app gets the relay socket mounted and named")
{
    auto plan = buildPodPlan(twoApps(), {image(), image()},
                             systemdContext({{"NOTIFY_SOCKET", "/run/systemd/notify"}}));
    REQUIRE(plan);
    CHECK(plan->notifySocket == "/run/systemd/notify");
    for (const AppPlan& app : plan->apps) {
        CHECK(envValue(app, "NOTIFY_SOCKET") == "/run/notify/notify.sock");
        auto relay = std::find_if(app.mounts.begin(), app.mounts.end(), [](const MountOp& m) {
            return m.destination == "/run/notify/notify.sock";
        });
        REQUIRE(relay != app.mounts.end());
        CHECK(relay->kind == MountOp::Kind::Bind);
        CHECK(relay->source == context().podDir + "/notify.sock");
        CHECK_FALSE(relay->directory);
    }
    plan = buildPodPlan(options(), {image()}, systemdContext({{"NOTIFY_SOCKET", "@abstract"}}));
    REQUIRE(plan);
    CHECK(plan->notifySocket == "@abstract");

    auto bad =
        buildPodPlan(options(), {image()}, systemdContext({{"NOTIFY_SOCKET", "relative/path"}}));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("NOTIFY_SOCKET") != std::string::npos);
}
