#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace berth
{

// A child process held by a pidfd. Dropping a child that was not waited for
// kills and reaps it, so no error path leaks a process.
class ChildProcess
{
public:
    ChildProcess() = default;
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ~ChildProcess();

    // Forks (clone3 with `cloneFlags`, e.g. CLONE_NEWUSER) and runs `body` in
    // the child; its return value is the child's exit status. The caller must
    // be single-threaded; `body` may only do what is safe after fork.
    static Result<ChildProcess> run(const std::function<int()>& body, unsigned long cloneFlags = 0);

    // Takes charge of a child of ours that something else forked (a
    // CLONE_PARENT grandchild), held by `pidFd`.
    static ChildProcess adopt(pid_t pid, UniqueFd pidFd);

    // Runs a program (looked up in PATH). argv is built before forking.
    // stdinFd/stdoutFd of -1 inherit the caller's.
    static Result<ChildProcess> exec(const std::vector<std::string>& argv, int stdinFd = -1,
                                     int stdoutFd = -1, int stderrFd = -1);

    // Runs the program at `path` (no PATH search; see findProgram) with
    // posix_spawn: the child borrows our memory until it execs instead of
    // copying it, and an exec failure is this call's error. For programs on
    // a hot path, where exec's fork costs more than the program.
    static Result<ChildProcess> spawn(const std::string& path,
                                      const std::vector<std::string>& argv);

    pid_t pid() const { return pid_; }
    int pidFd() const { return pidFd_.get(); }

    // Waits for exit; returns the exit status, or 128 + signal number.
    Result<int> wait();
    // Sends a signal (through the pidfd, so never to a recycled pid).
    Result<void> signal(int signo);

private:
    void killAndReap();

    pid_t pid_ = -1;
    UniqueFd pidFd_;
};

// Where execvp would find `name`: the first executable regular file of
// that name in PATH (default /bin:/usr/bin). ENOENT when there is none.
Result<std::string> findProgram(const std::string& name);

// Runs a program to completion and returns its exit status; its stdout is
// captured into `output` when given.
Result<int> runProgram(const std::vector<std::string>& argv, std::string* output = nullptr);

} // namespace berth
