#include <berth/appc/metadata_server.hpp>
#include <berth/base/log.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace berth
{

struct MetadataServer::Connection {
    explicit Connection(UniqueFd socket, HttpLimits limits) : fd(std::move(socket)), parser(limits)
    {
    }
    UniqueFd fd;
    HttpRequestParser parser;
    std::string output;
    size_t outputOffset = 0;
    bool closeAfterWrite = false;
    bool peerClosed = false;
    uint32_t interest = 0;
    Clock::time_point lastActivity = Clock::now();
    // When the first byte of the request in progress arrived; unset when
    // no request is in progress.
    std::optional<Clock::time_point> requestStarted;

    size_t pendingOutput() const { return output.size() - outputOffset; }
};

namespace
{

constexpr size_t kReadChunk = 16 << 10;
constexpr int kMaxAcceptsPerDispatch = 64;

Result<void> addToEpoll(int epoll, int fd, uint32_t events)
{
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) < 0) return Error::fromErrno("epoll_ctl add");
    return ok();
}

} // namespace

Result<std::unique_ptr<MetadataServer>>
MetadataServer::create(UniqueFd listener, std::shared_ptr<const MetadataHandler> handler,
                       MetadataServerLimits limits)
{
    if (!listener || !handler) return Error("metadata server: no listener or no handler");
    int flags = ::fcntl(listener.get(), F_GETFL);
    if (flags < 0 || ::fcntl(listener.get(), F_SETFL, flags | O_NONBLOCK) < 0)
        return Error::fromErrno("metadata server: make the listener non-blocking");

    std::unique_ptr<MetadataServer> server(new MetadataServer);
    server->listener_ = std::move(listener);
    server->handler_ = std::move(handler);
    server->limits_ = limits;
    server->epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
    if (!server->epoll_) return Error::fromErrno("metadata server: epoll_create1");
    server->timer_ = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!server->timer_) return Error::fromErrno("metadata server: timerfd_create");
    BERTH_CHECK(addToEpoll(server->epoll_.get(), server->listener_.get(), EPOLLIN)
                    .context("metadata server"));
    BERTH_CHECK(
        addToEpoll(server->epoll_.get(), server->timer_.get(), EPOLLIN).context("metadata server"));
    return server;
}

MetadataServer::~MetadataServer()
{
    stop();
}

Result<void> MetadataServer::dispatch()
{
    epoll_event events[32];
    int n;
    do {
        n = ::epoll_wait(epoll_.get(), events, 32, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Error::fromErrno("metadata server: epoll_wait");
    for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == listener_.get()) {
            acceptConnections();
        } else if (fd == timer_.get()) {
            uint64_t expirations;
            (void)!::read(timer_.get(), &expirations, sizeof expirations);
            expireConnections();
        } else {
            // An earlier event of this batch may have closed it.
            auto it = connections_.find(fd);
            if (it == connections_.end()) continue;
            Connection& c = *it->second;
            if (events[i].events & EPOLLOUT) onWritable(c);
            if (!connections_.contains(fd)) continue;
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) onReadable(c);
        }
    }
    return ok();
}

void MetadataServer::acceptConnections()
{
    for (int i = 0; i < kMaxAcceptsPerDispatch; ++i) {
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                logDebug("metadata server: accept: {}", std::strerror(errno));
            return;
        }
        UniqueFd socket(fd);
        if (connections_.size() >= limits_.maxConnections) {
            // Full: the connection idle longest makes room, so a client
            // holding many open cannot lock the others out for long.
            auto oldest = connections_.begin();
            for (auto it = connections_.begin(); it != connections_.end(); ++it)
                if (it->second->lastActivity < oldest->second->lastActivity) oldest = it;
            closeConnection(oldest->first);
        }
        auto connection = std::make_unique<Connection>(std::move(socket), limits_.http);
        connection->interest = EPOLLIN | EPOLLRDHUP;
        if (!addToEpoll(epoll_.get(), fd, connection->interest)) {
            logDebug("metadata server: cannot watch a new connection");
            continue;
        }
        bool first = connections_.empty();
        connections_.emplace(fd, std::move(connection));
        if (first) armTimer();
    }
}

void MetadataServer::onReadable(Connection& c)
{
    int fd = c.fd.get();
    if (c.pendingOutput() > 0 || c.closeAfterWrite) {
        // Not reading while answers wait; a hang-up still ends it.
        char probe;
        if (::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) == 0) closeConnection(fd);
        return;
    }
    char buffer[kReadChunk];
    ssize_t n;
    do {
        n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) closeConnection(fd);
        return;
    }
    if (n == 0) {
        closeConnection(fd);
        return;
    }
    c.lastActivity = Clock::now();
    if (!c.requestStarted) c.requestStarted = c.lastActivity;
    c.parser.feed(std::string_view(buffer, static_cast<size_t>(n)));
    processRequests(c);
}

void MetadataServer::processRequests(Connection& c)
{
    int fd = c.fd.get();
    for (;;) {
        bool waitingForBytes = false;
        while (!c.closeAfterWrite && c.pendingOutput() < limits_.maxPendingOutput) {
            auto state = c.parser.poll();
            if (state == HttpRequestParser::State::NeedMore) {
                waitingForBytes = true;
                break;
            }
            if (state == HttpRequestParser::State::Failed) {
                logDebug("metadata server: bad request: {}", c.parser.errorReason());
                auto response =
                    MetadataResponse::error(c.parser.errorStatus(), c.parser.errorReason());
                response.close = true;
                c.output += serializeHttpResponse(response);
                c.closeAfterWrite = true;
                break;
            }
            MetadataRequest request = c.parser.take();
            MetadataResponse response = handler_->handle(request);
            if (!request.keepAlive) response.close = true;
            c.closeAfterWrite = response.close;
            c.output += serializeHttpResponse(response, request.method == "HEAD");
        }
        // The request timeout runs only while the client owes us bytes of a
        // request, not while its complete requests wait for our answers.
        if (waitingForBytes && c.parser.buffered() > 0)
            c.requestStarted = c.requestStarted.value_or(Clock::now());
        else
            c.requestStarted.reset();
        flush(c);
        if (!connections_.contains(fd)) return;
        // Everything went out but pipelined requests remain buffered: no new
        // bytes may ever arrive to wake us for them, so answer them now.
        if (!waitingForBytes && !c.closeAfterWrite && c.pendingOutput() == 0) continue;
        break;
    }
    updateInterest(c);
}

void MetadataServer::flush(Connection& c)
{
    while (c.pendingOutput() > 0) {
        ssize_t n = ::send(c.fd.get(), c.output.data() + c.outputOffset, c.pendingOutput(),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            closeConnection(c.fd.get());
            return;
        }
        c.outputOffset += static_cast<size_t>(n);
        c.lastActivity = Clock::now();
    }
    c.output.clear();
    c.outputOffset = 0;
    if (c.closeAfterWrite) {
        // Half-close first so the peer reads the whole answer before the
        // close, instead of a reset discarding it.
        ::shutdown(c.fd.get(), SHUT_WR);
        closeConnection(c.fd.get());
    }
}

void MetadataServer::onWritable(Connection& c)
{
    int fd = c.fd.get();
    flush(c);
    if (!connections_.contains(fd)) return;
    if (c.pendingOutput() == 0)
        processRequests(c); // requests that arrived while answers waited
    else
        updateInterest(c);
}

void MetadataServer::updateInterest(Connection& c)
{
    // While answers wait, only writability matters: a peer that hung up
    // makes the send fail (or HUP/ERR arrive, which epoll always reports),
    // and watching EPOLLRDHUP then would wake the loop at once, forever.
    uint32_t wanted = c.pendingOutput() > 0 ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
    if (wanted == c.interest) return;
    epoll_event event{};
    event.events = wanted;
    event.data.fd = c.fd.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &event) < 0) {
        closeConnection(c.fd.get());
        return;
    }
    c.interest = wanted;
}

void MetadataServer::closeConnection(int fd)
{
    auto it = connections_.find(fd);
    if (it == connections_.end()) return;
    // Closing the fd removes it from the epoll set.
    connections_.erase(it);
    if (connections_.empty()) armTimer();
}

void MetadataServer::expireConnections()
{
    auto now = Clock::now();
    std::vector<int> expired;
    for (const auto& [fd, c] : connections_) {
        bool slowRequest = c->requestStarted && now - *c->requestStarted > limits_.requestTimeout;
        bool idle = now - c->lastActivity > limits_.idleTimeout;
        if (slowRequest || idle) expired.push_back(fd);
    }
    for (int fd : expired)
        closeConnection(fd);
}

void MetadataServer::armTimer()
{
    // Ticks only while connections exist, so an idle pod costs no wake-ups.
    itimerspec spec{};
    if (!connections_.empty()) {
        spec.it_value.tv_sec = 1;
        spec.it_interval.tv_sec = 1;
    }
    ::timerfd_settime(timer_.get(), 0, &spec, nullptr);
}

Result<void> MetadataServer::startThread()
{
    if (thread_.joinable()) return Error("metadata server: already running");
    stopEvent_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!stopEvent_) return Error::fromErrno("metadata server: eventfd");
    try {
        thread_ = std::thread([this] { threadLoop(); });
    } catch (const std::system_error& e) {
        return Error(std::string("metadata server: start thread: ") + e.what(), e.code().value());
    }
    return ok();
}

void MetadataServer::threadLoop()
{
    for (;;) {
        pollfd fds[2] = {{epoll_.get(), POLLIN, 0}, {stopEvent_.get(), POLLIN, 0}};
        int n = ::poll(fds, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            logWarning("metadata server stopped: poll: {}", std::strerror(errno));
            return;
        }
        if (fds[1].revents) return;
        if (auto r = dispatch(); !r) {
            logWarning("metadata server stopped: {}", r.error().message());
            return;
        }
    }
}

void MetadataServer::stop()
{
    if (stopped_) return;
    stopped_ = true;
    if (thread_.joinable()) {
        uint64_t one = 1;
        (void)!::write(stopEvent_.get(), &one, sizeof one);
        thread_.join();
    }
    connections_.clear();
    listener_.reset();
}

} // namespace berth
