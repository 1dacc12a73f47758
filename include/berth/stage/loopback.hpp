#pragma once

namespace berth
{

// Brings the loopback interface of the caller's network namespace up, as
// every pod's is; an interface already up is left alone. 0, or the errno of
// what failed. System calls only (safe between clone and execve).
int bringLoopbackUp();

} // namespace berth
