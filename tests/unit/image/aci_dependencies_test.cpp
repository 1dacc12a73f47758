#include "aci_builder.hpp"

#include <berth/base/file.hpp>
#include <berth/image/aci_dependencies.hpp>
#include <berth/image/aci_import.hpp>
#include <berth/store/store.hpp>
#include <doctest/doctest.h>
#include <unistd.h>

using namespace berth;
using namespace acitest;

namespace
{

struct Fixture {
    std::string dir;
    std::unique_ptr<Store> store;
    int counter = 0;

    Fixture()
    {
        char tmpl[] = "/tmp/berth-aci-deps-test-XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        dir = tmpl;
        auto opened = Store::open(dir + "/store");
        REQUIRE(opened);
        store = std::move(*opened);
    }
    ~Fixture() { (void)removeTree(dir); }

    // Imports an ACI named `name` with the given labels and dependencies
    // (JSON fragments), and a file of its own so every image differs.
    ImageRecord add(const std::string& name, const std::string& labels = "[]",
                    const std::string& dependencies = "[]", int64_t importedAt = 0)
    {
        std::string manifest =
            manifestJson(name, ",\"labels\":" + labels + ",\"dependencies\":" + dependencies);
        std::vector<Entry> entries = {{"manifest", manifest},
                                      {"rootfs", "", AE_IFDIR},
                                      {"rootfs/" + std::to_string(++counter), name}};
        std::string path = dir + "/" + std::to_string(counter) + ".aci";
        writePacked(path, makeTar(entries), Packing::Gzip);
        ImportOptions options;
        options.allowUnsigned = true;
        auto record = importAciFile(*store, path, options);
        REQUIRE_MESSAGE(record, (record ? "" : record.error().message()));
        if (importedAt) {
            record->importedAt = importedAt;
            REQUIRE(store->index().putImage(*record));
        }
        return *record;
    }
};

std::string dep(const std::string& name, const std::string& extra = {})
{
    return R"({"imageName":")" + name + "\"" + extra + "}";
}

std::vector<std::string> names(const std::vector<ImageRecord>& records)
{
    std::vector<std::string> out;
    for (const auto& r : records)
        out.push_back(r.name);
    return out;
}

} // namespace

TEST_CASE("dependencies come first, recursively and in manifest order, the image last")
{
    Fixture f;
    f.add("example.com/root");
    f.add("example.com/base", R"([{"name":"version","value":"1"}])",
          "[" + dep("example.com/root") + "]");
    f.add("example.com/extra");
    ImageRecord app =
        f.add("example.com/app", "[]",
              "[" + dep("example.com/base", R"(,"labels":[{"name":"version","value":"1"}])") + "," +
                  dep("example.com/extra") + "]");
    auto order = resolveAciDependencies(*f.store, app);
    REQUIRE_MESSAGE(order, (order ? "" : order.error().message()));
    CHECK(names(*order) == std::vector<std::string>{"example.com/root", "example.com/base",
                                                    "example.com/extra", "example.com/app"});
}

TEST_CASE("an image without dependencies resolves to itself; a shared one is listed once")
{
    Fixture f;
    ImageRecord alone = f.add("example.com/alone");
    auto single = resolveAciDependencies(*f.store, alone);
    REQUIRE(single);
    CHECK(names(*single) == std::vector<std::string>{"example.com/alone"});

    f.add("example.com/c");
    f.add("example.com/a", "[]", "[" + dep("example.com/c") + "]");
    f.add("example.com/b", "[]", "[" + dep("example.com/c") + "]");
    ImageRecord top = f.add("example.com/top", "[]",
                            "[" + dep("example.com/a") + "," + dep("example.com/b") + "]");
    auto order = resolveAciDependencies(*f.store, top);
    REQUIRE(order);
    CHECK(names(*order) == std::vector<std::string>{"example.com/c", "example.com/a",
                                                    "example.com/b", "example.com/top"});
}

TEST_CASE("a missing dependency is named with its dependent and the fix")
{
    Fixture f;
    f.add("example.com/mid", "[]", "[" + dep("example.com/missing") + "]");
    ImageRecord app = f.add("example.com/app", "[]", "[" + dep("example.com/mid") + "]");
    auto order = resolveAciDependencies(*f.store, app);
    REQUIRE_FALSE(order);
    CHECK(order.error().message() ==
          "dependency 'example.com/missing' of 'example.com/mid' is not in the store; fetch it "
          "first");
}

TEST_CASE("a dependency cycle is refused, naming the chain")
{
    Fixture f;
    f.add("example.com/a", "[]", "[" + dep("example.com/b") + "]");
    ImageRecord b = f.add("example.com/b", "[]", "[" + dep("example.com/a") + "]");
    auto order = resolveAciDependencies(*f.store, b);
    REQUIRE_FALSE(order);
    CHECK(order.error().message() ==
          "ACI dependency cycle: example.com/b -> example.com/a -> example.com/b");

    ImageRecord self = f.add("example.com/self", "[]", "[" + dep("example.com/self") + "]");
    auto selfOrder = resolveAciDependencies(*f.store, self);
    REQUIRE_FALSE(selfOrder);
    CHECK(selfOrder.error().message().find("cycle") != std::string::npos);
}

TEST_CASE("labels choose among versions; without a version the newest import wins")
{
    Fixture f;
    ImageRecord v1 = f.add("example.com/base",
                           R"([{"name":"version","value":"1"},{"name":"os","value":"linux"},)"
                           R"({"name":"arch","value":"amd64"}])",
                           "[]", 1000);
    ImageRecord v2 = f.add("example.com/base",
                           R"([{"name":"version","value":"2"},{"name":"os","value":"linux"},)"
                           R"({"name":"arch","value":"amd64"}])",
                           "[]", 2000);
    AciDependency byVersion{"example.com/base", std::nullopt, {{"version", "1"}}};
    auto found = findAciDependency(*f.store, byVersion, "t");
    REQUIRE(found);
    CHECK(found->id == v1.id);

    AciDependency newest{"example.com/base", std::nullopt, {}};
    found = findAciDependency(*f.store, newest, "t");
    REQUIRE(found);
    CHECK(found->id == v2.id);

    AciDependency byArch{"example.com/base", std::nullopt, {{"os", "linux"}, {"arch", "amd64"}}};
    found = findAciDependency(*f.store, byArch, "t");
    REQUIRE(found);
    CHECK(found->id == v2.id);

    AciDependency wrongArch{"example.com/base", std::nullopt, {{"arch", "aarch64"}}};
    auto none = findAciDependency(*f.store, wrongArch, "example.com/app");
    REQUIRE_FALSE(none);
    CHECK(none.error().message() == "dependency 'example.com/base (arch=aarch64)' of "
                                    "'example.com/app' is not in the store; fetch it first");
}

TEST_CASE("a pinned image ID, full or shortened, selects exactly that image")
{
    Fixture f;
    ImageRecord v1 = f.add("example.com/base", R"([{"name":"version","value":"1"}])");
    f.add("example.com/base", R"([{"name":"version","value":"2"}])");
    AciDependency full{"example.com/base", v1.id, {}};
    auto found = findAciDependency(*f.store, full, "t");
    REQUIRE(found);
    CHECK(found->id == v1.id);
    AciDependency shortId{"example.com/base", v1.id.substr(0, 7 + 64), {}};
    found = findAciDependency(*f.store, shortId, "t");
    REQUIRE(found);
    CHECK(found->id == v1.id);
    AciDependency absent{"example.com/base", "sha512-" + std::string(128, '0'), {}};
    CHECK_FALSE(findAciDependency(*f.store, absent, "t"));
}
