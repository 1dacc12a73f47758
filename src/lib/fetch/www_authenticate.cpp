#include <berth/fetch/www_authenticate.hpp>
#include <cctype>

namespace berth
{

namespace
{

bool isTokenChar(char c)
{
    // RFC 7230 tchar, plus '/' which token68 values use.
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

class Cursor
{
public:
    explicit Cursor(std::string_view text) : text_(text) {}

    bool atEnd() const { return pos_ >= text_.size(); }
    char peek() const { return atEnd() ? '\0' : text_[pos_]; }
    void skipSpaces()
    {
        while (!atEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
            ++pos_;
    }
    void skipSpacesAndCommas()
    {
        while (!atEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == ','))
            ++pos_;
    }
    std::string_view token()
    {
        size_t start = pos_;
        while (!atEnd() && isTokenChar(text_[pos_]))
            ++pos_;
        return text_.substr(start, pos_ - start);
    }
    // A quoted-string with backslash escapes; false when unterminated.
    bool quoted(std::string* out)
    {
        ++pos_; // opening quote
        while (!atEnd()) {
            char c = text_[pos_++];
            if (c == '"') return true;
            if (c == '\\' && !atEnd()) c = text_[pos_++];
            out->push_back(c);
        }
        return false;
    }
    size_t pos() const { return pos_; }
    void seek(size_t pos) { pos_ = pos; }

private:
    std::string_view text_;
    size_t pos_ = 0;
};

} // namespace

std::string AuthChallenge::param(const std::string& key) const
{
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
}

std::vector<AuthChallenge> parseWwwAuthenticate(std::string_view header)
{
    std::vector<AuthChallenge> challenges;
    Cursor in(header);
    while (true) {
        in.skipSpacesAndCommas();
        if (in.atEnd()) break;
        std::string_view scheme = in.token();
        if (scheme.empty()) break; // garbage: keep what we have
        AuthChallenge challenge;
        challenge.scheme = lower(scheme);
        // Parameters follow until a token that is not followed by '=' starts
        // the next challenge.
        while (true) {
            in.skipSpacesAndCommas();
            if (in.atEnd()) break;
            size_t mark = in.pos();
            std::string_view name = in.token();
            in.skipSpaces();
            if (name.empty() || in.peek() != '=') {
                in.seek(mark);
                break;
            }
            in.seek(in.pos() + 1);
            in.skipSpaces();
            std::string value;
            if (in.peek() == '"') {
                if (!in.quoted(&value)) {
                    // Unterminated: the value runs to the end, as lenient
                    // clients read it.
                    challenge.params[lower(name)] = value;
                    challenges.push_back(std::move(challenge));
                    return challenges;
                }
            } else {
                // token68 values may end in '=' padding.
                value = std::string(in.token());
                while (in.peek() == '=') {
                    value.push_back('=');
                    in.seek(in.pos() + 1);
                }
            }
            challenge.params[lower(name)] = value;
        }
        challenges.push_back(std::move(challenge));
        if (!in.atEnd() && in.pos() < header.size() && !isTokenChar(in.peek()) &&
            in.peek() != ',' && in.peek() != ' ')
            break;
    }
    return challenges;
}

} // namespace berth
