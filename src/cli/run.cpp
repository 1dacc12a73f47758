#include "command.hpp"

#include <berth/base/log.hpp>
#include <berth/base/printable.hpp>
#include <berth/run/run.hpp>
#include <utility>

namespace berth::cli
{

namespace
{

struct RunCommand {
    RunOptions options;
    AppOptions first;
    std::vector<std::string> volumes; // -v: bind (SRC:DST) or appc (NAME,kind=…)
    std::string network = "none";
    std::string userns;
    bool readOnlyTmpfs = true;
    std::string entrypoint;
    std::string pull = "new"; // --pull: run fetches only what the store lacks
};

// Options that belong to one app; every `---` segment may repeat them.
void addAppOptions(CLI::App& cmd, AppOptions& app, std::string& entrypoint)
{
    cmd.add_option("-e,--env", app.env, "Set an environment variable (K=V, or K to copy yours)")
        ->allow_extra_args(false);
    cmd.add_option("--env-file", app.envFiles, "Read K=V lines from a file")
        ->allow_extra_args(false);
    cmd.add_option("-u,--user", app.user, "Run as NAME|UID[:GROUP|GID] of the image");
    cmd.add_option("-w,--workdir", app.workdir, "Working directory inside the container");
    cmd.add_option("--entrypoint", entrypoint, "Replace the image's entrypoint");
    cmd.add_option("--app-name", app.name, "The app's name in the pod (appc AC_APP_NAME)");
}

// Splits what follows the first IMAGE into its command and further apps.
Result<void> parseSegments(RunCommand& run, std::vector<std::string> rest)
{
    std::vector<std::vector<std::string>> segments(1);
    for (auto& arg : rest) {
        if (arg == "---")
            segments.emplace_back();
        else
            segments.back().push_back(std::move(arg));
    }
    if (segments[0].empty()) return Error("no image given (see 'berth run --help')");
    // Options end at the image; a word before it that looks like one is an
    // option berth does not know, not an image name (none starts with '-').
    if (segments[0][0].starts_with("-"))
        return Error("unknown option '" + segments[0][0] + "' (see 'berth run --help')");
    run.first.image = segments[0][0];
    run.first.command.assign(segments[0].begin() + 1, segments[0].end());
    if (!run.entrypoint.empty()) run.first.entrypoint = run.entrypoint;
    run.options.apps.push_back(run.first);
    for (size_t i = 1; i < segments.size(); ++i) {
        AppOptions app;
        std::string entrypoint;
        CLI::App parser{"app", "---"};
        parser.prefix_command();
        addAppOptions(parser, app, entrypoint);
        std::vector<std::string> args(segments[i].rbegin(), segments[i].rend());
        try {
            parser.parse(args);
        } catch (const CLI::ParseError& e) {
            return Error(std::string("app ") + std::to_string(i + 1) + ": " + e.what());
        }
        auto remaining = parser.remaining();
        if (remaining.empty()) return Error("'---' must be followed by an image");
        if (remaining[0].starts_with("-"))
            return Error("app " + std::to_string(i + 1) + ": unknown option '" + remaining[0] +
                         "' (see 'berth run --help')");
        app.image = remaining[0];
        app.command.assign(remaining.begin() + 1, remaining.end());
        if (!entrypoint.empty()) app.entrypoint = entrypoint;
        run.options.apps.push_back(std::move(app));
    }
    return ok();
}

// What berth keeps of the command line (pod.json, the pod manifest, the
// index) is JSON, which holds UTF-8 only; a name is printed by `berth list`
// too. Refused here, before anything is written.
Result<void> checkText(const RunOptions& o)
{
    auto check = [](const char* option, const std::string& text, bool name) -> Result<void> {
        if (name ? isPlainText(text) : isValidUtf8(text)) return ok();
        return Error(std::string(option) + " '" + text + "' holds " +
                     (name ? "a control character or invalid UTF-8" : "invalid UTF-8"));
    };
    BERTH_CHECK(check("--name", o.name, true));
    BERTH_CHECK(check("--hostname", o.hostname, true));
    for (const auto& app : o.apps) {
        BERTH_CHECK(check("IMAGE", app.image, false));
        BERTH_CHECK(check("--app-name", app.name, true));
        BERTH_CHECK(check("--user", app.user, false));
        BERTH_CHECK(check("--workdir", app.workdir, false));
        if (app.entrypoint) BERTH_CHECK(check("--entrypoint", *app.entrypoint, false));
        for (const auto& env : app.env)
            BERTH_CHECK(check("--env", env, false));
    }
    return ok();
}

Result<void> finish(RunCommand& run, std::vector<std::string> rest, const Context& context)
{
    RunOptions& o = run.options;
    if (!o.podManifest.empty()) {
        // The manifest names the apps; a stray IMAGE is a mistake worth
        // hearing of, not something to run beside them.
        if (!rest.empty())
            return Error("--pod-manifest takes no IMAGE or COMMAND (got '" + rest[0] + "')");
    } else {
        BERTH_CHECK(parseSegments(run, std::move(rest)));
    }
    for (auto& v : run.volumes)
        (v.find(",kind=") != std::string::npos ? o.appcVolumes : o.volumes).push_back(v);
    if (run.network == "none")
        o.network = NetworkMode::None;
    else if (run.network == "host")
        o.network = NetworkMode::Host;
    else
        return Error("--net=" + run.network + " is not supported (use none or host)");
    if (run.userns == "keep-id")
        o.keepId = true;
    else if (!run.userns.empty() && run.userns != "auto")
        return Error("--userns=" + run.userns + " is not supported (use keep-id)");
    o.readOnlyTmpfs = run.readOnlyTmpfs;
    o.allowUnsigned = context.insecure.image;
    o.fetch.insecureTls = context.insecure.tls;
    o.fetch.allowHttp = context.insecure.http;
    o.fetch.insecurePubkey = context.insecure.pubkey;
    o.fetch.progress = context.quiet ? ProgressMode::Quiet : ProgressMode::Auto;
    BERTH_TRY(o.fetch.pull, parsePullPolicy(run.pull));
    BERTH_CHECK(checkText(o));
    if (!o.rootfs.empty())
        for (auto& app : o.apps) {
            // With --rootfs the first word is the command, not an image.
            if (!app.image.empty()) app.command.insert(app.command.begin(), app.image);
            app.image = o.rootfs;
        }
    return ok();
}

} // namespace

void addRunCommand(CLI::App& app, Context& context, Action& action)
{
    auto run = std::make_shared<RunCommand>();
    CLI::App* cmd = app.add_subcommand(
        "run", "Run a command in a new pod: IMAGE [COMMAND [ARG...]] [--- IMAGE [COMMAND...]]...");
    // Options end at the image: what follows is the container's command.
    cmd->prefix_command();
    // Falling through to the global parser would take the command's
    // positional words before prefix_command sees them: global options go
    // before `run`.
    cmd->fallthrough(false);
    RunOptions& o = run->options;
    // Accepted here too, as executors such as the appc ACE validator pass it
    // after the command name.
    cmd->add_option("--insecure-options", context.insecureText,
                    "Checks to skip: none, image, tls, http, pubkey, all (as the global option)");
    addAppOptions(*cmd, run->first, run->entrypoint);
    cmd->add_flag("-i,--interactive", o.interactive, "Keep stdin open for the app");
    cmd->add_flag("-t,--tty", o.tty, "Give the app a pseudo-terminal");
    cmd->add_flag("--rm", o.remove, "Remove the pod when it exits");
    cmd->add_option("--pull", run->pull,
                    "When to fetch a remote image: never, new (only when missing), update")
        ->capture_default_str();
    cmd->add_option("--name", o.name, "A name for the pod");
    cmd->add_option("--hostname", o.hostname, "The pod's hostname");
    cmd->add_option("--net,--network", run->network, "none (default) or host");
    cmd->add_option("-v,--volume", run->volumes,
                    "SRC:DST[:ro] bind mount, or appc NAME,kind=host|empty,...")
        ->allow_extra_args(false);
    cmd->add_option("--tmpfs", o.tmpfs, "Mount a tmpfs: DST[:OPTIONS]")->allow_extra_args(false);
    cmd->add_flag("--read-only", o.readOnly, "Mount the root filesystem read-only");
    cmd->add_option("--read-only-tmpfs", run->readOnlyTmpfs,
                    "With --read-only, writable tmpfs on /tmp, /var/tmp, /run (default true)");
    cmd->add_flag("--privileged", o.privileged,
                  "All capabilities, no seccomp, no masked paths (still inside the user "
                  "namespace)");
    cmd->add_option("--cap-add", o.capAdd, "Add a capability (or 'all')")->allow_extra_args(false);
    cmd->add_option("--cap-drop", o.capDrop, "Drop a capability (or 'all')")
        ->allow_extra_args(false);
    cmd->add_option("--userns", run->userns, "keep-id: keep your uid and gid inside");
    cmd->add_option("--pod-manifest", o.podManifest,
                    "Run the apps of an appc pod manifest (JSON) instead of IMAGE");
    cmd->add_option("--rootfs", o.rootfs,
                    "Run a directory tree (as an overlay lower dir) instead of an image");
    cmd->callback([run, cmd, &context, &action]() {
        action = [run, cmd, &context]() {
            if (auto done = finish(*run, cmd->remaining(), context); !done)
                return fail(done.error());
            // First, so that its id maps are written while the store is
            // opened and the pod planned.
            auto userNamespace = startPodUserNamespace(
                run->options, std::exchange(context.speculativeUserNamespace, std::nullopt));
            if (!userNamespace) return fail(userNamespace.error());
            auto store = context.store();
            if (!store) return fail(store.error());
            auto status =
                runPod(**store, run->options, *context.imageSupply, std::move(*userNamespace));
            if (!status) {
                // The front found the image not ready: the engine runs it all.
                if (context.imageSupply->needsEngine() && context.handToEngine) {
                    logDebug("{}", status.error().message());
                    return context.handToEngine();
                }
                return fail(status.error());
            }
            return *status;
        };
    });
}

} // namespace berth::cli
