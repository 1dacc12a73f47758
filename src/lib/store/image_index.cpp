#include <algorithm>
#include <berth/base/json.hpp>
#include <berth/base/log.hpp>
#include <berth/store/image_index.hpp>
#include <cstdlib>
#include <sqlite3.h>
#include <unistd.h>

namespace berth
{

namespace
{

// Schema version 1. Records are stored as JSON so that adding a field needs
// no migration; names are a table of their own so that tags move atomically.
// The user_version the script sets is kSchemaVersion.
constexpr int kSchemaVersion = 1;
constexpr const char* schema = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    imported_at INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS names (
    name TEXT NOT NULL,
    tag TEXT NOT NULL,
    id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    PRIMARY KEY (name, tag)
);
CREATE INDEX IF NOT EXISTS names_by_id ON names(id);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
PRAGMA user_version = 1;
COMMIT;
)sql";

Json layerToJson(const LayerRecord& layer)
{
    return {{"blob", layer.blob.str()},
            {"diffId", layer.diffId.str()},
            {"mediaType", layer.mediaType},
            {"size", layer.size}};
}

Json recordToJson(const ImageRecord& r)
{
    Json j;
    j["id"] = r.id;
    j["format"] = imageFormatName(r.format);
    j["name"] = r.name;
    j["tag"] = r.tag;
    if (r.manifestDigest) j["manifestDigest"] = r.manifestDigest->str();
    if (r.configDigest) j["configDigest"] = r.configDigest->str();
    j["layers"] = Json::array();
    for (const auto& l : r.layers)
        j["layers"].push_back(layerToJson(l));
    j["dependencies"] = Json::array();
    for (const auto& d : r.dependencies) {
        Json dep = {{"name", d.name}, {"labels", Json::array()}};
        if (d.imageId) dep["imageId"] = *d.imageId;
        for (const auto& [k, v] : d.labels)
            dep["labels"].push_back({{"name", k}, {"value", v}});
        j["dependencies"].push_back(dep);
    }
    j["size"] = r.size;
    j["importedAt"] = r.importedAt;
    j["source"] = r.source;
    j["verifiedBy"] = r.verifiedBy;
    return j;
}

Result<ImageRecord> recordFromJson(const std::string& text)
{
    BERTH_TRY(Json j, parseJson(text, "image index record"));
    try {
        ImageRecord r;
        r.id = j.at("id").get<std::string>();
        r.format = j.at("format").get<std::string>() == "aci" ? ImageFormat::Aci : ImageFormat::Oci;
        r.name = j.value("name", "");
        r.tag = j.value("tag", "");
        if (j.contains("manifestDigest")) {
            BERTH_TRY(r.manifestDigest, Digest::parse(j["manifestDigest"].get<std::string>()));
        }
        if (j.contains("configDigest")) {
            BERTH_TRY(r.configDigest, Digest::parse(j["configDigest"].get<std::string>()));
        }
        for (const auto& l : j.at("layers")) {
            BERTH_TRY(Digest blob, Digest::parse(l.at("blob").get<std::string>()));
            BERTH_TRY(Digest diffId, Digest::parse(l.at("diffId").get<std::string>()));
            r.layers.push_back({blob, diffId, l.value("mediaType", ""), l.value("size", 0)});
        }
        for (const auto& d : j.value("dependencies", Json::array())) {
            AciDependency dep;
            dep.name = d.at("name").get<std::string>();
            if (d.contains("imageId")) dep.imageId = d["imageId"].get<std::string>();
            for (const auto& l : d.value("labels", Json::array()))
                dep.labels.emplace_back(l.at("name").get<std::string>(),
                                        l.at("value").get<std::string>());
            r.dependencies.push_back(std::move(dep));
        }
        r.size = j.value("size", int64_t{0});
        r.importedAt = j.value("importedAt", int64_t{0});
        r.source = j.value("source", "");
        r.verifiedBy = j.value("verifiedBy", "");
        return r;
    } catch (const Json::exception& e) {
        return Error(std::string("corrupt image index record: ") + e.what());
    }
}

} // namespace

struct ImageIndex::Db {
    sqlite3* handle = nullptr;
    ~Db() { sqlite3_close_v2(handle); }

    Error error(const std::string& what) const
    {
        return Error("image index: " + what + ": " + sqlite3_errmsg(handle));
    }
};

namespace
{

// A prepared statement that finalizes itself.
class Statement
{
public:
    Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool valid() const { return stmt_ != nullptr; }
    Statement& bind(int index, const std::string& text)
    {
        sqlite3_bind_text(stmt_, index, text.c_str(), static_cast<int>(text.size()),
                          SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind(int index, int64_t value)
    {
        sqlite3_bind_int64(stmt_, index, value);
        return *this;
    }
    int step() { return sqlite3_step(stmt_); }
    std::string text(int column) const
    {
        const unsigned char* t = sqlite3_column_text(stmt_, column);
        return t ? reinterpret_cast<const char*>(t) : "";
    }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

Result<void> exec(sqlite3* db, const char* sql)
{
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        return Error("image index: " + text);
    }
    return ok();
}

// Statements that open a store: switching to WAL needs the database to
// itself, and a read may meet another process's switch or recovery; in
// both cases SQLite may answer SQLITE_BUSY at once, without the busy
// handler, where waiting could deadlock a read lock's upgrade. Twenty
// berths creating one store together meet here, so wait and retry,
// boundedly (about a minute). A failed attempt leaves no transaction open.
Result<void> execWhenFree(sqlite3* db, const char* sql,
                          int (*row)(void*, int, char**, char**) = nullptr, void* arg = nullptr)
{
    for (int attempt = 0;; ++attempt) {
        char* message = nullptr;
        int rc = sqlite3_exec(db, sql, row, arg, &message);
        std::string text = message ? message : "";
        sqlite3_free(message);
        if (rc == SQLITE_OK) return ok();
        if (!sqlite3_get_autocommit(db))
            (void)sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
        if (!busy || attempt == 6000)
            return Error("image index: " + (text.empty() ? sqlite3_errstr(rc) : text));
        ::usleep(10000);
    }
}

// PRAGMA user_version: 0 for a new database, kSchemaVersion once the schema
// is in place.
Result<int> schemaVersion(sqlite3* db)
{
    int version = 0;
    auto row = [](void* out, int columns, char** values, char**) {
        if (columns == 1 && values[0]) *static_cast<int*>(out) = std::atoi(values[0]);
        return 0;
    };
    BERTH_CHECK(execWhenFree(db, "PRAGMA user_version", row, &version));
    return version;
}

// BEGIN IMMEDIATE takes the write lock up front, so two writers never
// deadlock upgrading a read transaction.
class Transaction
{
public:
    explicit Transaction(sqlite3* db) : db_(db) {}
    ~Transaction()
    {
        if (open_) (void)exec(db_, "ROLLBACK");
    }
    Result<void> begin()
    {
        BERTH_CHECK(exec(db_, "BEGIN IMMEDIATE"));
        open_ = true;
        return ok();
    }
    Result<void> commit()
    {
        open_ = false;
        return exec(db_, "COMMIT");
    }

private:
    sqlite3* db_;
    bool open_ = false;
};

} // namespace

Result<std::unique_ptr<ImageIndex>> ImageIndex::open(const std::string& path, bool shared)
{
    std::unique_ptr<ImageIndex> index(new ImageIndex());
    index->db_ = std::make_unique<Db>();
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (shared ? 0 : SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path.c_str(), &index->db_->handle, flags, nullptr);
    if (rc != SQLITE_OK)
        return Error("open image index '" + path + "': " +
                     (index->db_->handle ? sqlite3_errmsg(index->db_->handle) : "out of memory"));
    sqlite3* db = index->db_->handle;
    // The WAL and its index (-wal, -shm) stay when the last connection
    // closes. In the system store they must: the directory is sticky, so a
    // member could not remove a WAL file another member created, and a
    // missing one would be created with that member's ownership. Elsewhere
    // it saves every warm `run` creating and deleting two files, which on
    // some file systems (ext4 without a journal, scanning recently deleted
    // inodes) costs more than the rest of opening the index. A kill -9 is
    // as safe as before: the WAL is the same WAL, only not deleted.
    int persist = 1;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    // Concurrent berth processes wait for each other rather than fail.
    sqlite3_busy_timeout(db, 120000);
    const std::string where = "open image index '" + path + "'";
    // synchronous=FULL makes commits durable; all three are per connection.
    // journal_size_limit=0: the last connection to close, having copied the
    // WAL into the database, empties it. Otherwise the kept WAL still holds
    // the last writes, and every warm run read all of it back to rebuild
    // the WAL index and copied it into the database again on closing, with
    // two fdatasyncs, though nothing had changed.
    BERTH_CHECK(exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                         "PRAGMA journal_size_limit=0;")
                    .context(where));
    // A store whose schema is current (the usual case: every run) needs
    // nothing more. Parsing the DDL, even as IF NOT EXISTS, cost a warm run
    // more than everything else it asks of the index.
    BERTH_TRY(int version, schemaVersion(db).context(where));
    // A newer berth's schema keeps these tables (records are JSON).
    if (version >= kSchemaVersion) return index;
    // WAL: readers never block the writer, and a kill -9 mid-write leaves the
    // last committed state. The mode is stored in the file, so only a new
    // index (or one from before user_version was kept) gets here.
    BERTH_CHECK(execWhenFree(db, "PRAGMA journal_mode=WAL").context(where));
    // The tables and the version that says they exist, in one transaction:
    // a crash leaves either nothing or both. Twenty berths creating one
    // store meet here; BEGIN IMMEDIATE waits for the write lock, and the
    // ones after the first find the tables there.
    BERTH_CHECK(execWhenFree(db, schema).context(where));
    return index;
}

ImageIndex::~ImageIndex() = default;

Result<void> ImageIndex::putImage(const ImageRecord& record)
{
    sqlite3* db = db_->handle;
    Transaction txn(db);
    BERTH_CHECK(txn.begin());
    {
        Statement s(db, "INSERT OR REPLACE INTO images (id, imported_at, record) VALUES (?, ?, ?)");
        if (!s.valid() || s.bind(1, record.id)
                                  .bind(2, record.importedAt)
                                  .bind(3, recordToJson(record).dump())
                                  .step() != SQLITE_DONE)
            return db_->error("store image " + record.id);
    }
    if (!record.name.empty()) {
        Statement s(db, "INSERT OR REPLACE INTO names (name, tag, id) VALUES (?, ?, ?)");
        if (!s.valid() ||
            s.bind(1, record.name).bind(2, record.tag).bind(3, record.id).step() != SQLITE_DONE)
            return db_->error("name image " + record.id);
    }
    return txn.commit();
}

Result<std::optional<ImageRecord>> ImageIndex::findById(const std::string& id)
{
    Statement s(db_->handle, "SELECT record FROM images WHERE id = ?");
    if (!s.valid()) return db_->error("look up " + id);
    s.bind(1, id);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<ImageRecord>();
    if (rc != SQLITE_ROW) return db_->error("look up " + id);
    BERTH_TRY(ImageRecord r, recordFromJson(s.text(0)));
    return std::optional<ImageRecord>(std::move(r));
}

Result<std::vector<ImageRecord>> ImageIndex::list()
{
    Statement s(db_->handle, "SELECT record, id FROM images ORDER BY imported_at, id");
    if (!s.valid()) return db_->error("list images");
    std::vector<ImageRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        auto r = recordFromJson(s.text(0));
        if (!r) {
            // In the system store any member writes records: one bad record
            // must not deny every member the list, gc or the other images.
            logWarning("image index: ignoring the malformed record of image '{}': {}", s.text(1),
                       r.error().message());
            continue;
        }
        out.push_back(std::move(*r));
    }
    if (rc != SQLITE_DONE) return db_->error("list images");
    return out;
}

Result<void> ImageIndex::removeImage(const std::string& id)
{
    sqlite3* db = db_->handle;
    Transaction txn(db);
    BERTH_CHECK(txn.begin());
    for (const char* sql : {"DELETE FROM names WHERE id = ?", "DELETE FROM images WHERE id = ?"}) {
        Statement s(db, sql);
        if (!s.valid() || s.bind(1, id).step() != SQLITE_DONE) return db_->error("remove " + id);
    }
    return txn.commit();
}

Result<void> ImageIndex::untag(const std::string& name, const std::string& tag)
{
    Statement s(db_->handle, "DELETE FROM names WHERE name = ? AND tag = ?");
    if (!s.valid() || s.bind(1, name).bind(2, tag).step() != SQLITE_DONE)
        return db_->error("untag " + name + ":" + tag);
    return ok();
}

Result<void> ImageIndex::tag(const std::string& name, const std::string& tag, const std::string& id)
{
    Statement s(db_->handle, "INSERT OR REPLACE INTO names (name, tag, id) VALUES (?, ?, ?)");
    if (!s.valid() || s.bind(1, name).bind(2, tag).bind(3, id).step() != SQLITE_DONE)
        return db_->error("tag " + name + ":" + tag);
    return ok();
}

Result<std::optional<std::string>> ImageIndex::lookupName(const std::string& name,
                                                          const std::string& tag)
{
    Statement s(db_->handle, "SELECT id FROM names WHERE name = ? AND tag = ?");
    if (!s.valid()) return db_->error("look up " + name);
    s.bind(1, name).bind(2, tag);
    int rc = s.step();
    if (rc == SQLITE_ROW) return std::optional<std::string>(s.text(0));
    if (rc != SQLITE_DONE) return db_->error("look up " + name);
    return std::optional<std::string>();
}

Result<std::vector<std::string>> ImageIndex::namesOf(const std::string& id)
{
    Statement s(db_->handle, "SELECT name, tag FROM names WHERE id = ? ORDER BY name, tag");
    if (!s.valid()) return db_->error("names of " + id);
    s.bind(1, id);
    std::vector<std::string> out;
    while (s.step() == SQLITE_ROW)
        out.push_back(s.text(0) + ":" + s.text(1));
    return out;
}

namespace
{

bool isHex(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
}

} // namespace

namespace
{

// A record found by a name row carries the name it was asked for, never the
// record's own: every check of trust (the key's prefix, the signature's
// identity) is then made against what the user typed. In the system store
// any member writes both the rows and the records, and a row may point a
// name at an image signed for another repository.
ImageRecord askedFor(ImageRecord record, const std::string& name, const std::string& tag)
{
    record.name = name;
    if (!tag.empty()) record.tag = tag;
    return record;
}

} // namespace

Result<std::optional<ImageRecord>> ImageIndex::findByName(const std::string& name,
                                                          const std::string& tag)
{
    BERTH_TRY(std::optional<std::string> id, lookupName(name, tag));
    if (!id) return std::optional<ImageRecord>();
    BERTH_TRY(std::optional<ImageRecord> record, findById(*id));
    if (!record) return record;
    return std::optional<ImageRecord>(askedFor(std::move(*record), name, tag));
}

Result<ImageRecord> ImageIndex::resolve(const std::string& reference)
{
    if (reference.empty()) return Error("empty image reference");
    // An image ID or a unique prefix of one.
    std::string hexPart;
    std::string idPrefix;
    if (reference.starts_with("sha256:") || reference.starts_with("sha512:")) {
        hexPart = reference.substr(7);
        idPrefix = reference.substr(0, 7);
        if (idPrefix == "sha512:") idPrefix = "sha512-";
    } else if (reference.starts_with("sha512-")) {
        hexPart = reference.substr(7);
        idPrefix = "sha512-";
    } else if (reference.size() >= 4 && isHex(reference)) {
        hexPart = reference;
    }
    if (isHex(hexPart) && hexPart.size() >= 4) {
        BERTH_TRY(auto all, list());
        std::vector<ImageRecord> matches;
        for (auto& r : all) {
            auto dash = r.id.find_first_of(":-");
            std::string hex = dash == std::string::npos ? r.id : r.id.substr(dash + 1);
            std::string prefix = dash == std::string::npos ? "" : r.id.substr(0, dash + 1);
            if (hex.starts_with(hexPart) && (idPrefix.empty() || prefix == idPrefix))
                matches.push_back(std::move(r));
        }
        if (matches.size() == 1) return std::move(matches.front());
        if (matches.size() > 1)
            return Error("image ID prefix '" + reference + "' is ambiguous (" +
                         std::to_string(matches.size()) + " images match); give more digits");
        if (!idPrefix.empty()) return Error("no image with ID '" + reference + "' in the store");
    }

    // name[:tag]: the tag is after the last ':' that follows the last '/'.
    std::string name = reference;
    std::string tag;
    auto slash = reference.rfind('/');
    auto colon = reference.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        name = reference.substr(0, colon);
        tag = reference.substr(colon + 1);
    }
    std::vector<std::string> candidates{name};
    if (name.find('/') == std::string::npos) candidates.push_back("localhost/" + name);
    for (const auto& candidate : candidates) {
        std::optional<std::string> id;
        std::string found = tag;
        if (!tag.empty()) {
            BERTH_TRY(id, lookupName(candidate, tag));
        } else {
            BERTH_TRY(id, lookupName(candidate, "latest"));
            if (id) found = "latest";
            if (!id) {
                // An ACI asked for without a version: the newest one imported.
                Statement s(db_->handle, "SELECT names.id FROM names JOIN images ON "
                                         "names.id = images.id WHERE names.name = ? "
                                         "ORDER BY images.imported_at DESC LIMIT 1");
                if (!s.valid()) return db_->error("look up " + candidate);
                s.bind(1, candidate);
                if (s.step() == SQLITE_ROW) id = s.text(0);
            }
        }
        if (id) {
            BERTH_TRY(auto record, findById(*id));
            if (record) return askedFor(std::move(*record), candidate, found);
        }
    }
    return Error("image '" + reference +
                 "' is not in the store (see 'berth image list', or fetch it with 'berth fetch')");
}

Result<std::vector<std::string>> ImageIndex::referencedBlobs()
{
    BERTH_TRY(auto all, list());
    std::vector<std::string> out;
    for (const auto& r : all) {
        if (r.manifestDigest) out.push_back(r.manifestDigest->str());
        if (r.configDigest) out.push_back(r.configDigest->str());
        for (const auto& l : r.layers)
            out.push_back(l.blob.str());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<void> ImageIndex::putCache(const std::string& key, const std::string& value)
{
    Statement s(db_->handle, "INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)");
    if (!s.valid() || s.bind(1, key).bind(2, value).step() != SQLITE_DONE)
        return db_->error("cache " + key);
    return ok();
}

Result<std::optional<std::string>> ImageIndex::getCache(const std::string& key)
{
    Statement s(db_->handle, "SELECT value FROM cache WHERE key = ?");
    if (!s.valid()) return db_->error("cache " + key);
    s.bind(1, key);
    if (s.step() == SQLITE_ROW) return std::optional<std::string>(s.text(0));
    return std::optional<std::string>();
}

} // namespace berth
