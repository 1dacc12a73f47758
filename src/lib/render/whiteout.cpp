#include "whiteout.hpp"

namespace berth
{

namespace
{
constexpr std::string_view prefix = ".wh.";
constexpr std::string_view opaqueName = ".wh..wh..opq";
} // namespace

Result<WhiteoutName> classifyWhiteout(const TreePath& member)
{
    WhiteoutName result;
    if (member.isRoot() || !member.name().starts_with(prefix)) return result;
    const std::string& name = member.name();
    result.target = member.parent();
    if (name == opaqueName) {
        result.kind = WhiteoutName::Kind::Opaque;
        return result;
    }
    if (name.starts_with(".wh..wh.")) {
        result.kind = WhiteoutName::Kind::Ignore;
        return result;
    }
    std::string victim = name.substr(prefix.size());
    if (victim.empty() || victim == "." || victim == "..")
        return Error("whiteout of '" + victim + "' (refused)");
    result.kind = WhiteoutName::Kind::Hide;
    result.target = result.target.child(std::move(victim));
    return result;
}

} // namespace berth
