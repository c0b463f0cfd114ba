#pragma once

// Frames a WebSocket server sends (RFC 6455 5.2: unmasked), read off raw bytes by tests that speak to the
// relay without a WebSocket library, to see exactly what went over the wire.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <optional>

namespace streams::test {

struct ServerFrame {
    int opcode = 0; // 0x1 text, 0x8 close, 0x9 ping, 0xA pong
    QByteArray payload;
};

// A frame's header (RFC 6455 5.2), read once all of it is at the start of `bytes`.
struct FrameHead {
    bool fin = false;
    int opcode = 0;
    unsigned reserved = 0; // RSV1-3
    bool masked = false;
    qsizetype size = 0; // of the header, mask key included
    quint64 length = 0; // of the payload
};
std::optional<FrameHead> readFrameHead(QByteArrayView bytes);

// Takes the complete frames off the front of `buffer` into `out`; what is left is the start of the next.
// False on a frame a server never sends: masked, fragmented, reserved bits set or an unknown opcode.
bool takeServerFrames(QByteArray &buffer, QList<ServerFrame> &out);

} // namespace streams::test
