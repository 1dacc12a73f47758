#pragma once

namespace berth::cli
{

// Replaces this process with berth-engine, keeping argv, the environment,
// the open fds and the pid (so that under systemd MAINPID stays right).
// Returns only on failure, with berth's failure status after one line.
int execEngine(char** argv);

} // namespace berth::cli
