#include "net/sendqueue.h"

#include <cerrno>
#include <sys/socket.h>
#include <sys/uio.h>

namespace streams::relay::net {
namespace {
constexpr int kMaxPieces = 64; // iovecs per sendmsg()

iovec piece(const void *data, std::size_t size) {
    return iovec{const_cast<void *>(data),
                 size}; // NOLINT(cppcoreguidelines-pro-type-const-cast): sendmsg's type
}

bool wouldBlock(int error) {
    return error == EAGAIN || error == EWOULDBLOCK;
}
} // namespace

SendQueue::SendQueue(tcp::socket socket)
    : m_socket(std::move(socket)) {}

SendQueue::Entry SendQueue::textFrame(std::string_view payload) {
    // RFC 6455 5.2: FIN + text opcode; a server's frames are not masked; the length in 7, 16 or 64 bits.
    Entry entry;
    entry.data = payload.data();
    entry.size = payload.size();
    entry.head[0] = 0x81;
    const std::uint64_t n = payload.size();
    if (n < 126) {
        entry.head[1] = static_cast<unsigned char>(n);
        entry.headSize = 2;
    } else if (n <= 0xffff) {
        entry.head[1] = 126;
        entry.head[2] = static_cast<unsigned char>(n >> 8);
        entry.head[3] = static_cast<unsigned char>(n);
        entry.headSize = 4;
    } else {
        entry.head[1] = 127;
        for (int i = 0; i < 8; ++i)
            entry.head[2 + i] = static_cast<unsigned char>(n >> (56 - 8 * i));
        entry.headSize = 10;
    }
    return entry;
}

bool SendQueue::writeAtOnce(const Entry &entry, std::size_t &written) {
    written = 0;
    iovec pieces[2];
    int count = 0;
    if (entry.headSize > 0)
        pieces[count++] = piece(entry.head, entry.headSize);
    if (entry.size > 0)
        pieces[count++] = piece(entry.data, entry.size);
    if (count == 0)
        return true;
    msghdr message{};
    message.msg_iov = pieces;
    message.msg_iovlen = std::size_t(count);
    ssize_t n = 0;
    do {
        n = ::sendmsg(m_socket.native_handle(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (wouldBlock(errno))
            return false;
        fail();
        return true;
    }
    written = std::size_t(n);
    return written == entry.total();
}

void SendQueue::keep(Entry &&entry, std::size_t written) {
    m_queuedBytes += entry.total() - written;
    m_entries.push_back(std::move(entry));
    if (m_entries.size() == 1)
        m_frontSent = written;
    if (!m_corked) {
        if (m_entries.size() == 1)
            waitWritable();
    } else if (m_queuedBytes >= kCorkedBytes && !m_waiting) {
        flush(); // waits for the socket itself when it is full
    }
}

void SendQueue::uncork() {
    if (!m_corked)
        return;
    m_corked = false;
    if (m_entries.empty() || m_waiting || m_failed)
        return; // nothing kept, or a wait for the socket is pending and writes the rest
    flush();
    if (m_entries.empty() && !m_failed && !m_afterDrain.empty())
        drained(); // e.g. Beast's teardown after a close frame queued while corked
}

void SendQueue::flush() {
    const int fd = m_socket.native_handle();
    while (!m_entries.empty() && !m_failed) {
        iovec pieces[kMaxPieces];
        int count = 0;
        std::size_t skip = m_frontSent; // only the front entry was partly written
        for (const Entry &e : m_entries) {
            if (count + 2 > kMaxPieces)
                break;
            if (skip < e.headSize)
                pieces[count++] = piece(e.head + skip, e.headSize - skip);
            const std::size_t bodySkip = skip > e.headSize ? skip - e.headSize : 0;
            if (bodySkip < e.size)
                pieces[count++] = piece(e.data + bodySkip, e.size - bodySkip);
            skip = 0;
        }
        msghdr message{};
        message.msg_iov = pieces;
        message.msg_iovlen = std::size_t(count);
        const ssize_t n = ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (wouldBlock(errno))
                waitWritable();
            else
                fail();
            return;
        }
        auto left = std::size_t(n);
        while (left > 0 && !m_entries.empty()) {
            const std::size_t rest = m_entries.front().total() - m_frontSent;
            if (left < rest) {
                m_frontSent += left;
                m_queuedBytes -= left;
                break;
            }
            left -= rest;
            m_queuedBytes -= rest;
            m_entries.pop_front();
            m_frontSent = 0;
        }
    }
}

void SendQueue::waitWritable() {
    if (m_waiting)
        return;
    m_waiting = true;
    // The owner stays alive while the wait is pending (the queue lives inside it).
    m_socket.async_wait(tcp::socket::wait_write,
                        [this, keepAlive = m_owner.lock()](boost::system::error_code ec) {
                            m_waiting = false;
                            if (ec) {
                                fail();
                                return;
                            }
                            flush();
                            if (m_entries.empty() && !m_failed)
                                drained();
                        });
}

void SendQueue::fail() {
    if (m_failed)
        return;
    m_failed = true;
    m_entries.clear();
    m_queuedBytes = 0;
    m_frontSent = 0;
    // The read side sees the connection go (its pending read ends) and the session finishes.
    boost::system::error_code ignored;
    m_socket.close(ignored);
    drained();
}

void SendQueue::drained() {
    std::vector<std::function<void()>> waiting;
    waiting.swap(m_afterDrain);
    for (auto &then : waiting)
        then();
    if (m_onDrained && !m_failed)
        m_onDrained();
}

void SendQueue::dropQueued() {
    while (m_entries.size() > (m_frontSent > 0 ? 1U : 0U)) {
        m_queuedBytes -= m_entries.back().total();
        m_entries.pop_back();
    }
}

void SendQueue::whenDrained(std::function<void()> then) {
    if (m_entries.empty() || m_failed)
        then();
    else
        m_afterDrain.push_back(std::move(then));
}

void teardown(beast::role_type role, SendQueue &queue, boost::system::error_code &ec) {
    beast::websocket::teardown(role, queue.next_layer(), ec);
}

} // namespace streams::relay::net
