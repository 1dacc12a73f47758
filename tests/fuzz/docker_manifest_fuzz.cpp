// manifest.json of a docker-archive: (`docker save`) file.
#include "fuzz_input.hpp"
#include "src/lib/image/docker_archive_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    (void)berth::parseDockerManifest(berth::fuzz::text(data, size));
    return 0;
}
