#include <berth/image/aci_manifest.hpp>
#include <doctest/doctest.h>
#include <string>

using namespace berth;

namespace
{

// A manifest as actool and the appc examples write it.
const char* kFull = R"({
  "acKind": "ImageManifest",
  "acVersion": "0.8.11",
  "name": "example.com/reduce-worker",
  "labels": [
    {"name": "version", "value": "1.0.0"},
    {"name": "arch", "value": "amd64"},
    {"name": "os", "value": "linux"}
  ],
  "app": {
    "exec": ["/usr/bin/reduce-worker", "--quiet"],
    "user": "100",
    "group": "300",
    "supplementaryGIDs": [400, 500],
    "eventHandlers": [
      {"exec": ["/usr/bin/data-downloader"], "name": "pre-start"},
      {"exec": ["/usr/bin/deregister-worker", "--verbose"], "name": "post-stop"}
    ],
    "workingDirectory": "/opt/work",
    "environment": [{"name": "REDUCE_WORKER_DEBUG", "value": "true"}],
    "isolators": [
      {"name": "resource/cpu", "value": {"request": "250m", "limit": "500m"}},
      {"name": "os/linux/capabilities-retain-set", "value": {"set": ["CAP_NET_BIND_SERVICE"]}}
    ],
    "mountPoints": [{"name": "work", "path": "/var/lib/work", "readOnly": false}],
    "ports": [{"name": "health", "port": 4000, "protocol": "tcp", "socketActivated": true},
              {"name": "range", "port": 5000, "count": 3, "protocol": "udp"}]
  },
  "dependencies": [
    {"imageName": "example.com/reduce-worker-base",
     "imageID": "sha512-8d3fffddf79e9a232ffd19f9ccaa4d6b37a6a243dbe0f23137b108a043d9da13",
     "labels": [{"name": "os", "value": "linux"}, {"name": "env", "value": "canary"}],
     "size": 123}
  ],
  "pathWhitelist": ["/etc/ca/example.com/crt", "/usr/bin/map-reduce-worker"],
  "annotations": [
    {"name": "authors", "value": "Carly Container <carly@example.com>"},
    {"name": "created", "value": "2014-10-27T19:32:58.034Z"},
    {"name": "homepage", "value": "https://example.com/reduce-worker"}
  ],
  "someFutureKey": {"ignored": true}
})";

std::string minimal(const std::string& extra = {})
{
    return R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app")" + extra +
           "}";
}

std::string withApp(const std::string& app)
{
    return minimal(R"(,"app":)" + app);
}

std::string errorOf(std::string_view text)
{
    auto result = parseAciImageManifest(text);
    REQUIRE_FALSE(result);
    return result.error().message();
}

} // namespace

TEST_CASE("a full appc image manifest parses with every field")
{
    auto m = parseAciImageManifest(kFull);
    REQUIRE(m);
    CHECK(m->acVersion == "0.8.11");
    CHECK(m->name == "example.com/reduce-worker");
    CHECK(m->label("version") == "1.0.0");
    CHECK(m->label("os") == "linux");
    CHECK_FALSE(m->label("missing"));
    REQUIRE(m->app);
    const AciApp& app = *m->app;
    CHECK(app.exec == std::vector<std::string>{"/usr/bin/reduce-worker", "--quiet"});
    CHECK(app.user == "100");
    CHECK(app.group == "300");
    CHECK(app.supplementaryGids == std::vector<uint32_t>{400, 500});
    CHECK(app.workingDirectory == "/opt/work");
    REQUIRE(app.environment.size() == 1);
    CHECK(app.environment[0].first == "REDUCE_WORKER_DEBUG");
    REQUIRE(app.eventHandlers.size() == 2);
    CHECK(app.eventHandlers[1].name == "post-stop");
    CHECK(app.eventHandlers[1].exec.size() == 2);
    REQUIRE(app.isolators.size() == 2);
    CHECK(app.isolators[0].name == "resource/cpu");
    CHECK(app.isolators[0].rawValue == R"({"limit":"500m","request":"250m"})");
    REQUIRE(app.mountPoints.size() == 1);
    CHECK(app.mountPoints[0].path == "/var/lib/work");
    REQUIRE(app.ports.size() == 2);
    CHECK(app.ports[0].port == 4000);
    CHECK(app.ports[0].count == 1); // 0/absent means one port
    CHECK(app.ports[0].socketActivated);
    CHECK(app.ports[1].count == 3);
    REQUIRE(m->dependencies.size() == 1);
    CHECK(m->dependencies[0].imageName == "example.com/reduce-worker-base");
    CHECK(m->dependencies[0].imageId ==
          "sha512-8d3fffddf79e9a232ffd19f9ccaa4d6b37a6a243dbe0f23137b108a043d9da13");
    CHECK(m->dependencies[0].labels.size() == 2);
    CHECK(m->dependencies[0].size == 123);
    CHECK(m->pathWhitelist.size() == 2);
    CHECK(m->annotation("authors") == "Carly Container <carly@example.com>");
}

TEST_CASE("supplementary GIDs are found under both spellings, and other keys ignoring case")
{
    auto upper = parseAciImageManifest(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "supplementaryGIDs":[1,2]})"));
    auto lower = parseAciImageManifest(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "supplementaryGids":[1,2]})"));
    REQUIRE(upper);
    REQUIRE(lower);
    CHECK(upper->app->supplementaryGids == std::vector<uint32_t>{1, 2});
    CHECK(lower->app->supplementaryGids == std::vector<uint32_t>{1, 2});
    // Go's encoding/json matches keys ignoring case; the reference therefore does too.
    auto odd = parseAciImageManifest(
        R"({"ACKind":"ImageManifest","acversion":"0.8.11","Name":"example.com/app"})");
    REQUIRE(odd);
    CHECK(odd->name == "example.com/app");
}

TEST_CASE("a minimal manifest without app, labels or dependencies is valid; null is absent")
{
    auto m = parseAciImageManifest(minimal(R"(,"app":null,"labels":null)"));
    REQUIRE(m);
    CHECK_FALSE(m->app);
    CHECK(m->labels.empty());
    CHECK(m->dependencies.empty());
}

TEST_CASE("names must be AC identifiers")
{
    for (const char* good : {"example.com/app", "a", "a-b_c~d/e.f", "coreos.com/etcd", "0"})
        CHECK_MESSAGE(isValidAcIdentifier(good), good);
    for (const char* bad : {"", "Example.com/app", "-app", "app/", "a b", "a:b", "app.",
                            "example.com/ünïcode", "a@b"})
        CHECK_FALSE_MESSAGE(isValidAcIdentifier(bad), bad);
    CHECK(isValidAcName("my-app-1"));
    CHECK_FALSE(isValidAcName("my_app"));
    CHECK_FALSE(isValidAcName("my.app"));
    CHECK(errorOf(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"Bad/Name"})")
              .find("not an AC identifier") != std::string::npos);
    CHECK(sanitizeAcIdentifier("Docker.io:5000/Library/Busybox") ==
          "docker.io_5000/library/busybox");
    CHECK(sanitizeAcName("/var/lib/data") == "var-lib-data");
}

TEST_CASE("acKind, acVersion and name are checked")
{
    CHECK(errorOf(R"({"acKind":"PodManifest","acVersion":"0.8.11","name":"a"})")
              .find("acKind must be \"ImageManifest\"") != std::string::npos);
    CHECK(errorOf(R"({"acVersion":"0.8.11","name":"a"})").find("acKind must be set") !=
          std::string::npos);
    CHECK(errorOf(R"({"acKind":"ImageManifest","name":"a"})").find("acVersion must be set") !=
          std::string::npos);
    CHECK(errorOf(R"({"acKind":"ImageManifest","acVersion":"0.8","name":"a"})")
              .find("not a semantic version") != std::string::npos);
    CHECK(errorOf(R"({"acKind":"ImageManifest","acVersion":"0.0.0","name":"a"})")
              .find("not a semantic version") != std::string::npos);
    CHECK(parseAciImageManifest(R"({"acKind":"ImageManifest","acVersion":"1.2.3-rc.1+build.5",
        "name":"a"})"));
    CHECK(errorOf(R"({"acKind":"ImageManifest","acVersion":"0.8.11"})")
              .find("\"name\" must be "
                    "set") != std::string::npos);
}

TEST_CASE("truncated JSON, wrong types and a non-object are refused with a message")
{
    std::string full = kFull;
    for (size_t cut : {size_t{0}, size_t{1}, full.size() / 2, full.size() - 1})
        CHECK(errorOf(full.substr(0, cut)).find("malformed JSON in image manifest") !=
              std::string::npos);
    CHECK(errorOf("[]").find("expected a JSON object") != std::string::npos);
    CHECK(errorOf(R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":7})")
              .find("\"name\" must be a string") != std::string::npos);
    CHECK(errorOf(minimal(R"(,"labels":{"os":"linux"})")).find("labels") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":"/bin/sh","user":"0","group":"0"})"))
              .find("\"exec\" must be a list of strings") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0","supplementaryGIDs":["1"]})"))
              .find("supplementaryGIDs") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0","supplementaryGIDs":[-1]})"))
              .find("out of range") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "ports":[{"name":"p","port":1.5}]})"))
              .find("\"port\" must be an integer") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "mountPoints":[{"name":"m","path":"/m","readOnly":"yes"}]})"))
              .find("true or false") != std::string::npos);
}

TEST_CASE("app rules of the reference: user, group, workingDirectory, env, handlers, ports")
{
    CHECK(errorOf(withApp(R"({"exec":["/x"],"group":"0"})")).find("user is required") !=
          std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0"})")).find("group is required") !=
          std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0","workingDirectory":"rel"})"))
              .find("absolute") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "environment":[{"name":"1BAD","value":""}]})"))
              .find("not valid") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "environment":[{"name":"A","value":"1"},{"name":"A","value":"2"}]})"))
              .find("duplicate environment") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "eventHandlers":[{"name":"pre-start","exec":["/a"]},{"name":"pre-start","exec":["/b"]}]})"))
              .find("only one eventHandler") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "eventHandlers":[{"name":"post-start","exec":["/a"]}]})"))
              .find("bad eventHandler") != std::string::npos);
    CHECK(errorOf(
              withApp(R"({"exec":["/x"],"user":"0","group":"0","ports":[{"name":"p","port":0}]})"))
              .find("1-65535") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "ports":[{"name":"p","port":65535,"count":2}]})"))
              .find("end of port range") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "mountPoints":[{"name":"m"}]})"))
              .find("path must be set") != std::string::npos);
    CHECK(errorOf(withApp(R"({"exec":["/x"],"user":"0","group":"0",
        "isolators":[{"name":"resource/memory"}]})"))
              .find("no \"value\"") != std::string::npos);
    // exec may be empty: the reference allows images that only serve as dependencies.
    CHECK(parseAciImageManifest(withApp(R"({"user":"0","group":"0"})")));
}

TEST_CASE("labels, annotations and dependencies are validated as the reference does")
{
    CHECK(errorOf(minimal(R"(,"labels":[{"name":"name","value":"x"}])")).find("\"name\"") !=
          std::string::npos);
    CHECK(errorOf(minimal(R"(,"labels":[{"name":"a","value":"1"},{"name":"a","value":"2"}])"))
              .find("duplicate label") != std::string::npos);
    CHECK(errorOf(minimal(R"(,"labels":[{"name":"os","value":"plan9"}])")).find("bad os") !=
          std::string::npos);
    CHECK(
        errorOf(
            minimal(R"(,"labels":[{"name":"os","value":"linux"},{"name":"arch","value":"arm64"}])"))
            .find("bad arch") != std::string::npos);
    CHECK(errorOf(minimal(R"(,"annotations":[{"name":"created","value":"yesterday"}])"))
              .find("RFC 3339") != std::string::npos);
    CHECK(errorOf(minimal(R"(,"annotations":[{"name":"homepage","value":"ftp://x"}])"))
              .find("http") != std::string::npos);
    CHECK(errorOf(minimal(R"(,"dependencies":[{"labels":[]}])")).find("imageName") !=
          std::string::npos);
    CHECK(errorOf(minimal(R"(,"dependencies":[{"imageName":"a","imageID":"sha256-abcd"}])"))
              .find("sha512-HEX") != std::string::npos);
    CHECK(errorOf(minimal(R"(,"dependencies":[{"imageName":"a","imageID":"sha512-../../x"}])"))
              .find("sha512-HEX") != std::string::npos);
}

TEST_CASE("an AppSpec is built from the manifest's app")
{
    auto m = parseAciImageManifest(kFull);
    REQUIRE(m);
    AppSpec spec = appSpecFromAciManifest(*m);
    CHECK(spec.name == "reduce-worker");
    CHECK(spec.entrypoint == m->app->exec);
    CHECK(spec.cmd.empty());
    CHECK(spec.user == "100");
    CHECK(spec.group == "300");
    CHECK(spec.supplementaryGids == std::vector<uint32_t>{400, 500});
    CHECK(spec.workingDirectory == "/opt/work");
    REQUIRE(spec.env.size() == 1);
    CHECK(spec.env[0].second == "true");
    CHECK(spec.ports.size() == 4); // 4000, and the 5000-5002 range
    CHECK(spec.mountPoints.size() == 1);
    CHECK(spec.eventHandlers.size() == 2);
    CHECK(spec.isolators.count("resource/cpu") == 1);
    CHECK(spec.labels.at("version") == "1.0.0");
    CHECK(spec.annotations.at("authors").starts_with("Carly"));
    CHECK(appSpecFromAciManifest(*m, "worker").name == "worker");
}

TEST_CASE("a serialized manifest parses back to the same content")
{
    auto m = parseAciImageManifest(kFull);
    REQUIRE(m);
    std::string text = serializeAciImageManifest(*m);
    CHECK(text.find("\"supplementaryGIDs\"") != std::string::npos);
    auto again = parseAciImageManifest(text);
    REQUIRE(again);
    CHECK(again->name == m->name);
    CHECK(again->labels == m->labels);
    CHECK(again->app->exec == m->app->exec);
    CHECK(again->app->supplementaryGids == m->app->supplementaryGids);
    CHECK(again->app->isolators[1].rawValue == m->app->isolators[1].rawValue);
    CHECK(again->dependencies[0].imageId == m->dependencies[0].imageId);
    CHECK(again->pathWhitelist == m->pathWhitelist);
}

TEST_CASE("a pod manifest parses apps, volumes, mounts and ports")
{
    auto pod = parseAciPodManifest(R"({
      "acVersion": "0.8.11",
      "acKind": "PodManifest",
      "apps": [
        {"name": "reduce-worker",
         "image": {"name": "example.com/reduce-worker",
                   "id": "sha512-8d3fffddf79e9a232ffd19f9ccaa4d6b",
                   "labels": [{"name": "version", "value": "1.0.0"}]},
         "app": {"exec": ["/bin/sh"], "user": "0", "group": "0", "supplementaryGids": [7]},
         "readOnlyRootFS": true,
         "mounts": [{"volume": "work", "path": "/var/lib/work"},
                    {"volume": "scratch", "path": "/tmp/s",
                     "appVolume": {"name": "scratch", "kind": "empty"}}]},
        {"name": "backup", "image": {"id": "sha512-aaaa"}}
      ],
      "volumes": [
        {"name": "work", "kind": "host", "source": "/opt/tenant1/work", "readOnly": true},
        {"name": "cache", "kind": "empty", "mode": "0700", "uid": 1000}
      ],
      "isolators": [{"name": "resource/memory", "value": {"limit": "4G"}}],
      "annotations": [{"name": "ip-address", "value": "10.1.2.3"}],
      "ports": [{"name": "health", "hostPort": 8080, "podPort": {"name": "health", "port": 4000, "protocol": "tcp"}}]
    })");
    REQUIRE(pod);
    REQUIRE(pod->apps.size() == 2);
    const AciRuntimeApp& app = pod->apps[0];
    CHECK(app.name == "reduce-worker");
    CHECK(app.image.name == "example.com/reduce-worker");
    CHECK(app.image.id == "sha512-8d3fffddf79e9a232ffd19f9ccaa4d6b");
    CHECK(app.readOnlyRootFs);
    REQUIRE(app.app);
    CHECK(app.app->supplementaryGids == std::vector<uint32_t>{7});
    REQUIRE(app.mounts.size() == 2);
    REQUIRE(app.mounts[1].appVolume);
    CHECK(app.mounts[1].appVolume->mode == "0755"); // defaulted as the reference does
    CHECK_FALSE(pod->apps[1].image.name);
    REQUIRE(pod->volumes.size() == 2);
    CHECK(pod->volumes[0].readOnly == true);
    CHECK(pod->volumes[1].mode == "0700");
    CHECK(pod->volumes[1].uid == 1000);
    CHECK(pod->volumes[1].gid == 0);
    CHECK(pod->isolators.size() == 1);
    REQUIRE(pod->ports.size() == 1);
    CHECK(pod->ports[0].hostPort == 8080);
    REQUIRE(pod->ports[0].podPort);
    CHECK(pod->ports[0].podPort->port == 4000);

    AppSpec base;
    base.name = "reduce-worker";
    base.entrypoint = {"/image/default"};
    AppSpec overridden = appSpecFromAciApp(*app.app, base);
    CHECK(overridden.entrypoint == std::vector<std::string>{"/bin/sh"});
    CHECK(overridden.name == "reduce-worker");
}

TEST_CASE("pod manifest rules: kind, unique apps and volumes, volume kinds")
{
    auto pod = [](const std::string& body) {
        return parseAciPodManifest(R"({"acVersion":"0.8.11","acKind":"PodManifest")" + body + "}");
    };
    CHECK(pod(""));
    CHECK_FALSE(parseAciPodManifest(R"({"acVersion":"0.8.11","acKind":"ImageManifest"})"));
    CHECK_FALSE(pod(
        R"(,"apps":[{"name":"a","image":{"id":"sha512-aa"}},{"name":"a","image":{"id":"sha512-bb"}}])"));
    CHECK_FALSE(pod(R"(,"apps":[{"name":"A_b"}])"));
    CHECK_FALSE(pod(
        R"(,"volumes":[{"name":"v","kind":"host","source":"/a"},{"name":"v","kind":"host","source":"/b"}])"));
    CHECK_FALSE(pod(R"(,"volumes":[{"name":"v","kind":"host","source":"relative"}])"));
    CHECK_FALSE(pod(R"(,"volumes":[{"name":"v","kind":"host"}])"));
    CHECK_FALSE(pod(R"(,"volumes":[{"name":"v","kind":"host","source":"/a","mode":"0700"}])"));
    CHECK_FALSE(pod(R"(,"volumes":[{"name":"v","kind":"empty","source":"/a"}])"));
    CHECK_FALSE(pod(R"(,"volumes":[{"name":"v","kind":"tmpfs"}])"));
    CHECK_FALSE(pod(R"(,"apps":[{"name":"a","mounts":[{"volume":"v"}]}])"));
    CHECK_FALSE(pod(R"(,"apps":[{"name":"a","app":{"exec":["/x"]}}])"));
}

TEST_CASE("deeply nested JSON is refused before it can exhaust the stack")
{
    std::string deep(400000, '[');
    deep += std::string(400000, ']');
    std::string image = R"({"acKind":"ImageManifest","acVersion":"0.8.11","name":"a",)"
                        R"("app":{"user":"0","group":"0","isolators":[{"name":"x","value":)" +
                        deep + "}]}}";
    CHECK(errorOf(image).find("nested deeper") != std::string::npos);
    auto pod =
        parseAciPodManifest(R"({"acKind":"PodManifest","acVersion":"0.8.11","x":)" + deep + "}");
    REQUIRE_FALSE(pod);
    CHECK(pod.error().message().find("nested deeper") != std::string::npos);
    // Brackets inside strings do not count.
    CHECK(parseAciImageManifest(minimal(R"(,"annotations":[{"name":"x","value":")" +
                                        std::string(100, '[') + "\\\"" + "\"}]")));
}

TEST_CASE("a label, annotation or port read without a name is written back readable")
{
    // Found by the aci_manifest fuzzer: the entry was read (the appc
    // reference reads it too) and written back with "name": "", which is
    // refused, so an exported image could not be imported again.
    auto manifest = parseAciImageManifest(R"({"acKind": "ImageManifest", "acVersion": "0.8.11",
        "name": "example.com/x", "labels": [{"value": "amd64"}],
        "annotations": [{"value": "a"}],
        "app": {"exec": ["/x"], "user": "0", "group": "0", "ports": [{"protocol": "tcp", "port": 80}]}})");
    REQUIRE(manifest);
    auto again = parseAciImageManifest(serializeAciImageManifest(*manifest));
    REQUIRE(again);
    CHECK(again->labels == manifest->labels);
    CHECK(again->annotations == manifest->annotations);
    REQUIRE(again->app);
    CHECK(again->app->ports.at(0).name.empty());
}
