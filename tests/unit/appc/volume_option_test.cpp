#include <berth/appc/volume_option.hpp>
#include <doctest/doctest.h>

using namespace berth;

namespace
{

std::string errorOf(std::string_view spec)
{
    auto parsed = parseVolumeOption(spec);
    REQUIRE_FALSE(parsed);
    return parsed.error().message();
}

bool mentions(const std::string& text, std::string_view what)
{
    return text.find(what) != std::string::npos;
}

} // namespace

TEST_CASE("host volumes parse with their flags")
{
    auto volume = parseVolumeOption("data,kind=host,source=/srv/data,readOnly=true");
    REQUIRE(volume);
    CHECK(volume->name == "data");
    CHECK(volume->kind == "host");
    CHECK(volume->source == "/srv/data");
    CHECK(volume->readOnly == true);
    CHECK_FALSE(volume->recursive.has_value());

    volume = parseVolumeOption("data,kind=host,source=/srv,recursive=F,readOnly=0");
    REQUIRE(volume);
    CHECK(volume->recursive == false);
    CHECK(volume->readOnly == false);
}

TEST_CASE("empty volumes default to 0755 root, and take mode, uid and gid")
{
    auto volume = parseVolumeOption("database,kind=empty");
    REQUIRE(volume);
    CHECK(volume->kind == "empty");
    CHECK(volume->mode == "0755");
    CHECK(volume->uid == 0);
    CHECK(volume->gid == 0);

    volume = parseVolumeOption("cache,kind=empty,mode=0700,uid=33,gid=44");
    REQUIRE(volume);
    CHECK(volume->mode == "0700");
    CHECK(volume->uid == 33);
    CHECK(volume->gid == 44);
}

TEST_CASE("malformed --volume options say what is wrong")
{
    CHECK(mentions(errorOf(""), "must start with the volume's name"));
    CHECK(mentions(errorOf("kind=host,source=/x"), "must start with the volume's name"));
    CHECK(mentions(errorOf("data"), "kind=host or kind=empty is required"));
    CHECK(mentions(errorOf("data,kind=nfs"), "unrecognized volume kind"));
    CHECK(mentions(errorOf("data,kind=host"), "source for host volume cannot be empty"));
    CHECK(mentions(errorOf("data,kind=host,source=rel/path"), "absolute"));
    CHECK(mentions(errorOf("data,kind=host,source=/x,uid=1"), "host volume"));
    CHECK(mentions(errorOf("data,kind=empty,source=/x"), "must be empty"));
    CHECK(mentions(errorOf("data,kind=empty,uid=-1"), "uid must be a number"));
    CHECK(mentions(errorOf("data,kind=empty,gid=x"), "gid must be a number"));
    CHECK(mentions(errorOf("data,kind=host,source=/x,readOnly=yes"),
                   "readOnly must be true or false"));
    CHECK(mentions(errorOf("data,kind=host,source=/x,color=red"), "unknown key 'color'"));
    CHECK(mentions(errorOf("data,kind=host,kind=empty"), "'kind' given twice"));
    CHECK(mentions(errorOf("data,kind=host,source"), "is not KEY=VALUE"));
    CHECK(mentions(errorOf("Data_1,kind=empty"), "Data_1"));
    // The option is quoted so the user sees which one failed.
    CHECK(mentions(errorOf("data,kind=host"), "--volume 'data,kind=host'"));
    CHECK_FALSE(mentions(errorOf("data,kind=host"), "pod manifest"));
}
