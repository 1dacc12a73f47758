#pragma once

#include <berth/trust/verifier.hpp>
#include <string>
#include <vector>

// Real OpenPGP keys made once per test program by tests/fixtures/keys/keys.sh
// (good, other, subkey, expired, revoked), and signing with them.
class TestKeys
{
public:
    static TestKeys& get();

    const std::string& dir() const { return dir_; }
    std::string fingerprint(const std::string& name) const;
    std::string armored(const std::string& name) const;
    berth::KeyMaterial material(const std::string& name) const;

    // mode: "detach" (armored detached) or "message" (binary signed message).
    std::string sign(const std::string& name, const std::string& mode,
                     const std::string& data) const;

    // A scratch directory removed at exit.
    std::string tempDir(const std::string& tag) const;

    ~TestKeys();

private:
    TestKeys();
    std::string dir_;
};
