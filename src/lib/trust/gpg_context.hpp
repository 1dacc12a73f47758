#pragma once

// gpgme wrappers shared by the trust sources; no other area includes this.

#include <berth/base/result.hpp>
#include <gpgme.h>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace berth::gpg
{

// Initializes gpgme once and checks that the OpenPGP engine (gpg) exists.
Result<void> initialize();

// An Error from a gpgme error code: "WHAT: gpgme's description".
Error error(const std::string& what, gpgme_error_t err);

// Where temporary GNUPGHOMEs go when the caller names no place: $TMPDIR,
// else /tmp.
std::string defaultScratchDirectory();

// A fresh GNUPGHOME holding nothing, removed with everything in it when
// dropped. Verification imports only the keys that apply into one of these,
// so the user's own keyring, its trust settings and its agent never take
// part. gpg.conf forbids starting an agent or dirmngr and fetching keys: a
// verifier has no business with either (and no network in its stage).
class TemporaryHome
{
public:
    static Result<TemporaryHome> create(const std::string& parentDir);
    TemporaryHome(TemporaryHome&& other) noexcept;
    TemporaryHome& operator=(TemporaryHome&&) = delete;
    TemporaryHome(const TemporaryHome&) = delete;
    ~TemporaryHome();

    const std::string& path() const { return path_; }

private:
    explicit TemporaryHome(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

// Owns a gpgme context for the OpenPGP protocol.
class Context
{
public:
    // `homeDir` empty: gpg's default (GNUPGHOME or ~/.gnupg), for signing with
    // the user's own keys.
    static Result<Context> create(const std::string& homeDir);
    Context(Context&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
    Context& operator=(Context&&) = delete;
    Context(const Context&) = delete;
    ~Context();

    gpgme_ctx_t get() const { return ctx_; }

private:
    explicit Context(gpgme_ctx_t ctx) : ctx_(ctx) {}
    gpgme_ctx_t ctx_ = nullptr;
};

// Owns a gpgme data object.
class Data
{
public:
    // Borrows `bytes`, which must outlive the Data.
    static Result<Data> fromMemory(std::string_view bytes);
    // Reads `fd` from its current offset; the fd is borrowed.
    static Result<Data> fromFd(int fd);
    // An output sink in memory that fails (so the gpgme operation fails) once
    // more than `maxBytes` are written: a small signed message can inflate to
    // any size.
    static Result<Data> limitedSink(size_t maxBytes);

    Data(Data&& other) noexcept;
    Data& operator=(Data&&) = delete;
    Data(const Data&) = delete;
    ~Data();

    gpgme_data_t get() const { return data_; }
    // What a sink received.
    std::string takeSink();
    bool sinkOverflowed() const;

private:
    struct Sink;
    Data() = default;
    gpgme_data_t data_ = nullptr;
    std::unique_ptr<Sink> sink_;
};

// Owns a key reference.
class Key
{
public:
    Key() = default;
    explicit Key(gpgme_key_t key) : key_(key) {}
    Key(Key&& other) noexcept : key_(std::exchange(other.key_, nullptr)) {}
    Key& operator=(Key&& other) noexcept;
    Key(const Key&) = delete;
    ~Key();

    gpgme_key_t get() const { return key_; }
    explicit operator bool() const { return key_ != nullptr; }

private:
    gpgme_key_t key_ = nullptr;
};

// Lowercases a fingerprint as gpgme reports it (uppercase hex).
std::string lowercase(std::string_view text);

} // namespace berth::gpg
