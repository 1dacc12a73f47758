#pragma once

#include <berth/base/result.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth
{

struct Credential {
    std::string username;
    std::string password;
    std::string source; // the file (or helper) it came from, for messages
    // Set (and username/password empty) when the file says a credential
    // helper holds them: "credHelpers" for this registry, else "credsStore".
    std::string helper;
};

// The files searched for registry credentials, most specific first, as
// Podman and Docker write them: $XDG_RUNTIME_DIR/containers/auth.json,
// ~/.config/containers/auth.json, ~/.docker/config.json.
std::vector<std::string> credentialFiles();

// Where `berth login` writes when no --authfile is given: Podman's choice,
// $XDG_RUNTIME_DIR/containers/auth.json, else ~/.config/containers/auth.json
// (system units with User= have no runtime dir).
std::string defaultAuthFile();

// Finds credentials for `registry` ("host[:port]") and `repository`
// ("ns/app") in one auth.json text. Keys may be "host", "host/ns",
// "host/ns/app" (the longest match wins) or a URL such as
// "https://host/v1/"; values hold "auth": base64("user:password").
// Precedence, as Podman has it: a "credHelpers" entry for the registry,
// then an "auths" entry with an "auth", then the default "credsStore"; the
// helper cases come back with only `helper` set.
Result<std::optional<Credential>> findCredentialIn(std::string_view authJson,
                                                   const std::string& registry,
                                                   const std::string& repository);

// Searches `files` in order; a missing file is skipped, an unreadable or
// malformed one is an error naming it. A credential helper named by a file
// is run (docker-credential-NAME get); one with nothing for the registry
// lets the search go on.
Result<std::optional<Credential>> findCredential(const std::vector<std::string>& files,
                                                 const std::string& registry,
                                                 const std::string& repository);

// Adds or replaces `registry` in an auth.json text, keeping every other key.
Result<std::string> withCredential(std::string_view authJson, const std::string& registry,
                                   const std::string& username, const std::string& password);
// Removes `registry`; `removed` says whether it was there.
Result<std::string> withoutCredential(std::string_view authJson, const std::string& registry,
                                      bool* removed);

// Reads (or starts) the file, applies the change and writes it back
// atomically, mode 0600, its directory created 0700.
Result<void> storeCredential(const std::string& file, const std::string& registry,
                             const std::string& username, const std::string& password);
Result<bool> removeCredential(const std::string& file, const std::string& registry);

} // namespace berth
