#pragma once

#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <cstddef>
#include <cstdint>

namespace berth
{

// The metadata service's socket must live in the pod's network namespace
// (so apps reach it on their loopback) while the server runs in stage0,
// which never joins that namespace (setns needs privilege over it, and a
// threaded stage0 must not). So a process inside the pod - its init, before
// the apps start - creates the listening socket and hands it to stage0 over
// a unix socket with SCM_RIGHTS; a socket stays bound to the namespace it
// was created in, wherever its fd travels.

// In the pod (between clone and execve, so async-signal-safe: syscalls
// only, no allocation, errno-style results).
//
// A TCP socket listening on 127.0.0.1:port (port 0: the kernel picks one),
// non-blocking and close-on-exec. Returns the fd, or -errno.
int createLoopbackListenerRaw(uint16_t port);
// Sends `fd` with one data byte over the unix socket `channel`. Returns 0 or
// -errno.
int sendFdRaw(int channel, int fd);
// The same with `size` bytes of `data` as the message (e.g. a fixed-size
// message of the caller's own protocol on a SOCK_SEQPACKET socket).
int sendFdRaw(int channel, int fd, const void* data, size_t size);

// In stage0.

// The same, owning the result (for --net=host, where stage0 listens itself).
Result<UniqueFd> createLoopbackListener(uint16_t port);
// Receives one fd sent by sendFdRaw (blocking; close-on-exec on arrival).
// An end of file, a message without an fd, or more than one fd is an error
// (extra fds are closed, never leaked).
Result<UniqueFd> receiveFd(int channel);
Result<void> sendFd(int channel, int fd);
// The port a listening socket is bound to.
Result<uint16_t> listenerPort(int fd);

} // namespace berth
