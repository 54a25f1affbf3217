#pragma once
// The signing layer's own error category. sessions::BadSignature (errors.hpp) says "this was not
// signed with our key"; MalformedSignedData says "this WAS signed with our key (or a fallback), but
// what it carries cannot be decoded" (no timestamp, bad base62/base64, broken zlib stream, invalid
// JSON). Django raises assorted ValueError/IndexError/binascii.Error/zlib.error/JSONDecodeError
// for these; callers here get one typed error instead. Since only a holder of the key can produce
// such a value, it points at a bug or a leaked key rather than at an ordinary client.

#include "../errors.hpp"

namespace sessions::signing {

/// Content that cannot be decoded after (or, for the stand-alone codecs, without) a signature
/// check: bad base64/base62, missing timestamp, corrupt compression, invalid JSON.
class MalformedSignedData : public sessions::Error {
 public:
  using sessions::Error::Error;
};

}  // namespace sessions::signing
