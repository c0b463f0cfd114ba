#include "wsframes.h"

namespace streams::test {

bool takeServerFrames(QByteArray &buffer, QList<ServerFrame> &out) {
    qsizetype pos = 0;
    bool ok = true;
    for (;;) {
        const qsizetype avail = buffer.size() - pos;
        if (avail < 2)
            break;
        const auto *p = reinterpret_cast<const unsigned char *>(buffer.constData() + pos);
        const int opcode = p[0] & 0x0f;
        if ((p[0] & 0xf0) != 0x80 || (p[1] & 0x80) != 0 ||
            !(opcode == 0x1 || opcode == 0x8 || opcode == 0x9 || opcode == 0xA)) {
            ok = false;
            break;
        }
        quint64 length = p[1] & 0x7f;
        qsizetype head = 2;
        if (length == 126) {
            if (avail < 4)
                break;
            length = (quint64(p[2]) << 8) | p[3];
            head = 4;
        } else if (length == 127) {
            if (avail < 10)
                break;
            length = 0;
            for (int i = 0; i < 8; ++i)
                length = (length << 8) | p[2 + i];
            head = 10;
        }
        if (quint64(avail - head) < length)
            break;
        out.append({opcode, buffer.mid(pos + head, qsizetype(length))});
        pos += head + qsizetype(length);
    }
    buffer.remove(0, pos);
    return ok;
}

} // namespace streams::test
