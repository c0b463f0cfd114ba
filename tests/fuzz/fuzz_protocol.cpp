// libFuzzer target: protocol::decode() on one text frame, and the round trip the relay and the app rely
// on: whatever decodes must encode to a frame that decodes again, to the same message.

#include "protocol/codec.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace streams::protocol;

namespace {

[[noreturn]] void fail(const char *what, const QByteArray &frame, const QString &detail = {}) {
    std::fprintf(stderr, "fuzz_protocol: %s %s\nre-encoded frame (%lld bytes): %s\n", what,
                 qPrintable(detail), static_cast<long long>(frame.size()), frame.left(200).constData());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const Decoded decoded = decode(QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (!decoded.ok()) {
        if (decoded.error().detail.isEmpty())
            fail("a decode error without a detail", {});
        return 0;
    }
    const QByteArray frame = encode(decoded.message());
    const Decoded again = decode(frame);
    if (!again.ok())
        fail("an encoded message does not decode:", frame, again.error().detail);
    if (again.message() != decoded.message())
        fail("decode(encode(message)) is another message", frame);
    // The first decode may normalise the text (numbers, key order); after it, encode and decode are inverses.
    if (encode(again.message()) != frame)
        fail("encode(decode(frame)) differs from frame", frame);
    return 0;
}
