#include <berth/base/file.hpp>
#include <berth/store/store.hpp>
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace berth;

namespace
{

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

// PRAGMA user_version of the database at `path`, read without berth.
int userVersion(const std::string& path)
{
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    int version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return version;
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

TEST_CASE("an image found by a name carries that name, not its record's")
{
    std::string root = tempDir();
    auto store = Store::open(root);
    REQUIRE(store);
    ImageIndex& index = (*store)->index();
    ImageRecord tool = makeRecord("tool", "attacker.example/tool", "latest");
    REQUIRE(index.putImage(tool));
    // Another name pointed at it, as any member of a shared store may.
    REQUIRE(index.tag("registry.example.com/prod/app", "latest", tool.id));

    auto asked = index.resolve("registry.example.com/prod/app");
    REQUIRE(asked);
    CHECK(asked->id == tool.id);
    CHECK(asked->name == "registry.example.com/prod/app");
    auto byName = index.findByName("registry.example.com/prod/app", "latest");
    REQUIRE(byName);
    REQUIRE(*byName);
    CHECK((*byName)->name == "registry.example.com/prod/app");
    // By ID there is no name but the record's.
    CHECK(index.resolve(tool.id)->name == "attacker.example/tool");
    CHECK(removeTree(root));
}

TEST_CASE("a malformed record is skipped by list, and the others stay usable")
{
    std::string root = tempDir();
    auto store = Store::open(root);
    REQUIRE(store);
    ImageIndex& index = (*store)->index();
    ImageRecord good = makeRecord("good", "localhost/good", "latest");
    REQUIRE(index.putImage(good));
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((root + "/index.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) ==
            SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "INSERT INTO images (id, imported_at, record) VALUES "
                         "('sha256:bad', 1, '{not json')",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);

    auto all = index.list();
    REQUIRE(all);
    REQUIRE(all->size() == 1);
    CHECK(all->front().id == good.id);
    CHECK(index.referencedBlobs());
    CHECK(index.resolve("localhost/good")->id == good.id);
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

TEST_CASE("a new index gets its schema version, and its WAL files outlive the connection")
{
    std::string root = tempDir();
    {
        auto store = Store::open(root);
        REQUIRE(store);
        REQUIRE((*store)->index().putImage(makeRecord("a", "a", "latest")));
    }
    // Persisted, so that the next run neither creates nor deletes them.
    CHECK(pathExists(root + "/index.db-wal"));
    CHECK(pathExists(root + "/index.db-shm"));
    CHECK(userVersion(root + "/index.db") == 1);
    auto again = Store::open(root);
    REQUIRE(again);
    CHECK((*again)->index().resolve("a"));
    CHECK(removeTree(root));
}

TEST_CASE("an index made before the schema version was kept is brought up to it")
{
    std::string root = tempDir();
    std::string path = root + "/index.db";
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    // The schema as berth created it before it set user_version.
    REQUIRE(sqlite3_exec(db,
                         "PRAGMA journal_mode=WAL;"
                         "CREATE TABLE images (id TEXT PRIMARY KEY, imported_at INTEGER NOT NULL,"
                         " record TEXT NOT NULL);"
                         "CREATE TABLE names (name TEXT NOT NULL, tag TEXT NOT NULL, id TEXT NOT "
                         "NULL REFERENCES images(id) ON DELETE CASCADE, PRIMARY KEY (name, tag));"
                         "CREATE INDEX names_by_id ON names(id);"
                         "CREATE TABLE cache (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    REQUIRE(userVersion(path) == 0);
    {
        auto index = ImageIndex::open(path);
        REQUIRE(index);
        REQUIRE((*index)->putImage(makeRecord("old", "old", "latest")));
        REQUIRE((*index)->putCache("k", "v"));
    }
    CHECK(userVersion(path) == 1);
    auto index = ImageIndex::open(path);
    REQUIRE(index);
    CHECK((*index)->resolve("old"));
    CHECK(*(*index)->getCache("k") == std::optional<std::string>("v"));
    CHECK(removeTree(root));
}

TEST_CASE("twenty processes creating one index together all succeed")
{
    std::string root = tempDir();
    std::string path = root + "/index.db";
    constexpr int kProcesses = 20;
    pid_t pids[kProcesses];
    for (int i = 0; i < kProcesses; ++i) {
        pids[i] = ::fork();
        REQUIRE(pids[i] >= 0);
        if (pids[i] == 0) {
            auto index = ImageIndex::open(path);
            bool stored = index && (*index)->putImage(makeRecord("p" + std::to_string(i),
                                                                 "p" + std::to_string(i), "1"));
            ::_exit(stored ? 0 : 1);
        }
    }
    int failed = 0;
    for (pid_t pid : pids) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
    CHECK(failed == 0);
    auto index = ImageIndex::open(path);
    REQUIRE(index);
    CHECK((*index)->list()->size() == kProcesses);
    CHECK(userVersion(path) == 1);
    CHECK(removeTree(root));
}
