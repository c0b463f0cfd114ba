#pragma once

// Frames a WebSocket server sends (RFC 6455 5.2: unmasked), read off raw bytes by tests that speak to the
// relay without a WebSocket library, to see exactly what went over the wire.

#include <QByteArray>
#include <QList>

namespace streams::test {

struct ServerFrame {
    int opcode = 0; // 0x1 text, 0x8 close, 0x9 ping, 0xA pong
    QByteArray payload;
};

// Takes the complete frames off the front of `buffer` into `out`; what is left is the start of the next.
// False on a frame a server never sends: masked, fragmented, reserved bits set or an unknown opcode.
bool takeServerFrames(QByteArray &buffer, QList<ServerFrame> &out);

} // namespace streams::test
