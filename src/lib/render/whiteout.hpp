#pragma once

#include <berth/base/result.hpp>
#include <berth/render/safe_path.hpp>

namespace berth
{

// What an OCI layer member named `.wh.*` means (image-spec "Whiteouts").
struct WhiteoutName {
    enum class Kind {
        None,   // an ordinary member
        Hide,   // `.wh.NAME`: target is the hidden path
        Opaque, // `.wh..wh..opq`: target is the directory made opaque
        Ignore, // other `.wh..wh.*` (aufs bookkeeping): not extracted
    };
    Kind kind = Kind::None;
    TreePath target;
};

// Refuses whiteouts naming "." or ".." (".wh.." and ".wh..."), which would
// otherwise hide the directory itself or its parent.
Result<WhiteoutName> classifyWhiteout(const TreePath& member);

} // namespace berth
