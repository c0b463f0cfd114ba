#pragma once

// A WebSocket client's socket as Beast's next layer, with the client's one ordered output queue.
//
// Beast's own writes (the handshake's answer, pings, pongs, the close frame) are copied into the queue and
// reported done at once; the relay's frames are queued by reference to bytes shared by every recipient.
// Everything leaves the socket in the order it was queued, written by one writer: a frame of ours and
// a pong of Beast's can never interleave, and what Beast writes never waits behind a write of its own.
//
// A frame queued while nothing waits is written at once with one sendmsg() (no asynchronous operation,
// no copy): in a fan-out to ten thousand clients that is the whole cost per client. Only what the
// socket does not take is kept, and written as the peer reads (one wait for writability at a time,
// each write gathering up to 64 pieces).

#include "net/httpserver.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace streams::relay::net {

class SendQueue {
public:
    using executor_type = tcp::socket::executor_type;
    using next_layer_type = tcp::socket;

    explicit SendQueue(tcp::socket socket);
    SendQueue(SendQueue &&) = delete;
    SendQueue &operator=(SendQueue &&) = delete;

    executor_type get_executor() noexcept { return m_socket.get_executor(); }
    // Beast finds the socket through this (get_lowest_layer: timeouts and teardown close it).
    tcp::socket &next_layer() { return m_socket; }
    const tcp::socket &next_layer() const { return m_socket; }

    // Who must stay alive while a wait for writability is pending (the session owning this stream).
    void setOwner(std::weak_ptr<void> owner) { m_owner = std::move(owner); }
    // Told on the socket's thread whenever the queue runs empty after a wait (not after a write that
    // took everything at once).
    void setDrainedHandler(std::function<void()> handler) { m_onDrained = std::move(handler); }

    // A server's unmasked text frame with this payload. Written at once when nothing waits; `owner` (which
    // keeps the payload alive) is copied only when some of it must wait.
    template <class T>
    void pushText(std::string_view payload, const std::shared_ptr<T> &owner) {
        Entry entry = textFrame(payload);
        std::size_t written = 0;
        if (m_failed || (!m_corked && m_entries.empty() && writeAtOnce(entry, written)))
            return;
        entry.owner = owner;
        keep(std::move(entry), written);
    }
    // Corked, frames are kept instead of written, and uncork() writes them together: several events of
    // one committed batch to the same client leave in one sendmsg() (gathering up to 64 pieces) instead
    // of one each. Past kCorkedBytes the queue writes what it holds, so corking never brings a client
    // near the limit of unsent bytes. Beast's own writes keep their place in the order.
    static constexpr std::size_t kCorkedBytes = 64 * 1024;
    void cork() { m_corked = true; }
    void uncork();
    bool corked() const { return m_corked; }
    // Bytes not yet taken by the socket (what a client that stops reading piles up).
    std::size_t queuedBytes() const { return m_queuedBytes; }
    bool idle() const { return m_entries.empty(); }
    bool failed() const { return m_failed; }
    // Drops what is queued, except the rest of a frame already partly written (the stream stays whole).
    void dropQueued();

    // Beast's reads go straight to the socket.
    template <class MutableBufferSequence, class ReadHandler>
    auto async_read_some(const MutableBufferSequence &buffers, ReadHandler &&handler) {
        return m_socket.async_read_some(buffers, std::forward<ReadHandler>(handler));
    }
    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence &buffers, boost::system::error_code &ec) {
        return m_socket.read_some(buffers, ec);
    }
    // Beast's writes: copied into the queue; complete (posted, never inline) with everything written.
    template <class ConstBufferSequence, class WriteHandler>
    auto async_write_some(const ConstBufferSequence &buffers, WriteHandler &&handler) {
        return asio::async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
            [this](auto completion, const ConstBufferSequence &bytes) {
                boost::system::error_code ec;
                std::size_t n = 0;
                if (m_failed)
                    ec = asio::error::broken_pipe;
                else
                    n = pushCopy(bytes);
                asio::post(m_socket.get_executor(), beast::bind_front_handler(std::move(completion), ec, n));
            },
            handler, buffers);
    }
    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence &buffers, boost::system::error_code &ec) {
        ec = m_failed ? boost::system::error_code(asio::error::broken_pipe) : boost::system::error_code();
        return m_failed ? 0 : pushCopy(buffers);
    }

    // Runs `then` once everything queued was written (or writing failed); at once when nothing waits.
    void whenDrained(std::function<void()> then);

private:
    struct Entry {
        std::shared_ptr<const void> owner;
        const char *data = nullptr;
        std::size_t size = 0;
        unsigned char head[10] = {};
        std::uint8_t headSize = 0;
        std::size_t total() const { return headSize + size; }
    };

    template <class ConstBufferSequence>
    std::size_t pushCopy(const ConstBufferSequence &buffers) {
        const std::size_t n = asio::buffer_size(buffers);
        auto copy = std::make_shared<std::string>(n, '\0');
        asio::buffer_copy(asio::buffer(*copy), buffers);
        Entry entry;
        entry.data = copy->data();
        entry.size = n;
        entry.owner = std::move(copy);
        std::size_t written = 0;
        if (!(!m_corked && m_entries.empty() && writeAtOnce(entry, written)))
            keep(std::move(entry), written);
        return n;
    }
    static Entry textFrame(std::string_view payload);
    // With nothing queued: one sendmsg(). True when the entry needs no more (written whole, or the
    // connection failed); otherwise `written` says how much of it went.
    bool writeAtOnce(const Entry &entry, std::size_t &written);
    // Queues the rest of an entry (`written` bytes of it went already, only when it is the first).
    void keep(Entry &&entry, std::size_t written);
    // Writes from the front until the socket is full (then waits for it) or the queue is empty.
    void flush();
    void waitWritable();
    void fail();
    void drained();

    tcp::socket m_socket;
    std::deque<Entry> m_entries;
    std::size_t m_frontSent = 0; // bytes of the front entry already written
    std::size_t m_queuedBytes = 0;
    bool m_waiting = false;
    bool m_failed = false;
    bool m_corked = false;
    std::weak_ptr<void> m_owner;
    std::function<void()> m_onDrained;
    std::vector<std::function<void()>> m_afterDrain;
};

// Beast's close handshake ends with a teardown of the next layer: after what is queued was written.
template <class TeardownHandler>
void async_teardown(beast::role_type role, SendQueue &queue, TeardownHandler &&handler) {
    auto shared = std::make_shared<std::decay_t<TeardownHandler>>(std::forward<TeardownHandler>(handler));
    queue.whenDrained([role, &queue, shared] {
        beast::websocket::async_teardown(role, queue.next_layer(), std::move(*shared));
    });
}
void teardown(beast::role_type role, SendQueue &queue, boost::system::error_code &ec);

} // namespace streams::relay::net
