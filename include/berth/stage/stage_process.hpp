#pragma once

#include <berth/base/result.hpp>
#include <berth/stage/sandbox.hpp>
#include <functional>
#include <string>

namespace berth
{

// Runs `work` as a stage: in a child forked from this process, which applies
// `policy` (applySandbox) before anything else, then runs the test-only fault
// hook for policy.stage (builds with -Dfault_hooks=true), then `work`. What
// `work` returns (a small serialized answer: a verdict, a list of staged
// files) comes back over a socketpair; so does its Error, as one Error here.
// A stage that dies without answering is an Error naming it.
//
// Fork copies only the calling thread; threads this process runs keep
// running here, and the child must not need a lock one of them holds. So
// call it where stage0 runs no other thread (checked in debug output).
Result<std::string> runStage(const SandboxPolicy& policy,
                             const std::function<Result<std::string>()>& work);

// Prints, once per process, one line for each protection `policy` asks for
// that this kernel or build cannot give (see probeSandbox); `berth info`
// lists them with remedies.
void noticeMissingProtections(const SandboxPolicy& policy);

// The number of threads in this process (from /proc/self/task); 0 if unknown.
int threadCount();

} // namespace berth
