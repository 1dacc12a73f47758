#include <berth/base/child_process.hpp>
#include <berth/base/file.hpp>
#include <berth/base/json.hpp>
#include <berth/base/log.hpp>
#include <berth/fetch/credential_helper.hpp>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace berth
{

namespace
{

constexpr size_t kMaxOutput = 1 << 20;
constexpr size_t kMaxErrors = 4 << 10;

using Clock = std::chrono::steady_clock;

// The first line of what the helper said, for a one-line error.
std::string firstLine(std::string_view text)
{
    while (!text.empty() && (text.front() == '\n' || text.front() == ' ' || text.front() == '\r'))
        text.remove_prefix(1);
    auto end = text.find_first_of("\r\n");
    std::string line(text.substr(0, end));
    if (line.size() > 200) line = line.substr(0, 200) + "…";
    return line;
}

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

Result<Pipe> makePipe()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

} // namespace

Result<std::string> credentialHelperProgram(const std::string& name)
{
    if (name.empty() || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
        return Error("credential helper name '" + name + "' is not a plain name");
    return "docker-credential-" + name;
}

Result<Credential> parseCredentialHelperOutput(std::string_view text, const std::string& program)
{
    std::string what = "the answer of " + program;
    BERTH_TRY(Json json, parseJson(text, what));
    if (!json.is_object()) return Error(what + " is not a JSON object");
    Credential credential;
    BERTH_TRY(credential.username, jsonOptionalString(json, "Username", what));
    BERTH_TRY(credential.password, jsonOptionalString(json, "Secret", what));
    if (credential.username.empty() && credential.password.empty())
        return Error(what + " holds no Username and no Secret");
    return credential;
}

Result<std::optional<Credential>> runCredentialHelper(const std::string& name,
                                                      const std::string& server,
                                                      std::chrono::milliseconds timeout)
{
    BERTH_TRY(std::string program, credentialHelperProgram(name));
    std::string who = "credential helper " + program + " (for " + server + ")";
    BERTH_TRY(Pipe in, makePipe());
    BERTH_TRY(Pipe out, makePipe());
    BERTH_TRY(Pipe err, makePipe());
    auto child =
        ChildProcess::exec({program, "get"}, in.read.get(), out.write.get(), err.write.get());
    if (!child)
        return Error(who + " cannot run: " + child.error().message() +
                     "; install it on PATH or remove it from the credentials file");
    in.read.reset();
    out.write.reset();
    err.write.reset();
    // The server name is a few bytes: the pipe takes it without blocking.
    std::string request = server + "\n";
    (void)writeAll(in.write.get(), request);
    in.write.reset();

    std::string output, errors;
    auto deadline = Clock::now() + timeout;
    struct pollfd fds[2] = {{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
    std::string* sinks[2] = {&output, &errors};
    size_t limits[2] = {kMaxOutput, kMaxErrors};
    int open = 2;
    while (open > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return Error(who + " did not answer within " + std::to_string(timeout.count() / 1000) +
                         " s; check the helper (is it waiting for a password prompt?)");
        int n = ::poll(fds, 2, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::fromErrno("poll " + program);
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buffer[4096];
            ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                fds[i].fd = -1;
                --open;
                continue;
            }
            if (sinks[i]->size() + static_cast<size_t>(got) > limits[i]) {
                if (i == 0) return Error(who + " wrote more than 1 MiB; refusing its answer");
                continue; // the rest of a long complaint is not needed
            }
            sinks[i]->append(buffer, static_cast<size_t>(got));
        }
    }
    BERTH_TRY(int status, child->wait());
    if (status != 0) {
        // docker-credential-helpers' own words for "nothing stored".
        std::string said = firstLine(errors.empty() ? output : errors);
        if (output.find("credentials not found") != std::string::npos ||
            errors.find("credentials not found") != std::string::npos) {
            logDebug("{} has no credentials", who);
            return std::optional<Credential>();
        }
        return Error(who + " failed (exit status " + std::to_string(status) +
                     (said.empty() ? "" : ": " + said) +
                     "); fix the helper, or log in again with berth login " + server);
    }
    auto credential = parseCredentialHelperOutput(output, program);
    if (!credential)
        return Error(who + " answered badly (" + credential.error().message() +
                     "); fix the helper, or log in again with berth login " + server);
    credential->source = program;
    return std::optional<Credential>(std::move(*credential));
}

} // namespace berth
