#include "metadata_test_pod.hpp"

#include <arpa/inet.h>
#include <berth/appc/fd_passing.hpp>
#include <berth/appc/metadata_server.hpp>
#include <berth/appc/url_form.hpp>
#include <cerrno>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

using namespace berth;
using namespace std::chrono_literals;

namespace
{

const std::string kToken = "feedfacefeedfacefeedfacefeedface";

struct Running {
    std::unique_ptr<MetadataServer> server;
    std::shared_ptr<const MetadataHandler> handler;
    uint16_t port = 0;
};

Running startServer(MetadataServerLimits limits = {}, bool thread = true)
{
    Running r;
    auto listener = createLoopbackListener(0);
    REQUIRE(listener);
    r.port = listenerPort(listener->get()).value();
    r.handler = std::make_shared<MetadataHandler>(testPodMetadata(), PodHmacKey::generate().value(),
                                                  kToken);
    auto server = MetadataServer::create(std::move(*listener), r.handler, limits);
    REQUIRE(server);
    r.server = std::move(*server);
    if (thread) REQUIRE(r.server->startThread());
    return r;
}

UniqueFd connectTo(uint16_t port)
{
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    timeval timeout{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    return fd;
}

void sendAll(int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        REQUIRE(n > 0);
        data.remove_prefix(static_cast<size_t>(n));
    }
}

struct Reply {
    int status = 0;
    std::string head;
    std::string body;
};

// Reads one response (by Content-Length); status 0 on EOF or timeout.
Reply readReply(int fd, std::string& pending)
{
    Reply reply;
    for (;;) {
        auto end = pending.find("\r\n\r\n");
        if (end != std::string::npos) {
            reply.head = pending.substr(0, end);
            auto cl = reply.head.find("Content-Length: ");
            size_t length = cl == std::string::npos ? 0 : std::stoul(reply.head.substr(cl + 16));
            if (pending.size() >= end + 4 + length) {
                reply.status = std::stoi(reply.head.substr(9, 3));
                reply.body = pending.substr(end + 4, length);
                pending.erase(0, end + 4 + length);
                return reply;
            }
        }
        char buffer[4096];
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) return reply;
        pending.append(buffer, static_cast<size_t>(n));
    }
}

Reply request(uint16_t port, const std::string& text)
{
    auto fd = connectTo(port);
    sendAll(fd.get(), text);
    std::string pending;
    return readReply(fd.get(), pending);
}

std::string getText(const std::string& path)
{
    return "GET /" + kToken + "/acMetadata/v1" + path +
           " HTTP/1.1\r\nHost: x\r\nMetadata-Flavor: AppContainer\r\n\r\n";
}

// True when the peer closed (EOF) within the receive timeout.
bool closedByPeer(int fd)
{
    char buffer[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n == 0) return true;
        if (n < 0) return errno == ECONNRESET;
    }
}

} // namespace

TEST_CASE("the server answers over a real loopback socket, keep-alive and pipelined")
{
    auto r = startServer();
    auto uuid = request(r.port, getText("/pod/uuid"));
    CHECK(uuid.status == 200);
    CHECK(uuid.body == testPodMetadata().uuid);
    CHECK(uuid.head.find("Content-Type: text/plain; charset=us-ascii") != std::string::npos);

    auto fd = connectTo(r.port);
    std::string pending;
    sendAll(fd.get(), getText("/apps/main/image/id") + getText("/pod/manifest") +
                          getText("/apps/ghost/image/id"));
    CHECK(readReply(fd.get(), pending).body == testPodMetadata().apps[0].imageId);
    CHECK(readReply(fd.get(), pending).body == testPodMetadata().podManifestJson);
    CHECK(readReply(fd.get(), pending).status == 404);
    sendAll(fd.get(), getText("/pod/uuid"));
    CHECK(readReply(fd.get(), pending).status == 200);
}

TEST_CASE("sign and verify through the socket")
{
    auto r = startServer();
    std::string body = "content=" + urlEncodeFormValue("Old MacDonald Had A Farm");
    auto signed_ = request(r.port, "POST /" + kToken +
                                       "/acMetadata/v1/pod/hmac/sign HTTP/1.1\r\n"
                                       "Content-Type: application/x-www-form-urlencoded\r\n"
                                       "Content-Length: " +
                                       std::to_string(body.size()) + "\r\n\r\n" + body);
    REQUIRE(signed_.status == 200);
    std::string verifyBody =
        body + "&uuid=" + testPodMetadata().uuid + "&signature=" + urlEncodeFormValue(signed_.body);
    auto verified =
        request(r.port, "POST /" + kToken +
                            "/acMetadata/v1/pod/hmac/verify HTTP/1.1\r\n"
                            "Content-Type: application/x-www-form-urlencoded\r\n"
                            "Content-Length: " +
                            std::to_string(verifyBody.size()) + "\r\n\r\n" + verifyBody);
    CHECK(verified.status == 200);
}

TEST_CASE("many small requests in a row are all answered")
{
    auto r = startServer();
    for (int i = 0; i < 300; ++i)
        REQUIRE(request(r.port, getText("/pod/uuid")).status == 200);
    auto fd = connectTo(r.port);
    std::string pending;
    for (int i = 0; i < 300; ++i) {
        sendAll(fd.get(), getText("/apps/sidekick/annotations"));
        REQUIRE(readReply(fd.get(), pending).body == "[]");
    }
}

TEST_CASE("a hostile request gets its error status and the connection is closed")
{
    auto r = startServer();
    auto fd = connectTo(r.port);
    sendAll(fd.get(), "GET / HTTP/1.1\r\nX: " + std::string(20000, 'a'));
    std::string pending;
    auto reply = readReply(fd.get(), pending);
    CHECK(reply.status == 431);
    CHECK(reply.head.find("Connection: close") != std::string::npos);
    CHECK(closedByPeer(fd.get()));

    CHECK(request(r.port, "NOT HTTP AT ALL\r\n\r\n").status == 400);
    // The server is still fine.
    CHECK(request(r.port, getText("/pod/uuid")).status == 200);
}

TEST_CASE("a request that never completes is dropped after the request timeout")
{
    MetadataServerLimits limits;
    limits.requestTimeout = 200ms;
    auto r = startServer(limits);
    auto fd = connectTo(r.port);
    sendAll(fd.get(), "GET / HTTP/1.1\r\n");
    auto before = std::chrono::steady_clock::now();
    CHECK(closedByPeer(fd.get()));
    CHECK(std::chrono::steady_clock::now() - before < 4s);
}

TEST_CASE("beyond the connection limit the longest idle one is closed")
{
    MetadataServerLimits limits;
    limits.maxConnections = 2;
    auto r = startServer(limits);
    auto first = connectTo(r.port);
    std::string pending;
    sendAll(first.get(), getText("/pod/uuid"));
    REQUIRE(readReply(first.get(), pending).status == 200);
    std::this_thread::sleep_for(20ms);
    auto second = connectTo(r.port);
    sendAll(second.get(), getText("/pod/uuid"));
    REQUIRE(readReply(second.get(), pending).status == 200);
    auto third = connectTo(r.port);
    sendAll(third.get(), getText("/pod/uuid"));
    REQUIRE(readReply(third.get(), pending).status == 200);
    CHECK(closedByPeer(first.get()));
}

TEST_CASE("stop closes connections and the listener")
{
    auto r = startServer();
    auto fd = connectTo(r.port);
    std::string pending;
    sendAll(fd.get(), getText("/pod/uuid"));
    REQUIRE(readReply(fd.get(), pending).status == 200);
    r.server->stop();
    CHECK(closedByPeer(fd.get()));
    UniqueFd again(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(r.port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(::connect(again.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0);
    r.server->stop(); // idempotent
}

TEST_CASE("without a thread, dispatch() serves from the caller's poll loop")
{
    auto r = startServer({}, false);
    std::thread client([&] {
        auto reply = request(r.port, getText("/pod/uuid"));
        CHECK(reply.status == 200);
    });
    auto deadline = std::chrono::steady_clock::now() + 5s;
    bool served = false;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{r.server->fd(), POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) REQUIRE(r.server->dispatch());
        if (r.server->connectionCount() > 0) served = true;
        if (served && r.server->connectionCount() == 0) break;
    }
    client.join();
    CHECK(served);
}

TEST_CASE("a listening socket travels over a unix socket and keeps its port")
{
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
    UniqueFd sender(pair[0]), receiver(pair[1]);
    int raw = createLoopbackListenerRaw(0);
    REQUIRE(raw >= 0);
    UniqueFd listener(raw);
    uint16_t port = listenerPort(listener.get()).value();
    REQUIRE(sendFdRaw(sender.get(), listener.get()) == 0);
    listener.reset();
    auto received = receiveFd(receiver.get());
    REQUIRE(received);
    CHECK(listenerPort(received->get()).value() == port);
    // The received fd serves.
    auto handler = std::make_shared<MetadataHandler>(testPodMetadata(),
                                                     PodHmacKey::generate().value(), kToken);
    auto server = MetadataServer::create(std::move(*received), handler);
    REQUIRE(server);
    REQUIRE((*server)->startThread());
    CHECK(request(port, getText("/pod/uuid")).status == 200);

    // A message without an fd, and a closed channel, are errors.
    char byte = 'x';
    REQUIRE(::send(sender.get(), &byte, 1, 0) == 1);
    CHECK_FALSE(receiveFd(receiver.get()));
    sender.reset();
    CHECK_FALSE(receiveFd(receiver.get()));
}

TEST_CASE("a client that does not read is held back, and then gets every answer in order")
{
    MetadataServerLimits limits;
    limits.maxPendingOutput = 1024;
    auto r = startServer(limits);
    auto fd = connectTo(r.port);
    // Small receive buffers so the server really has to wait.
    int small = 4096;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string batch;
    for (int i = 0; i < 400; ++i)
        batch += getText(i % 2 ? "/pod/uuid" : "/apps/main/image/manifest");
    std::thread writer([&] { sendAll(fd.get(), batch); });
    std::this_thread::sleep_for(200ms);
    std::string pending;
    for (int i = 0; i < 400; ++i) {
        auto reply = readReply(fd.get(), pending);
        REQUIRE(reply.status == 200);
        CHECK(reply.body ==
              (i % 2 ? testPodMetadata().uuid : testPodMetadata().apps[0].imageManifestJson));
    }
    writer.join();
}
