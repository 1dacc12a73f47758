#include <berth/base/file.hpp>
#include <berth/image/oci_descriptor.hpp>
#include <berth/image/oci_export.hpp>
#include <berth/image/oci_index.hpp>
#include <berth/image/oci_media_types.hpp>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace berth
{

namespace
{

// Copies a store blob into the layout unless a file of that name is already
// there (content addressing: same name, same bytes).
Result<void> copyBlob(Store& store, const Digest& digest, int layoutFd)
{
    std::string name = "blobs/" + digest.blobPath();
    struct stat st;
    if (::fstatat(layoutFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        return ok();
    BERTH_TRY(UniqueFd in, store.openBlob(digest));
    std::string tmp = name + ".tmp-" + randomHex(4);
    BERTH_TRY(UniqueFd out, openAt(layoutFd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    std::vector<char> buffer(1 << 20);
    while (true) {
        ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            auto err = Error::fromErrno("read blob " + digest.str());
            ::unlinkat(layoutFd, tmp.c_str(), 0);
            return err;
        }
        if (n == 0) break;
        if (auto w = writeAll(out.get(), std::string_view(buffer.data(), static_cast<size_t>(n)));
            !w) {
            ::unlinkat(layoutFd, tmp.c_str(), 0);
            return std::move(w).error().addContext("write '" + name + "'");
        }
    }
    out.reset();
    if (::renameat(layoutFd, tmp.c_str(), layoutFd, name.c_str()) < 0) {
        auto err = Error::fromErrno("rename '" + name + "'");
        ::unlinkat(layoutFd, tmp.c_str(), 0);
        return err;
    }
    return ok();
}

} // namespace

Result<void> exportOciLayout(Store& store, const ImageRecord& image, const std::string& directory,
                             const std::string& tagGiven)
{
    if (image.format != ImageFormat::Oci)
        return Error("an ACI image cannot be exported to an OCI layout; export it to FILE.aci");
    if (!image.manifestDigest || !image.configDigest)
        return Error("image " + image.id + " has no stored manifest or config");
    std::string tag = !tagGiven.empty() ? tagGiven : !image.tag.empty() ? image.tag : "latest";

    // The manifest's own media type goes into the index entry.
    BERTH_TRY(std::string manifestText, store.readBlob(*image.manifestDigest));
    BERTH_TRY(Json manifestJson,
              parseJson(manifestText, "manifest " + image.manifestDigest->str()));
    BERTH_TRY(std::string mediaType, jsonOptionalString(manifestJson, "mediaType", "manifest",
                                                        std::string(oci_media::Manifest)));

    BERTH_CHECK(makeDirectories(directory));
    BERTH_TRY(UniqueFd layoutFd, openDirectory(directory));
    std::string layoutFile = directory + "/oci-layout";
    OciIndex index;
    if (pathExists(directory + "/index.json")) {
        if (!pathExists(layoutFile))
            return Error("'" + directory + "' has an index.json but is not an OCI layout");
        BERTH_TRY(std::string text, readFile(directory + "/index.json"));
        BERTH_TRY(index, parseOciIndex(text, "index.json of '" + directory + "'"));
    }
    for (const char* alg : {"blobs", "blobs/sha256", "blobs/sha512"})
        if (::mkdirat(layoutFd.get(), alg, 0755) < 0 && errno != EEXIST)
            return Error::fromErrno("create '" + directory + "/" + alg + "'");

    BERTH_CHECK(copyBlob(store, *image.configDigest, layoutFd.get()));
    for (const auto& layer : image.layers)
        BERTH_CHECK(copyBlob(store, layer.blob, layoutFd.get()));
    // The manifest last: once it is there every blob it names is too.
    BERTH_CHECK(copyBlob(store, *image.manifestDigest, layoutFd.get()));
    if (!pathExists(layoutFile))
        BERTH_CHECK(writeFileAtomic(layoutFile, R"({"imageLayoutVersion":"1.0.0"})"));

    Json manifests = Json::array();
    for (const auto& d : index.manifests)
        if (d.refName() != tag) manifests.push_back(d.toJson());
    OciDescriptor entry{mediaType,
                        *image.manifestDigest,
                        static_cast<int64_t>(manifestText.size()),
                        {{std::string(kRefNameAnnotation), tag}},
                        std::nullopt};
    manifests.push_back(entry.toJson());
    Json out = {{"schemaVersion", 2}, {"mediaType", oci_media::Index}, {"manifests", manifests}};
    if (!index.annotations.empty()) out["annotations"] = index.annotations;
    return writeFileAtomic(directory + "/index.json", out.dump());
}

} // namespace berth
