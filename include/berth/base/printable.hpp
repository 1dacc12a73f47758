#pragma once

#include <string>
#include <string_view>

namespace berth
{

// Text from an image, a registry or any other untrusted source must not reach
// a terminal raw: an ESC or a CR in a tar entry name or an HTTP header would
// let its author rewrite the user's screen. printable() keeps valid UTF-8
// letters and symbols as they are and writes every control character (C0,
// DEL, C1), every byte of invalid UTF-8 and every backslash as an escape
// (\n, \t, \e, \\, \xNN, \u0085), so the result is one line that shows what
// was there.
std::string printable(std::string_view text);

// True when text is valid UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF). Names, labels and environment read from an image or typed
// by a user must be, before they go into JSON or the index.
bool isValidUtf8(std::string_view text);

// True when text is valid UTF-8 holding nothing that printable() escapes
// but backslashes: no control character, no line separator, no bidi
// override. What a name or a label must be before berth keeps it.
bool isPlainText(std::string_view text);

} // namespace berth
