#include "test_keys.hpp"

#include <berth/base/child_process.hpp>
#include <berth/base/file.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <stdexcept>
#include <unistd.h>

using namespace berth;

TestKeys& TestKeys::get()
{
    static TestKeys keys;
    return keys;
}

TestKeys::TestKeys()
{
    char tmpl[] = "/tmp/berth-trust-keys-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    auto status = runProgram({"sh", BERTH_KEYS_SCRIPT, "make", dir_ + "/k"});
    if (!status || *status != 0) throw std::runtime_error("keys.sh make failed");
}

TestKeys::~TestKeys()
{
    (void)runProgram({"sh", BERTH_KEYS_SCRIPT, "stop", dir_ + "/k"});
    (void)removeTree(dir_);
}

std::string TestKeys::fingerprint(const std::string& name) const
{
    std::string fpr = *readFile(dir_ + "/k/" + name + ".fpr");
    while (!fpr.empty() && fpr.back() == '\n')
        fpr.pop_back();
    return fpr;
}

std::string TestKeys::armored(const std::string& name) const
{
    return *readFile(dir_ + "/k/" + name + ".asc");
}

KeyMaterial TestKeys::material(const std::string& name) const
{
    return {fingerprint(name), armored(name)};
}

std::string TestKeys::sign(const std::string& name, const std::string& mode,
                           const std::string& data) const
{
    std::string input = dir_ + "/input-" + randomHex(4);
    std::string output = input + ".sig";
    REQUIRE(writeFileAtomic(input, data));
    auto status =
        runProgram({"sh", BERTH_KEYS_SCRIPT, "sign", dir_ + "/k", name, mode, input, output});
    REQUIRE(status);
    REQUIRE(*status == 0);
    std::string signature = *readFile(output);
    (void)::unlink(input.c_str());
    (void)::unlink(output.c_str());
    return signature;
}

std::string TestKeys::tempDir(const std::string& tag) const
{
    std::string path = dir_ + "/" + tag + "-" + randomHex(4);
    REQUIRE(makeDirectories(path, 0700));
    return path;
}
