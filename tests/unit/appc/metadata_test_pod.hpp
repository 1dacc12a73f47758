#pragma once

#include <berth/appc/metadata_handler.hpp>

// A two-app pod shared by the handler and server tests.
inline berth::PodMetadata testPodMetadata()
{
    berth::PodMetadata pod;
    pod.uuid = "6f1e3a4c-8d2b-4f5e-9a7c-0b1d2e3f4a5b";
    pod.podManifestJson = R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[]})";
    pod.annotations = {{"ip-address", "10.1.2.3"}, {"example.com/owner", "ops"}};
    berth::AppMetadata main;
    main.name = "main";
    main.imageId = "sha512-" + std::string(128, 'a');
    main.imageManifestJson = R"({"acKind":"ImageManifest","name":"example.com/main"})";
    main.annotations = {{"created", "2014-10-27T19:32:27.67021798Z"}, {"lorem", "ipsum"}};
    berth::AppMetadata side;
    side.name = "sidekick";
    side.imageId = "sha512-" + std::string(128, 'b');
    side.imageManifestJson = R"({"acKind":"ImageManifest","name":"example.com/sidekick"})";
    pod.apps = {main, side};
    return pod;
}
