#include "ace_validator_images.hpp"

#include <berth/appc/app_plan.hpp>
#include <berth/appc/appc_pod.hpp>
#include <berth/appc/pod_manifest_json.hpp>
#include <berth/appc/volume_option.hpp>
#include <berth/base/json.hpp>
#include <doctest/doctest.h>

using namespace berth;

namespace
{

AciVolume volume(std::string_view spec)
{
    return parseVolumeOption(spec).value();
}

AppcPod aceValidatorPod()
{
    std::vector<PodAppSource> apps(2);
    apps[0].image = image(kMainManifest, 'a');
    apps[1].image = image(kSidekickManifest, 'b');
    auto pod = podFromImages(std::move(apps), {volume("database,kind=empty")});
    REQUIRE(pod);
    return std::move(*pod);
}

} // namespace

TEST_CASE("the ACE validator's pod is built from its two images and the --volume")
{
    AppcPod pod = aceValidatorPod();
    const auto& m = pod.manifest;
    REQUIRE(m.apps.size() == 2);
    CHECK(m.apps[0].name == "ace-validator-main");
    CHECK(m.apps[1].name == "ace-validator-sidekick");
    CHECK(m.apps[0].image.id == "sha512-" + std::string(128, 'a'));
    CHECK(m.apps[0].image.name == "coreos.com/ace-validator-main");
    CHECK(m.apps[0].app.has_value());
    REQUIRE(m.apps[0].mounts.size() == 1);
    CHECK(m.apps[0].mounts[0].volume == "database");
    CHECK(m.apps[0].mounts[0].path == "/db");
    REQUIRE(m.volumes.size() == 1);

    auto plans = planAppcApps(pod, "http://127.0.0.1:18112/tok");
    REQUIRE(plans);
    REQUIRE(plans->size() == 2);
    const AppcAppPlan& main = (*plans)[0];
    CHECK(main.name == "ace-validator-main");
    CHECK(main.spec.entrypoint == std::vector<std::string>{"/ace-validator", "main"});
    CHECK(main.spec.workingDirectory == "/opt/acvalidator");
    CHECK(main.appcEnv == std::vector<std::pair<std::string, std::string>>{
                              {"AC_APP_NAME", "ace-validator-main"},
                              {"AC_METADATA_URL", "http://127.0.0.1:18112/tok"}});
    CHECK(main.preStart == std::vector<std::vector<std::string>>{{"/ace-validator", "prestart"}});
    CHECK(main.postStop == std::vector<std::vector<std::string>>{{"/ace-validator", "poststop"}});
    REQUIRE(main.mounts.size() == 1);
    CHECK(main.mounts[0].kind == AppcMount::Kind::Empty);
    CHECK(main.mounts[0].mode == 0755);
    CHECK_FALSE(main.mounts[0].readOnly);
    CHECK((*plans)[1].preStart.empty());
    // Both apps mount the one volume: they share it.
    CHECK((*plans)[1].mounts[0].volume == "database");
}

TEST_CASE("the reified manifest serializes and parses back the same")
{
    AppcPod pod = aceValidatorPod();
    pod.manifest.annotations = {{"ip-address", "10.1.2.3"}};
    std::string json = serializeAciPodManifest(pod.manifest);
    auto back = parseAciPodManifest(json);
    REQUIRE(back);
    CHECK(serializeAciPodManifest(*back) == json);
    auto tree = parseJson(json, "pod").value();
    CHECK(tree["acKind"] == "PodManifest");
    CHECK(tree["apps"][0]["app"]["isolators"][0]["value"]["limit"] == "1G");
    CHECK(tree["volumes"][0]["mode"] == "0755");
    // Lists, not null, even when empty (Go tells them apart).
    CHECK(tree["isolators"].is_array());
    CHECK(tree["ports"].is_array());
    CHECK(parseJson(serializeAciPodManifest(AciPodManifest{}), "p")
              .value()["annotations"]
              .is_array());
}

TEST_CASE(
    "a pod manifest read without an image ID, a label or a port name is written back readable")
{
    // Found by the pod_manifest fuzzer: both were read, then written back
    // as "id": "" and "name": "", which the parser refuses.
    auto pod = parseAciPodManifest(R"({"acVersion": "0.8.11", "acKind": "PodManifest",
        "apps": [{"name": "app", "image": {"name": "example.com/app",
                  "labels": [{"value": "1.0"}]}}],
        "ports": [{"name": "http", "hostPort": 8080, "podPort": {"protocol": "tcp", "port": 80}}]})");
    REQUIRE(pod);
    auto again = parseAciPodManifest(serializeAciPodManifest(*pod));
    REQUIRE(again);
    CHECK(again->apps.at(0).image.id.empty());
    CHECK(again->apps.at(0).image.labels == pod->apps.at(0).image.labels);
    REQUIRE(again->ports.at(0).podPort);
    CHECK(again->ports.at(0).podPort->port == 80);
}

TEST_CASE("the metadata service gets the image manifests as stored and merged annotations")
{
    AppcPod pod = aceValidatorPod();
    pod.manifest.apps[0].annotations = {{"lorem", "dolor"}, {"extra", "1"}};
    auto metadata = podMetadataFor(pod, "6f1e3a4c-8d2b-4f5e-9a7c-0b1d2e3f4a5b");
    CHECK(metadata.uuid == "6f1e3a4c-8d2b-4f5e-9a7c-0b1d2e3f4a5b");
    REQUIRE(metadata.apps.size() == 2);
    CHECK(metadata.apps[0].imageManifestJson == kMainManifest);
    CHECK(metadata.apps[0].imageId == "sha512-" + std::string(128, 'a'));
    // Image order first, overridden in place, new ones after.
    CHECK(metadata.apps[0].annotations ==
          std::vector<std::pair<std::string, std::string>>{
              {"created", "2014-10-27T19:32:27.67021798Z"}, {"lorem", "dolor"}, {"extra", "1"}});
    CHECK(metadata.apps[1].annotations.empty());
    CHECK(metadata.podManifestJson == serializeAciPodManifest(pod.manifest));
}

TEST_CASE("a mount point without a volume gets an implicit empty one")
{
    std::vector<PodAppSource> apps(1);
    apps[0].image = image(kSidekickManifest, 'b');
    auto pod = podFromImages(std::move(apps), {});
    REQUIRE(pod);
    REQUIRE(pod->manifest.volumes.size() == 1);
    CHECK(pod->manifest.volumes[0].name == "database");
    CHECK(pod->manifest.volumes[0].kind == "empty");
    CHECK(pod->manifest.apps[0].mounts.size() == 1);
}

TEST_CASE("host volumes resolve to their source, read-only from volume or mount point")
{
    std::string manifest = kSidekickManifest;
    manifest.replace(manifest.find("\"readOnly\":false"), 16, "\"readOnly\":true");
    std::vector<PodAppSource> apps(1);
    apps[0].image = image(manifest, 'b');
    auto pod = podFromImages(std::move(apps), {volume("database,kind=host,source=/srv/db")});
    REQUIRE(pod);
    auto plans = planAppcApps(*pod, "");
    REQUIRE(plans);
    const auto& mount = (*plans)[0].mounts.at(0);
    CHECK(mount.kind == AppcMount::Kind::Host);
    CHECK(mount.source == "/srv/db");
    CHECK(mount.readOnly);
    CHECK(mount.recursive);
    // No metadata service: no AC_METADATA_URL, but AC_APP_NAME still.
    CHECK((*plans)[0].appcEnv.size() == 1);
}

TEST_CASE("app names are derived, deduplicated, and given names win")
{
    std::vector<PodAppSource> apps(3);
    apps[0].image = image(kSidekickManifest, 'b');
    apps[1].image = image(kSidekickManifest, 'b');
    apps[2].image = image(kMainManifest, 'a');
    apps[2].name = "ace-validator-sidekick-2";
    auto pod = podFromImages(std::move(apps), {volume("database,kind=empty")});
    REQUIRE(pod);
    CHECK(pod->manifest.apps[0].name == "ace-validator-sidekick");
    CHECK(pod->manifest.apps[1].name == "ace-validator-sidekick-3");
    CHECK(pod->manifest.apps[2].name == "ace-validator-sidekick-2");

    std::vector<PodAppSource> bad(1);
    bad[0].image = image(kSidekickManifest, 'b');
    bad[0].name = "Not_Valid";
    CHECK_FALSE(podFromImages(std::move(bad), {}));
}

TEST_CASE("a user's pod manifest is resolved through the resolver and reified")
{
    const std::string text = R"({"acVersion":"0.8.11","acKind":"PodManifest",
      "apps":[{"name":"worker","image":{"name":"coreos.com/ace-validator-sidekick"},
               "app":{"exec":["/bin/work","--fast"],"user":"33","group":"33",
                      "mountPoints":[{"name":"work","path":"/mnt/work"}]},
               "mounts":[{"volume":"scratch","path":"/tmp/x/"}],
               "annotations":[{"name":"foo","value":"baz"}]}],
      "volumes":[{"name":"work","kind":"host","source":"/opt/work","readOnly":true},
                 {"name":"scratch","kind":"empty","mode":"0700","uid":33,"gid":33}],
      "annotations":[{"name":"ip-address","value":"10.1.2.3"}]})";
    auto manifest = parseAciPodManifest(text);
    REQUIRE(manifest);
    std::vector<std::string> asked;
    PodImageResolver resolver = [&](const AciRuntimeImage& wanted) -> Result<PodImage> {
        asked.push_back(wanted.name.value_or(wanted.id));
        return image(kSidekickManifest, 'c');
    };
    // --volume late-binds "work" to another source.
    auto pod = podFromManifest(std::move(*manifest), resolver,
                               {volume("work,kind=host,source=/elsewhere")});
    REQUIRE(pod);
    CHECK(asked == std::vector<std::string>{"coreos.com/ace-validator-sidekick"});
    const auto& app = pod->manifest.apps[0];
    CHECK(app.image.id == "sha512-" + std::string(128, 'c'));
    auto plans = planAppcApps(*pod, "http://x");
    REQUIRE(plans);
    const auto& plan = (*plans)[0];
    CHECK(plan.spec.entrypoint == std::vector<std::string>{"/bin/work", "--fast"});
    CHECK(plan.spec.user == "33");
    CHECK(plan.spec.annotations.at("foo") == "baz");
    REQUIRE(plan.mounts.size() == 2);
    CHECK(plan.mounts[0].path == "/tmp/x");
    CHECK(plan.mounts[0].kind == AppcMount::Kind::Empty);
    CHECK(plan.mounts[0].mode == 0700);
    CHECK(plan.mounts[0].uid == 33);
    CHECK(plan.mounts[1].path == "/mnt/work");
    CHECK(plan.mounts[1].source == "/elsewhere");
    CHECK_FALSE(plan.mounts[1].readOnly); // the --volume replaced the read-only one
}

TEST_CASE("pod manifests that cannot run are refused with the app and path named")
{
    auto attempt = [](const std::string& appJson, const std::string& volumesJson = "[]") {
        std::string text = R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[)" + appJson +
                           R"(],"volumes":)" + volumesJson + "}";
        auto manifest = parseAciPodManifest(text);
        REQUIRE(manifest);
        PodImageResolver resolver = [](const AciRuntimeImage&) -> Result<PodImage> {
            return image(kSidekickManifest, 'c');
        };
        auto pod = podFromManifest(std::move(*manifest), resolver);
        REQUIRE_FALSE(pod);
        return pod.error().message();
    };
    auto has = [](const std::string& text, std::string_view what) {
        return text.find(what) != std::string::npos;
    };
    auto error = attempt(R"({"name":"a","image":{"name":"x.com/a"},
                              "mounts":[{"volume":"nope","path":"/data"}]})");
    CHECK(has(error, "app 'a'"));
    CHECK(has(error, "volume 'nope'"));
    CHECK(has(error, "/data"));
    error = attempt(R"({"name":"a","image":{"name":"x.com/a"},
                        "mounts":[{"volume":"v","path":"/db/../etc"}]})",
                    R"([{"name":"v","kind":"empty"}])");
    CHECK(has(error, "'..'"));
    error = attempt(R"({"name":"a","image":{"name":"x.com/a"},
                        "mounts":[{"volume":"v","path":"/db/inner"}]})",
                    R"([{"name":"v","kind":"empty"}])");
    CHECK(has(error, "overlap")); // /db (the image's mount point) and /db/inner
    error = attempt(R"({"name":"a","image":{"name":"x.com/a"}})",
                    R"([{"name":"database","kind":"empty","mode":"rwx"}])");
    CHECK(has(error, "octal"));

    PodImageResolver failing = [](const AciRuntimeImage&) -> Result<PodImage> {
        return Error("no image x.com/a in the store");
    };
    auto manifest = parseAciPodManifest(
        R"({"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":{"name":"x.com/a"}}]})");
    REQUIRE(manifest);
    auto pod = podFromManifest(std::move(*manifest), failing);
    REQUIRE_FALSE(pod);
    CHECK(pod.error().message() == "app 'a': no image x.com/a in the store");
}

TEST_CASE("an image without an app needs one from the pod")
{
    std::vector<PodAppSource> apps(1);
    apps[0].image =
        image(R"({"acVersion":"0.8.11","acKind":"ImageManifest","name":"x.com/base"})", 'd');
    auto pod = podFromImages(std::move(apps), {});
    REQUIRE_FALSE(pod);
    CHECK(pod.error().message().find("has no app to run") != std::string::npos);
}
