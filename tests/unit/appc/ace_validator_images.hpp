#pragma once

#include <berth/appc/pod_image.hpp>
#include <string>

// The two images of the appc ACE validator (as shared/conformance builds
// them), for tests of pods made of them.
inline const std::string kMainManifest = R"({"acVersion":"0.8.11","acKind":"ImageManifest",
 "name":"coreos.com/ace-validator-main",
 "labels":[{"name":"version","value":"0.8.11"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],
 "app":{"exec":["/ace-validator","main"],
  "eventHandlers":[{"name":"pre-start","exec":["/ace-validator","prestart"]},
                   {"name":"post-stop","exec":["/ace-validator","poststop"]}],
  "user":"0","group":"0","workingDirectory":"/opt/acvalidator",
  "environment":[{"name":"IN_ACE_VALIDATOR","value":"correct"}],
  "mountPoints":[{"name":"database","path":"/db","readOnly":false}],
  "ports":[{"name":"www","protocol":"tcp","port":80}],
  "isolators":[{"name":"resource/memory","value":{"limit":"1G"}}]},
 "annotations":[{"name":"created","value":"2014-10-27T19:32:27.67021798Z"},
  {"name":"lorem","value":"ipsum"}]})";

inline const std::string kSidekickManifest = R"({"acVersion":"0.8.11","acKind":"ImageManifest",
 "name":"coreos.com/ace-validator-sidekick",
 "app":{"exec":["/ace-validator","sidekick"],"user":"0","group":"0",
  "mountPoints":[{"name":"database","path":"/db","readOnly":false}]}})";

inline berth::PodImage image(const std::string& json, char idDigit)
{
    berth::PodImage i;
    i.manifestJson = json;
    i.manifest = berth::parseAciImageManifest(json).value();
    i.record.id = "sha512-" + std::string(128, idDigit);
    i.record.format = berth::ImageFormat::Aci;
    i.record.name = i.manifest.name;
    return i;
}
