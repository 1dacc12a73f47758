#pragma once

#include <berth/base/result.hpp>
#include <berth/image/aci_manifest.hpp>
#include <string_view>

namespace berth
{

// Parses `berth run --volume` in rkt's form:
//   NAME,kind=host,source=PATH[,readOnly=BOOL][,recursive=BOOL]
//   NAME,kind=empty[,mode=0755][,uid=N][,gid=N][,readOnly=BOOL]
// BOOL as Go's strconv.ParseBool reads it (true/false/1/0/t/f, any case
// that Go accepts). The volume is checked by the same rules as a pod
// manifest's `volumes` entry (they are one thing: --volume late-binds a pod
// manifest volume), so an empty volume gets mode 0755 and uid/gid 0 when
// not given. A PATH holding ',' cannot be given this way; use
// --pod-manifest.
Result<AciVolume> parseVolumeOption(std::string_view spec);

} // namespace berth
