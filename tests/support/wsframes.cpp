#include "wsframes.h"

namespace streams::test {

std::optional<FrameHead> readFrameHead(QByteArrayView bytes) {
    if (bytes.size() < 2)
        return std::nullopt;
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    FrameHead head;
    head.fin = (p[0] & 0x80) != 0;
    head.reserved = (p[0] >> 4) & 0x7;
    head.opcode = p[0] & 0x0f;
    head.masked = (p[1] & 0x80) != 0;
    head.length = p[1] & 0x7f;
    head.size = 2;
    if (head.length == 126) {
        if (bytes.size() < 4)
            return std::nullopt;
        head.length = (quint64(p[2]) << 8) | p[3];
        head.size = 4;
    } else if (head.length == 127) {
        if (bytes.size() < 10)
            return std::nullopt;
        head.length = 0;
        for (int i = 0; i < 8; ++i)
            head.length = (head.length << 8) | p[2 + i];
        head.size = 10;
    }
    if (head.masked) {
        if (bytes.size() < head.size + 4)
            return std::nullopt;
        head.size += 4;
    }
    return head;
}

bool takeServerFrames(QByteArray &buffer, QList<ServerFrame> &out) {
    qsizetype pos = 0;
    bool ok = true;
    for (;;) {
        const auto head = readFrameHead(QByteArrayView(buffer).sliced(pos));
        if (!head)
            break;
        if (!head->fin || head->reserved != 0 || head->masked ||
            !(head->opcode == 0x1 || head->opcode == 0x8 || head->opcode == 0x9 || head->opcode == 0xA)) {
            ok = false;
            break;
        }
        if (quint64(buffer.size() - pos - head->size) < head->length)
            break;
        out.append({head->opcode, buffer.mid(pos + head->size, qsizetype(head->length))});
        pos += head->size + qsizetype(head->length);
    }
    buffer.remove(0, pos);
    return ok;
}

} // namespace streams::test
