#include "ace_validator_images.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <berth/appc/fd_passing.hpp>
#include <berth/appc/pod_metadata_service.hpp>
#include <berth/appc/volume_option.hpp>
#include <berth/base/json.hpp>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace berth;

namespace
{

// A blocking HTTP GET of url + path on 127.0.0.1; returns "STATUS BODY".
std::string httpGet(uint16_t port, const std::string& target)
{
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        return "connect failed";
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
        return "send failed";
    std::string response;
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fd.get(), buffer, sizeof buffer, 0)) > 0)
        response.append(buffer, static_cast<size_t>(n));
    auto end = response.find("\r\n\r\n");
    if (response.size() < 12 || end == std::string::npos) return "bad response";
    return response.substr(9, 3) + " " + response.substr(end + 4);
}

} // namespace

TEST_CASE("a pod's service: listener made in a child, passed back, served from a poll loop")
{
    std::vector<PodAppSource> apps(2);
    apps[0].image = image(kMainManifest, 'a');
    apps[1].image = image(kSidekickManifest, 'b');
    auto pod = podFromImages(std::move(apps), {parseVolumeOption("database,kind=empty").value()});
    REQUIRE(pod);

    // The pod's init side: a child makes the listener and sends it back,
    // with nothing but the raw (async-signal-safe) calls.
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
    UniqueFd ours(pair[0]), theirs(pair[1]);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int listener = createLoopbackListenerRaw(0);
        _exit(listener < 0 || sendFdRaw(theirs.get(), listener) < 0 ? 1 : 0);
    }
    theirs.reset();
    auto listener = receiveFd(ours.get());
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    REQUIRE(listener);
    uint16_t port = listenerPort(listener->get()).value();

    const std::string uuid = "6f1e3a4c-8d2b-4f5e-9a7c-0b1d2e3f4a5b";
    auto service = PodMetadataService::prepare(*pod, uuid, port);
    REQUIRE(service);
    const std::string& url = (*service)->url();
    CHECK(url.starts_with("http://127.0.0.1:" + std::to_string(port) + "/"));
    CHECK((*service)->pollFd() == -1);
    REQUIRE((*service)->serve(std::move(*listener)));

    std::string prefix = url.substr(url.find('/', 7)) + "/acMetadata/v1";
    std::atomic<bool> done = false;
    std::string manifest, id, uuidBody, noToken;
    std::thread app([&] {
        manifest = httpGet(port, prefix + "/pod/manifest");
        id = httpGet(port, prefix + "/apps/ace-validator-sidekick/image/id");
        uuidBody = httpGet(port, prefix + "/pod/uuid");
        noToken = httpGet(port, "/acMetadata/v1/pod/uuid");
        done = true;
    });
    // stage0's poll loop.
    for (int i = 0; i < 500 && !done; ++i) {
        pollfd p{(*service)->pollFd(), POLLIN, 0};
        if (::poll(&p, 1, 10) > 0) REQUIRE((*service)->dispatch());
    }
    app.join();
    REQUIRE(manifest.starts_with("200 "));
    auto parsed = parseAciPodManifest(manifest.substr(4));
    REQUIRE(parsed);
    CHECK(parsed->apps.size() == 2);
    CHECK(id == "200 sha512-" + std::string(128, 'b'));
    CHECK(uuidBody == "200 " + uuid);
    CHECK(noToken.starts_with("401 "));
    (*service)->stop();
    CHECK(httpGet(port, prefix + "/pod/uuid") == "connect failed");
}
