// net::SendQueue, the relay's one ordered output queue per WebSocket client, on a real loopback TCP pair:
// what the socket takes at once, what waits and in which order it leaves, what dropping keeps, a peer that
// is gone, and Beast's writes completing posted, never inline.

#include "net/sendqueue.h"
#include "wsframes.h"

#include <QTest>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <memory>
#include <string>

using namespace streams::relay;
using streams::test::ServerFrame;
using streams::test::takeServerFrames;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::shared_ptr<const std::string> payload(char fill, std::size_t size, int number) {
    auto text = std::make_shared<std::string>(size, fill);
    const std::string tag = std::to_string(number) + ":";
    text->replace(0, tag.size(), tag);
    return text;
}

} // namespace

class TestSendQueue : public QObject {
    Q_OBJECT

    asio::io_context m_context;
    std::unique_ptr<net::SendQueue> m_queue; // the relay's side
    std::unique_ptr<tcp::socket> m_peer;     // the client's side
    std::shared_ptr<int> m_owner = std::make_shared<int>(0);

    // A connected pair; small kernel buffers when `small`, so that frames must wait in the queue.
    void connectPair(bool small) {
        tcp::acceptor acceptor(m_context, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        m_peer = std::make_unique<tcp::socket>(m_context);
        if (small) {
            m_peer->open(tcp::v4());
            m_peer->set_option(asio::socket_base::receive_buffer_size(4096));
        }
        m_peer->connect(acceptor.local_endpoint());
        tcp::socket server(m_context);
        acceptor.accept(server);
        if (small)
            server.set_option(asio::socket_base::send_buffer_size(4096));
        m_queue = std::make_unique<net::SendQueue>(std::move(server));
        m_queue->setOwner(m_owner);
    }

    // Reads what has arrived until `until` holds or two seconds pass, running the queue's waits meanwhile.
    bool readUntil(QByteArray &bytes, const std::function<bool()> &until) {
        m_peer->non_blocking(true);
        const QDeadlineTimer deadline(2000);
        char buffer[65536];
        while (!until() && !deadline.hasExpired()) {
            m_context.poll();
            boost::system::error_code ec;
            const std::size_t n = m_peer->read_some(asio::buffer(buffer), ec);
            if (!ec)
                bytes.append(buffer, qsizetype(n));
            else if (ec != asio::error::would_block)
                return until();
            m_context.restart();
        }
        return until();
    }

private Q_SLOTS:
    void init() { m_context.restart(); }
    void cleanup() {
        m_queue.reset();
        m_peer.reset();
        m_context.poll(); // the handlers of cancelled waits
        m_context.restart();
    }

    void writesAtOnceWhenNothingWaits() {
        connectPair(false);
        const auto text = payload('a', 300, 1);
        m_queue->pushText(*text, text);
        QVERIFY(m_queue->idle());
        QCOMPARE(m_queue->queuedBytes(), std::size_t(0));
        QCOMPARE(text.use_count(), 1L); // nothing kept: the socket took all of it inside pushText()

        QByteArray bytes;
        QList<ServerFrame> frames;
        QVERIFY(readUntil(bytes, [&] { return takeServerFrames(bytes, frames) && !frames.isEmpty(); }));
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames[0].opcode, 0x1);
        QCOMPARE(frames[0].payload.toStdString(), *text);
    }

    void framesOfEverySizeKeepTheirLength() {
        connectPair(false);
        const std::vector<std::size_t> sizes = {0, 1, 125, 126, 127, 65535, 65536, 70000};
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            const auto text = payload('x', sizes[i], int(i));
            m_queue->pushText(std::string_view(*text).substr(0, sizes[i]), text);
        }
        QByteArray bytes;
        QList<ServerFrame> frames;
        QVERIFY(readUntil(bytes, [&] {
            return takeServerFrames(bytes, frames) && std::size_t(frames.size()) == sizes.size();
        }));
        for (std::size_t i = 0; i < sizes.size(); ++i)
            QCOMPARE(std::size_t(frames[i].payload.size()), sizes[i]);
        QVERIFY(bytes.isEmpty());
    }

    // Beast's writes and ours, with the socket full: all of it leaves in the order it was queued.
    void whatWaitsLeavesInOrderWithBeastsWrites() {
        connectPair(true);
        int drained = 0;
        m_queue->setDrainedHandler([&] { ++drained; });
        constexpr int kFrames = 200;
        int beastDone = 0;
        for (int i = 0; i < kFrames; ++i) {
            const auto text = payload('e', 16 * 1024, i);
            m_queue->pushText(*text, text);
            if (i % 50 == 25) { // a pong of Beast's: a complete frame, copied into the queue
                // Copied at once: the bytes may go away when async_write() returns.
                const std::string pong = std::string("\x8a\x02", 2) + "p" + std::to_string(i / 50);
                asio::async_write(*m_queue, asio::buffer(pong),
                                  [&](boost::system::error_code ec, std::size_t n) {
                                      QVERIFY(!ec);
                                      QCOMPARE(n, std::size_t(4));
                                      ++beastDone;
                                  });
                QCOMPARE(beastDone, 0); // never completed inside the call
            }
        }
        QVERIFY(m_queue->queuedBytes() > 1024 * 1024); // the kernel took only a little of 3.2 MB
        QVERIFY(!m_queue->idle());
        QCOMPARE(drained, 0);

        QByteArray bytes;
        QList<ServerFrame> frames;
        QVERIFY(readUntil(bytes,
                          [&] { return takeServerFrames(bytes, frames) && frames.size() == kFrames + 4; }));
        QCOMPARE(beastDone, 4);
        int next = 0;
        int pongs = 0;
        for (const ServerFrame &f : frames) {
            if (f.opcode == 0xA) {
                QCOMPARE(f.payload.toStdString(), "p" + std::to_string(pongs++));
                QCOMPARE(next, 25 + 50 * (pongs - 1) + 1); // right after the frame queued before it
                continue;
            }
            QCOMPARE(f.opcode, 0x1);
            QVERIFY(f.payload.startsWith(QByteArray::fromStdString(std::to_string(next) + ":")));
            ++next;
        }
        QCOMPARE(next, kFrames);
        QVERIFY(m_queue->idle());
        QCOMPARE(m_queue->queuedBytes(), std::size_t(0));
        QCOMPARE(drained, 1); // once, when what had waited was gone
    }

    // A close without flushing drops what waits, but not the rest of a frame the socket took part of.
    void droppingKeepsThePartlyWrittenFrame() {
        connectPair(true);
        constexpr std::size_t kSize = 100 * 1024;
        for (int i = 0; i < 20; ++i) {
            const auto text = payload('d', kSize, i);
            m_queue->pushText(*text, text);
        }
        QVERIFY(m_queue->queuedBytes() > kSize);
        const std::size_t before = m_queue->queuedBytes();
        m_queue->dropQueued();
        QVERIFY(m_queue->queuedBytes() < before);
        QVERIFY(m_queue->queuedBytes() <= kSize + 4); // at most the rest of one frame
        const auto last = payload('z', 10, 99);
        m_queue->pushText(*last, last); // e.g. the close frame: behind that rest

        QByteArray bytes;
        QList<ServerFrame> frames;
        QVERIFY(readUntil(bytes, [&] {
            return takeServerFrames(bytes, frames) && !frames.isEmpty() &&
                   frames.back().payload.toStdString() == *last;
        }));
        QVERIFY(bytes.isEmpty()); // the stream ended on a frame boundary
        for (std::size_t i = 0; i + 1 < std::size_t(frames.size()); ++i)
            QCOMPARE(std::size_t(frames[i].payload.size()), kSize);
    }

    // Corked (the hub delivering a batch of several events), frames wait in the queue, nothing reaches the
    // socket, and uncork() sends them together, in order, Beast's writes in their place.
    void corkedFramesLeaveTogetherAtUncork() {
        connectPair(false);
        m_queue->cork();
        QVERIFY(m_queue->corked());
        std::vector<std::shared_ptr<const std::string>> texts;
        for (int i = 0; i < 5; ++i) {
            texts.push_back(payload('c', 200, i));
            m_queue->pushText(*texts.back(), texts.back());
            if (i == 2) {
                const std::string pong = std::string("\x8a\x01", 2) + "p";
                boost::system::error_code ec;
                QCOMPARE(m_queue->write_some(asio::buffer(pong), ec), std::size_t(3));
                QVERIFY(!ec);
            }
        }
        bool drainedTold = false;
        m_queue->whenDrained([&] { drainedTold = true; });
        QVERIFY(!drainedTold);
        QCOMPARE(m_queue->queuedBytes(), std::size_t(5 * (4 + 200) + 3)); // 4-byte heads (126+ bytes)
        m_context.poll(); // no wait for the socket was started: nothing is written meanwhile
        m_context.restart();
        QCOMPARE(m_queue->queuedBytes(), std::size_t(5 * (4 + 200) + 3)); // 4-byte heads (126+ bytes)
        m_peer->non_blocking(true);
        char probe[16];
        boost::system::error_code none;
        m_peer->read_some(asio::buffer(probe), none);
        QCOMPARE(none, boost::system::error_code(asio::error::would_block)); // nothing arrived

        m_queue->uncork();
        QVERIFY(!m_queue->corked());
        QVERIFY(m_queue->idle()); // the socket took everything in uncork()
        QVERIFY(drainedTold);     // and whoever waited for the queue to drain was told
        QByteArray bytes;
        QList<ServerFrame> frames;
        QVERIFY(readUntil(bytes, [&] { return takeServerFrames(bytes, frames) && frames.size() == 6; }));
        int text = 0;
        for (int i = 0; i < 6; ++i) {
            if (i == 3) {
                QCOMPARE(frames[i].opcode, 0xa);
                QCOMPARE(frames[i].payload, QByteArray("p"));
                continue;
            }
            QCOMPARE(frames[i].opcode, 0x1);
            QCOMPARE(frames[i].payload.toStdString(), *texts[std::size_t(text++)]);
        }
        // Uncorked again, the next frame is written at once.
        const auto after = payload('d', 50, 9);
        m_queue->pushText(*after, after);
        QVERIFY(m_queue->idle());
    }

    // A corked queue writes what it holds once that passes kCorkedBytes: a big batch to one client never
    // piles up towards the limit of unsent bytes.
    void aCorkedQueueWritesPastItsLimit() {
        connectPair(false);
        m_queue->cork();
        const auto text = payload('k', 1000, 1);
        std::size_t pushed = 0;
        while (pushed < net::SendQueue::kCorkedBytes / 2) {
            m_queue->pushText(*text, text);
            pushed += text->size() + 4;
        }
        QVERIFY(m_queue->queuedBytes() > 0); // under the limit: kept
        while (pushed < 2 * net::SendQueue::kCorkedBytes) {
            m_queue->pushText(*text, text);
            pushed += text->size() + 4;
        }
        QVERIFY(m_queue->corked());
        QByteArray bytes;
        QVERIFY(readUntil(bytes, [&] { return !bytes.isEmpty(); })); // some of it went, still corked
        QVERIFY(m_queue->corked());
        m_queue->uncork();
        QList<ServerFrame> frames;
        QVERIFY(readUntil(bytes, [&] {
            return takeServerFrames(bytes, frames) &&
                   std::size_t(frames.size()) * (text->size() + 4) == pushed;
        }));
        for (const ServerFrame &f : frames)
            QCOMPARE(f.payload.toStdString(), *text);
    }

    void aPeerThatIsGoneFailsTheQueue() {
        connectPair(true);
        for (int i = 0; i < 20; ++i) {
            const auto text = payload('g', 64 * 1024, i);
            m_queue->pushText(*text, text);
        }
        QVERIFY(!m_queue->idle());
        bool told = false;
        m_queue->whenDrained([&] { told = true; });
        QVERIFY(!told);
        // The client resets the connection (RST: linger 0).
        m_peer->set_option(asio::socket_base::linger(true, 0));
        m_peer->close();
        const QDeadlineTimer deadline(2000);
        while (!m_queue->failed() && !deadline.hasExpired()) {
            m_context.run_one_for(std::chrono::milliseconds(50));
            m_context.restart();
        }
        QVERIFY(m_queue->failed());
        QVERIFY(told);                             // a teardown waiting for the queue goes on
        QVERIFY(!m_queue->next_layer().is_open()); // the read side's pending read ends with it
        QCOMPARE(m_queue->queuedBytes(), std::size_t(0));
        const auto more = payload('m', 10, 1);
        m_queue->pushText(*more, more); // ignored, no crash
        QCOMPARE(m_queue->queuedBytes(), std::size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestSendQueue)
#include "tst_sendqueue.moc"
