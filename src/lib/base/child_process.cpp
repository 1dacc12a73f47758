#include <berth/base/child_process.hpp>
#include <berth/base/file.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/sched.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth
{

namespace
{

// clone3 with CLONE_PIDFD gives us the pidfd atomically with the fork.
pid_t cloneWithPidFd(unsigned long flags, int* pidFd)
{
    struct clone_args args;
    std::memset(&args, 0, sizeof args);
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(pidFd);
    args.exit_signal = SIGCHLD;
    return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

} // namespace

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidFd_(std::move(other.pidFd_))
{
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept
{
    if (this != &other) {
        killAndReap();
        pid_ = std::exchange(other.pid_, -1);
        pidFd_ = std::move(other.pidFd_);
    }
    return *this;
}

ChildProcess::~ChildProcess()
{
    killAndReap();
}

void ChildProcess::killAndReap()
{
    if (pid_ <= 0) return;
    (void)signal(SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    pidFd_.reset();
}

Result<ChildProcess> ChildProcess::run(const std::function<int()>& body, unsigned long cloneFlags)
{
    int pidFd = -1;
    pid_t pid = cloneWithPidFd(cloneFlags, &pidFd);
    if (pid < 0) return Error::fromErrno("clone3");
    if (pid == 0) {
        int status = 125;
        status = body();
        ::_exit(status);
    }
    ChildProcess child;
    child.pid_ = pid;
    child.pidFd_ = UniqueFd(pidFd);
    return child;
}

ChildProcess ChildProcess::adopt(pid_t pid, UniqueFd pidFd)
{
    ChildProcess child;
    child.pid_ = pid;
    child.pidFd_ = std::move(pidFd);
    return child;
}

Result<ChildProcess> ChildProcess::exec(const std::vector<std::string>& argv, int stdinFd,
                                        int stdoutFd, int stderrFd)
{
    if (argv.empty()) return Error("exec: empty command");
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // A pipe with O_CLOEXEC tells us whether execvp succeeded: it closes on
    // exec, or carries errno when exec failed.
    int errPipe[2];
    if (::pipe2(errPipe, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
    UniqueFd readEnd(errPipe[0]);
    UniqueFd writeEnd(errPipe[1]);
    auto child = run([&]() {
        if (stdinFd >= 0 && ::dup2(stdinFd, STDIN_FILENO) < 0) return 125;
        if (stdoutFd >= 0 && ::dup2(stdoutFd, STDOUT_FILENO) < 0) return 125;
        if (stderrFd >= 0 && ::dup2(stderrFd, STDERR_FILENO) < 0) return 125;
        ::execvp(args[0], args.data());
        int err = errno;
        [[maybe_unused]] ssize_t n = ::write(errPipe[1], &err, sizeof err);
        return 127;
    });
    if (!child) return std::move(child).error().addContext("run " + argv[0]);
    writeEnd.reset();
    int err = 0;
    ssize_t n;
    do {
        n = ::read(readEnd.get(), &err, sizeof err);
    } while (n < 0 && errno == EINTR);
    if (n == sizeof err) {
        (void)child->wait();
        return Error::fromErrno("execute " + argv[0], err);
    }
    return std::move(child).value();
}

Result<ChildProcess> ChildProcess::spawn(const std::string& path,
                                         const std::vector<std::string>& argv)
{
    if (argv.empty()) return Error("spawn: empty command");
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    // glibc's posix_spawn runs the child on its own stack in our address
    // space (CLONE_VM | CLONE_VFORK) and returns the exec's errno.
    if (int rc = ::posix_spawn(&pid, path.c_str(), nullptr, nullptr, args.data(), environ); rc != 0)
        return Error::fromErrno("execute " + path, rc);
    ChildProcess child;
    child.pid_ = pid;
    // Our own unreaped child: its pid cannot be reused before we wait, so
    // the pidfd names it. Without one (old kernel) signal() falls back to
    // kill(2).
    if (long fd = ::syscall(SYS_pidfd_open, pid, 0); fd >= 0)
        child.pidFd_ = UniqueFd(static_cast<int>(fd));
    return child;
}

Result<std::string> findProgram(const std::string& name)
{
    if (name.empty()) return Error::fromErrno("find program ''", ENOENT);
    if (name.find('/') != std::string::npos) return name;
    const char* env = std::getenv("PATH");
    std::string_view path = env ? env : "/bin:/usr/bin";
    // Bounded by PATH's length.
    while (true) {
        size_t colon = path.find(':');
        std::string_view dir = path.substr(0, colon);
        // An empty entry is the current directory, as for execvp.
        std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + name;
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        if (colon == std::string_view::npos) break;
        path.remove_prefix(colon + 1);
    }
    return Error::fromErrno("find '" + name + "' in PATH", ENOENT);
}

Result<int> ChildProcess::wait()
{
    if (pid_ <= 0) return Error("wait: no child");
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return Error::fromErrno("waitpid");
    pid_ = -1;
    pidFd_.reset();
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

Result<void> ChildProcess::signal(int signo)
{
    if (pid_ <= 0) return ok();
    if (pidFd_ && ::syscall(SYS_pidfd_send_signal, pidFd_.get(), signo, nullptr, 0) == 0)
        return ok();
    if (::kill(pid_, signo) < 0 && errno != ESRCH) return Error::fromErrno("kill");
    return ok();
}

Result<int> runProgram(const std::vector<std::string>& argv, std::string* output)
{
    if (!output) {
        BERTH_TRY(ChildProcess child, ChildProcess::exec(argv));
        return child.wait();
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
    UniqueFd readEnd(fds[0]);
    UniqueFd writeEnd(fds[1]);
    BERTH_TRY(ChildProcess child, ChildProcess::exec(argv, -1, writeEnd.get()));
    writeEnd.reset();
    BERTH_TRY(*output, readAll(readEnd.get()));
    return child.wait();
}

} // namespace berth
