#include "gpg_context.hpp"

#include <berth/base/file.hpp>
#include <berth/base/log.hpp>
#include <cerrno>
#include <clocale>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace berth::gpg
{

Error error(const std::string& what, gpgme_error_t err)
{
    return Error(what + ": " + gpgme_strerror(err));
}

Result<void> initialize()
{
    static std::once_flag once;
    static gpgme_error_t engineError = 0;
    std::call_once(once, [] {
        // gpgme requires this call before any other, to set up its internals.
        gpgme_check_version(nullptr);
        gpgme_set_locale(nullptr, LC_CTYPE, std::setlocale(LC_CTYPE, nullptr));
        engineError = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
    });
    if (engineError)
        return error("GnuPG (gpg) is needed to check signatures; install the 'gpg' package",
                     engineError);
    return ok();
}

std::string defaultScratchDirectory()
{
    if (const char* tmp = std::getenv("TMPDIR"); tmp && tmp[0] == '/') return tmp;
    return "/tmp";
}

Result<TemporaryHome> TemporaryHome::create(const std::string& parentDir)
{
    std::string pattern =
        (parentDir.empty() ? defaultScratchDirectory() : parentDir) + "/berth-gpg-XXXXXX";
    if (!::mkdtemp(pattern.data())) // 0700: gpg refuses a home others can read
        return Error::fromErrno("create temporary GnuPG home '" + pattern + "'");
    TemporaryHome home(pattern);
    BERTH_TRY(UniqueFd conf, openPath(pattern + "/gpg.conf", O_WRONLY | O_CREAT | O_EXCL, 0600));
    // no-autostart: verifying needs no agent and no dirmngr, and a stray agent
    // would outlive us. trust-model always: berth decides trust itself from
    // the keyring layout, so gpg's web of trust (and its trustdb) is unused.
    auto written = writeAll(conf.get(), "no-autostart\n"
                                        "no-auto-key-retrieve\n"
                                        "auto-key-locate local\n"
                                        "trust-model always\n");
    if (!written) return std::move(written).error().addContext("write '" + pattern + "/gpg.conf'");
    return home;
}

TemporaryHome::TemporaryHome(TemporaryHome&& other) noexcept : path_(std::move(other.path_))
{
    other.path_.clear();
}

TemporaryHome::~TemporaryHome()
{
    if (path_.empty()) return;
    if (auto removed = removeTree(path_); !removed)
        logWarning("remove temporary GnuPG home: {}", removed.error().message());
}

Result<Context> Context::create(const std::string& homeDir)
{
    BERTH_CHECK(initialize());
    gpgme_ctx_t ctx = nullptr;
    if (gpgme_error_t err = gpgme_new(&ctx)) return error("create gpgme context", err);
    Context context(ctx);
    if (gpgme_error_t err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP))
        return error("select OpenPGP", err);
    if (!homeDir.empty())
        if (gpgme_error_t err =
                gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, nullptr, homeDir.c_str()))
            return error("use GnuPG home '" + homeDir + "'", err);
    // No key lookups over the network, whatever a configuration says.
    gpgme_set_offline(ctx, 1);
    return context;
}

Context::~Context()
{
    if (ctx_) gpgme_release(ctx_);
}

struct Data::Sink {
    std::string bytes;
    size_t maxBytes = 0;
    bool overflowed = false;
};

Result<Data> Data::fromMemory(std::string_view bytes)
{
    BERTH_CHECK(initialize());
    Data data;
    if (gpgme_error_t err = gpgme_data_new_from_mem(&data.data_, bytes.data(), bytes.size(), 0))
        return error("wrap data for gpgme", err);
    return data;
}

Result<Data> Data::fromFd(int fd)
{
    BERTH_CHECK(initialize());
    Data data;
    if (gpgme_error_t err = gpgme_data_new_from_fd(&data.data_, fd))
        return error("wrap file for gpgme", err);
    return data;
}

Result<Data> Data::limitedSink(size_t maxBytes)
{
    BERTH_CHECK(initialize());
    static gpgme_data_cbs callbacks = {
        nullptr,
        [](void* handle, const void* buffer, size_t size) -> ssize_t {
            auto* sink = static_cast<Sink*>(handle);
            if (sink->bytes.size() + size > sink->maxBytes) {
                sink->overflowed = true;
                errno = EFBIG;
                return -1;
            }
            sink->bytes.append(static_cast<const char*>(buffer), size);
            return static_cast<ssize_t>(size);
        },
        nullptr,
        nullptr,
    };
    Data data;
    data.sink_ = std::make_unique<Sink>();
    data.sink_->maxBytes = maxBytes;
    if (gpgme_error_t err = gpgme_data_new_from_cbs(&data.data_, &callbacks, data.sink_.get()))
        return error("create gpgme output", err);
    return data;
}

Data::Data(Data&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), sink_(std::move(other.sink_))
{
}

Data::~Data()
{
    if (data_) gpgme_data_release(data_);
}

std::string Data::takeSink()
{
    return sink_ ? std::move(sink_->bytes) : std::string();
}

bool Data::sinkOverflowed() const
{
    return sink_ && sink_->overflowed;
}

Key& Key::operator=(Key&& other) noexcept
{
    if (this != &other) {
        if (key_) gpgme_key_unref(key_);
        key_ = std::exchange(other.key_, nullptr);
    }
    return *this;
}

Key::~Key()
{
    if (key_) gpgme_key_unref(key_);
}

std::string lowercase(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

} // namespace berth::gpg
