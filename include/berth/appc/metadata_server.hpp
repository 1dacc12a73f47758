#pragma once

#include <berth/appc/http_request.hpp>
#include <berth/appc/metadata_handler.hpp>
#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <unordered_map>

namespace berth
{

struct MetadataServerLimits {
    HttpLimits http;
    size_t maxConnections = 64;
    // A connection with no request in progress is closed after this long...
    std::chrono::milliseconds idleTimeout{10000};
    // ...and one request must arrive whole within this (slow senders).
    std::chrono::milliseconds requestTimeout{5000};
    // Responses queued for a slow reader; beyond it the server stops
    // reading from that connection until it drains.
    size_t maxPendingOutput = 256 << 10;
};

// The per-pod appc metadata service, served by the berth process itself (no
// daemon) on a listening socket it is handed (see fd_passing.hpp).
//
// It is an epoll set, usable two ways:
//  - inside the caller's own poll loop: add fd() to it and call dispatch()
//    when it is readable (single-threaded, nothing started);
//  - on its own thread: startThread(), and stop() (or the destructor) when
//    the pod exits.
//
// THREADS: starting the thread makes stage0 multi-threaded. The kernel
// refuses unshare(CLONE_NEWUSER) and setns into a user namespace from a
// multi-threaded process, and forking one is only safe for children that do
// async-signal-safe work before execve. So call startThread() only AFTER
// stage0 has created every user-namespaced child it needs (the pod's init)
// and never clone/unshare CLONE_NEWUSER from stage0 while it runs; stop()
// it before doing so again. The single-threaded dispatch() mode has no
// such constraint.
class MetadataServer
{
public:
    // `listener`: a listening TCP socket (made non-blocking here).
    static Result<std::unique_ptr<MetadataServer>>
    create(UniqueFd listener, std::shared_ptr<const MetadataHandler> handler,
           MetadataServerLimits limits = {});
    ~MetadataServer();
    MetadataServer(const MetadataServer&) = delete;
    MetadataServer& operator=(const MetadataServer&) = delete;

    // Readable when dispatch() has work.
    int fd() const { return epoll_.get(); }
    // Accepts, reads, answers and writes whatever is ready, without blocking.
    Result<void> dispatch();
    size_t connectionCount() const { return connections_.size(); }

    // Serves on a new thread until stop(). See THREADS above.
    Result<void> startThread();
    // Stops the thread (if any), closes every connection and the listener.
    // Idempotent; called by the destructor.
    void stop();

private:
    struct Connection;
    using Clock = std::chrono::steady_clock;

    MetadataServer() = default;
    void acceptConnections();
    void onReadable(Connection& c);
    void onWritable(Connection& c);
    void processRequests(Connection& c);
    void flush(Connection& c);
    void updateInterest(Connection& c);
    void closeConnection(int fd);
    void expireConnections();
    void armTimer();
    void threadLoop();

    UniqueFd listener_;
    UniqueFd epoll_;
    UniqueFd timer_;
    UniqueFd stopEvent_;
    std::shared_ptr<const MetadataHandler> handler_;
    MetadataServerLimits limits_;
    std::unordered_map<int, std::unique_ptr<Connection>> connections_;
    std::thread thread_;
    bool stopped_ = false;
};

} // namespace berth
