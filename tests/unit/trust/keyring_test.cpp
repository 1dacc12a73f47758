#include <algorithm>
#include <berth/base/file.hpp>
#include <berth/trust/keyring.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace berth;

namespace
{

const std::string kA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const std::string kC = "cccccccccccccccccccccccccccccccccccccccc";
const std::string kD = "dddddddddddddddddddddddddddddddddddddddd";

struct Fixture {
    std::string root;
    KeyringPaths paths;

    Fixture()
    {
        char tmpl[] = "/tmp/berth-keyring-test-XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        root = tmpl;
        paths = {root + "/usr-lib", root + "/etc", root + "/home/.config/berth/trustedkeys"};
    }
    ~Fixture() { (void)removeTree(root); }

    void put(const std::string& dir, const std::string& rel, const std::string& content)
    {
        std::string path = dir + "/" + rel;
        REQUIRE(makeDirectories(path.substr(0, path.rfind('/'))));
        REQUIRE(writeFileAtomic(path, content));
    }
};

std::vector<std::string> describe(const std::vector<TrustedKey>& keys)
{
    std::vector<std::string> out;
    for (const auto& key : keys)
        out.push_back((key.isRoot() ? std::string("root") : key.prefix) + " " +
                      key.fingerprint.substr(0, 1) + " " + keyStoreName(key.store));
    return out;
}

} // namespace

TEST_CASE("the user's keyring follows XDG_CONFIG_HOME, else HOME")
{
    std::string oldHome = std::getenv("HOME") ? std::getenv("HOME") : "";
    ::setenv("XDG_CONFIG_HOME", "/xdg", 1);
    CHECK(KeyringPaths::defaults().user == "/xdg/berth/trustedkeys");
    ::setenv("XDG_CONFIG_HOME", "relative", 1); // not absolute: ignored, as XDG says
    ::setenv("HOME", "/home/u", 1);
    CHECK(KeyringPaths::defaults().user == "/home/u/.config/berth/trustedkeys");
    ::unsetenv("XDG_CONFIG_HOME");
    CHECK(KeyringPaths::defaults().user == "/home/u/.config/berth/trustedkeys");
    CHECK(KeyringPaths::defaults().system == "/etc/berth/trustedkeys");
    CHECK(KeyringPaths::defaults().vendor == "/usr/lib/berth/trustedkeys");
    ::setenv("HOME", oldHome.c_str(), 1);
}

TEST_CASE("listing merges the three keyrings; an empty /etc file masks the /usr/lib key")
{
    Fixture f;
    f.put(f.paths.vendor, "root.d/" + kA, "key A");
    f.put(f.paths.vendor, "root.d/" + kB, "key B");
    f.put(f.paths.system, "root.d/" + kA, ""); // masks vendor A
    f.put(f.paths.vendor, "prefix.d/example.com/" + kC, "key C");
    f.put(f.paths.system, "prefix.d/example.com/" + kC, "key C, admin's copy"); // replaces
    f.put(f.paths.user, "prefix.d/example.com%2Fapp/" + kD, "key D");
    f.put(f.paths.user, "root.d/" + kC, ""); // empty outside /etc: ignored, masks nothing
    f.put(f.paths.user, "root.d/not-a-fingerprint", "junk");
    f.put(f.paths.user, "prefix.d/example.com%2fapp/" + kA, "non-canonical dir: ignored");

    Keyring keyring(f.paths);
    auto keys = keyring.list();
    REQUIRE(keys);
    CHECK(describe(*keys) == std::vector<std::string>{"root b vendor", "example.com c system",
                                                      "example.com/app d user"});
    auto replaced = std::find_if(keys->begin(), keys->end(),
                                 [](const TrustedKey& k) { return k.fingerprint == kC; });
    CHECK(replaced->path == f.paths.system + "/prefix.d/example.com/" + kC);
}

TEST_CASE("keys for an image are its prefix chain, longest first, then the root keys")
{
    Fixture f;
    f.put(f.paths.user, "root.d/" + kA, "A");
    f.put(f.paths.user, "prefix.d/example.com/" + kB, "B");
    f.put(f.paths.user, "prefix.d/example.com%2Fapp/" + kC, "C");
    f.put(f.paths.user, "prefix.d/example.com%2Fapplication/" + kD, "D");

    Keyring keyring(f.paths);
    auto keys = keyring.keysFor("example.com/app/worker");
    REQUIRE(keys);
    CHECK(describe(*keys) ==
          std::vector<std::string>{"example.com/app c user", "example.com b user", "root a user"});
    CHECK(*keyring.trusts("example.com/app", kC));
    CHECK_FALSE(*keyring.trusts("example.com/other", kC));
    CHECK(*keyring.trusts("example.com/other", kB));
    CHECK(*keyring.trusts("elsewhere.org/x", kA.substr(0, 40)));
    CHECK_FALSE(*keyring.trusts("example.com/app", kD)); // sibling, not parent
}

TEST_CASE("adding writes the key under its fingerprint; removing takes it away")
{
    Fixture f;
    Keyring keyring(f.paths);
    auto added = keyring.add(KeyStore::User, KeyScope::forPrefix("example.com/app"),
                             kB.substr(0, 40), "ARMORED B");
    REQUIRE(added);
    CHECK(added->path == f.paths.user + "/prefix.d/example.com%2Fapp/" + kB);
    CHECK(*readFile(added->path) == "ARMORED B");
    REQUIRE(keyring.add(KeyStore::User, KeyScope::root(), kA, "ARMORED A"));
    CHECK(*keyring.trusts("example.com/app", kB));

    CHECK_FALSE(keyring.add(KeyStore::Vendor, KeyScope::root(), kA, "x"));
    CHECK_FALSE(keyring.add(KeyStore::User, KeyScope::forPrefix("../x"), kA, "x"));
    CHECK_FALSE(keyring.add(KeyStore::User, KeyScope::root(), "../../etc/passwd", "x"));
    CHECK_FALSE(keyring.add(KeyStore::User, KeyScope::root(), kA, "")); // would be a mask

    auto wrongScope = keyring.remove(KeyStore::User, kB, KeyScope::forPrefix("example.com"));
    REQUIRE_FALSE(wrongScope);
    CHECK(wrongScope.error().message().find("example.com/app") != std::string::npos);

    auto removed = keyring.remove(KeyStore::User, kB, KeyScope::anywhere());
    REQUIRE(removed);
    CHECK(removed->size() == 1);
    CHECK_FALSE(*keyring.trusts("example.com/app", kB));
    CHECK_FALSE(keyring.remove(KeyStore::User, kB, KeyScope::anywhere()));
}

TEST_CASE("removing a distribution key from the system keyring masks it")
{
    Fixture f;
    f.put(f.paths.vendor, "root.d/" + kA, "vendor A");
    Keyring keyring(f.paths);
    CHECK_FALSE(keyring.remove(KeyStore::Vendor, kA, KeyScope::root()));
    CHECK_FALSE(keyring.remove(KeyStore::User, kA, KeyScope::root()));
    auto removed = keyring.remove(KeyStore::System, kA, KeyScope::root());
    REQUIRE(removed);
    CHECK(removed->at(0).store == KeyStore::Vendor);
    CHECK(pathExists(f.paths.vendor + "/root.d/" + kA)); // untouched
    CHECK(*readFile(f.paths.system + "/root.d/" + kA) == "");
    CHECK(keyring.list()->empty());

    // The admin trusting it again replaces the mask.
    REQUIRE(keyring.add(KeyStore::System, KeyScope::root(), kA, "admin A"));
    CHECK(keyring.list()->size() == 1);
    // And removing the admin's copy masks again rather than bringing vendor's back.
    REQUIRE(keyring.remove(KeyStore::System, kA, KeyScope::anywhere()));
    CHECK(keyring.list()->empty());
}

TEST_CASE("an unreadable keyring directory is an error, not an empty keyring")
{
    if (::geteuid() == 0) {
        MESSAGE("skipped: root reads any directory");
        return;
    }
    Fixture f;
    f.put(f.paths.system, "root.d/" + kA, "");
    REQUIRE(::chmod((f.paths.system + "/root.d").c_str(), 0) == 0);
    Keyring keyring(f.paths);
    CHECK_FALSE(keyring.list());
    ::chmod((f.paths.system + "/root.d").c_str(), 0755);
}

TEST_CASE("the system keyring is shared by its group whatever the umask; the user's is not")
{
    Fixture f;
    Keyring keyring(f.paths);
    auto modeOf = [](const std::string& path) {
        struct stat st;
        REQUIRE(::stat(path.c_str(), &st) == 0);
        return st.st_mode & 07777;
    };
    // A prefix directory an older berth made under its creator's umask.
    REQUIRE(makeDirectories(f.paths.system + "/prefix.d/example.com%2Fold", 0755));
    REQUIRE(::chmod((f.paths.system + "/prefix.d/example.com%2Fold").c_str(), 0755) == 0);
    mode_t saved = ::umask(077);
    auto added = keyring.add(KeyStore::System, KeyScope::forPrefix("example.com/app"), kA, "A");
    auto old = keyring.add(KeyStore::System, KeyScope::forPrefix("example.com/old"), kB, "B");
    auto root = keyring.add(KeyStore::System, KeyScope::root(), kC, "C");
    auto mine = keyring.add(KeyStore::User, KeyScope::forPrefix("example.com/app"), kD, "D");
    ::umask(saved);
    REQUIRE(added);
    REQUIRE(old);
    REQUIRE(root);
    REQUIRE(mine);
    for (const char* dir :
         {"", "/prefix.d", "/prefix.d/example.com%2Fapp", "/prefix.d/example.com%2Fold", "/root.d"})
        CHECK_MESSAGE(modeOf(f.paths.system + dir) == 02775, dir);
    CHECK(modeOf(added->path) == 0664);
    CHECK(modeOf(old->path) == 0664);
    CHECK(modeOf(root->path) == 0664);
    // The user's own keys stay as private as the umask makes them.
    CHECK(modeOf(f.paths.user + "/prefix.d/example.com%2Fapp") == 0700);
    CHECK(modeOf(mine->path) == 0600);

    // A mask written by removal is shared the same way.
    f.put(f.paths.vendor, "prefix.d/example.com%2Fvendor/" + kB, "vendor B");
    saved = ::umask(077);
    auto removed = keyring.remove(KeyStore::System, kB, KeyScope::forPrefix("example.com/vendor"));
    ::umask(saved);
    REQUIRE(removed);
    CHECK(modeOf(f.paths.system + "/prefix.d/example.com%2Fvendor") == 02775);
    CHECK(modeOf(f.paths.system + "/prefix.d/example.com%2Fvendor/" + kB) == 0664);
}
