#include <berth/base/file.hpp>
#include <berth/store/store.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

using namespace berth;

namespace {

std::string tempDir()
{
    char tmpl[] = "/tmp/berth-index-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    return tmpl;
}

ImageRecord makeRecord(const std::string& content, const std::string& name, const std::string& tag)
{
    ImageRecord r;
    Digest config = Hasher::hash(DigestAlgorithm::Sha256, content);
    r.id = config.str();
    r.configDigest = config;
    r.manifestDigest = Hasher::hash(DigestAlgorithm::Sha256, "m" + content);
    Digest layer = Hasher::hash(DigestAlgorithm::Sha256, "l" + content);
    r.layers.push_back({layer, layer, "application/vnd.oci.image.layer.v1.tar", 10});
    r.name = name;
    r.tag = tag;
    r.importedAt = 1000;
    return r;
}

} // namespace

TEST_CASE("images are found by name, tag, ID and unique ID prefix")
{
    std::string root = tempDir();
    auto store = Store::open(root);
    REQUIRE(store);
    ImageIndex& index = (*store)->index();
    ImageRecord a = makeRecord("a", "localhost/busybox", "latest");
    ImageRecord b = makeRecord("b", "example.com/app", "1.0");
    REQUIRE(index.putImage(a));
    REQUIRE(index.putImage(b));

    CHECK(index.resolve("localhost/busybox")->id == a.id);
    CHECK(index.resolve("busybox")->id == a.id);
    CHECK(index.resolve("busybox:latest")->id == a.id);
    CHECK(index.resolve("example.com/app:1.0")->id == b.id);
    CHECK(index.resolve("example.com/app")->id == b.id);
    CHECK(index.resolve(a.id)->id == a.id);
    CHECK(index.resolve(a.id.substr(7, 12))->id == a.id);
    CHECK(index.resolve(a.id.substr(0, 19))->id == a.id);
    auto missing = index.resolve("nothing:here");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("not in the store") != std::string::npos);

    // Moving a tag points the name at the new image.
    ImageRecord a2 = makeRecord("a2", "localhost/busybox", "latest");
    REQUIRE(index.putImage(a2));
    CHECK(index.resolve("busybox")->id == a2.id);

    REQUIRE(index.removeImage(a.id));
    CHECK_FALSE(*index.findById(a.id));
    CHECK(index.list()->size() == 2);
    CHECK(removeTree(root));
}

TEST_CASE("the index survives a writer killed mid-transaction")
{
    std::string root = tempDir();
    {
        auto store = Store::open(root);
        REQUIRE(store);
        REQUIRE((*store)->index().putImage(makeRecord("kept", "kept", "latest")));
    }
    for (int round = 0; round < 5; ++round) {
        pid_t pid = ::fork();
        if (pid == 0) {
            auto s = Store::open(root);
            for (int i = 0;; ++i)
                (void)(*s)->index().putImage(
                    makeRecord("x" + std::to_string(round * 100000 + i), "churn", "latest"));
        }
        ::usleep(20000 + round * 7000);
        ::kill(pid, SIGKILL);
        int status;
        ::waitpid(pid, &status, 0);
    }
    auto store = Store::open(root);
    REQUIRE(store);
    CHECK((*store)->index().resolve("kept")->name == "kept");
    CHECK((*store)->index().resolve("churn"));
    REQUIRE((*store)->index().putImage(makeRecord("after", "after", "latest")));
    CHECK(removeTree(root));
}
