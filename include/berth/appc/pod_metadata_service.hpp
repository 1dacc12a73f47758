#pragma once

#include <berth/appc/app_plan.hpp>
#include <berth/appc/appc_pod.hpp>
#include <berth/appc/metadata_handler.hpp>
#include <berth/appc/metadata_server.hpp>
#include <berth/base/result.hpp>
#include <berth/base/unique_fd.hpp>
#include <cstdint>
#include <memory>
#include <string>

namespace berth
{

// The appc metadata service of one pod, from stage0's side: what must be
// known before the pod starts (the pod's HMAC key, the token, the URL the
// apps get) and, once the listening socket exists, the server.
//
//   auto service = PodMetadataService::prepare(pod, uuid);   // before clone
//   plans = planAppcApps(pod, service->url());               // env for apps
//   ... the pod's init: createLoopbackListenerRaw(service->port()) and
//       sendFdRaw() to stage0, before it starts the apps ...
//   service->serve(receivedFd);              // stage0, fd from the pod
//   poll on service->pollFd(); service->dispatch() when readable;
//   the destructor (or stop()) when the pod has exited.
//
// Driven from the caller's poll loop, it starts no thread. (To serve on a
// thread instead, see MetadataServer::startThread and its constraints.)
class PodMetadataService
{
public:
    // `port`: where the listener will be; kMetadataPort inside the pod's
    // own network namespace, listenerPort() of a stage0 listener with
    // --net=host.
    static Result<std::unique_ptr<PodMetadataService>> prepare(const AppcPod& pod, std::string uuid,
                                                               uint16_t port = kMetadataPort,
                                                               HmacKeyLookup otherPods = {});

    // AC_METADATA_URL.
    const std::string& url() const { return url_; }
    uint16_t port() const { return port_; }
    // The pod's key.
    const PodHmacKey& key() const { return handler_->key(); }
    // Keeps the key in the pod directory (hmac-key, mode 0600) for the pod's
    // lifetime, so that what this service signs can be verified later (by
    // savedPodKeys) with the same key; the file goes with the pod directory.
    Result<void> saveKey(const std::string& podDir) const;

    // Starts serving on the pod's listening socket.
    Result<void> serve(UniqueFd listener, MetadataServerLimits limits = {});
    // -1 until serve().
    int pollFd() const { return server_ ? server_->fd() : -1; }
    Result<void> dispatch();
    // Closes the listener and every connection; idempotent.
    void stop();

private:
    PodMetadataService() = default;
    std::shared_ptr<const MetadataHandler> handler_;
    std::unique_ptr<MetadataServer> server_;
    std::string url_;
    uint16_t port_ = 0;
};

// Looks a pod's key up by UUID in runDir/UUID/hmac-key (the store's
// pods/run/, where running pods live), for verifying another pod's
// signatures. The UUID comes from an app: anything but a UUID finds nothing.
HmacKeyLookup savedPodKeys(std::string runDir);

} // namespace berth
