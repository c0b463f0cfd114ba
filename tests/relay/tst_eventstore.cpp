// EventStore's group commit on a real SQLite file and its own thread, as the relay runs it: events that
// arrive while the writer waits for company share one commit; a lone event is committed when the wait
// ends; shutting down does not wait; and every event is stored once, in order.

#include "storage/eventstore.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <chrono>
#include <memory>
#include <vector>

using namespace streams::relay;
using namespace std::chrono_literals;

namespace {

// What the store did, as its callbacks (on the store's thread) told it.
struct Seen {
    QMutex mutex;
    std::vector<std::vector<qint64>> batches; // the seqs of each commit
    std::vector<StoreOutcome> outcomes;       // in the order the webhooks were answered

    std::vector<std::size_t> sizes() {
        QMutexLocker lock(&mutex);
        std::vector<std::size_t> out;
        for (const auto &b : batches)
            out.push_back(b.size());
        return out;
    }
    std::size_t answered() {
        QMutexLocker lock(&mutex);
        return outcomes.size();
    }
};

IncomingEvent follow(int n, Seen &seen) {
    PendingEvent event;
    event.broadcasterId = "1001";
    event.kind = "follow";
    event.dedupKey = "follow:1001:" + std::to_string(n);
    event.frame.head = R"({"type":"event","broadcaster_id":"1001","kind":"follow","seq":)";
    event.frame.tail = R"(,"data":{"user_id":")" + std::to_string(n) + R"("}})";
    IncomingEvent in;
    in.messageId = QByteArray("message-") + QByteArray::number(n);
    in.event = std::move(event);
    in.done = [&seen](StoreOutcome outcome) {
        QMutexLocker lock(&seen.mutex);
        seen.outcomes.push_back(outcome);
    };
    return in;
}

} // namespace

class TestEventStore : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir; // a new database for each test
    QThread m_thread;
    std::unique_ptr<EventStore> m_store;
    Seen m_seen;

private slots:
    void init() {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QString error;
        m_store = EventStore::open(StorageTarget{m_dir->filePath(QStringLiteral("relay.sqlite3")), {}}, {},
                                   Durability::Fsync, &error);
        QVERIFY2(m_store, qPrintable(error));
        m_store->setCommitHandler([this](const CommittedBatch &batch) {
            QMutexLocker lock(&m_seen.mutex);
            std::vector<qint64> seqs;
            for (const auto &e : batch.events)
                seqs.push_back(e->seq);
            m_seen.batches.push_back(std::move(seqs));
        });
        m_store->moveToThread(&m_thread);
        m_thread.start();
    }

    void cleanup() {
        if (m_store)
            m_store->shutdown();
        m_thread.quit();
        m_thread.wait();
        m_store.reset();
        m_dir.reset();
        QMutexLocker lock(&m_seen.mutex);
        m_seen.batches.clear();
        m_seen.outcomes.clear();
    }

    // The first event waits (up to a minute here) until three are queued; the two that come 50 ms later
    // join its commit. Committing at once would have stored the first alone long before.
    void eventsArrivingDuringTheWaitShareItsCommit() {
        m_store->setGather(std::chrono::minutes(1), 3);
        m_store->submit(follow(1, m_seen));
        QTest::qWait(50);
        QCOMPARE(m_seen.answered(), std::size_t(0));
        m_store->submit(follow(2, m_seen));
        m_store->submit(follow(3, m_seen));
        QTRY_COMPARE_WITH_TIMEOUT(m_seen.answered(), std::size_t(3), 10000);
        QCOMPARE(m_seen.sizes(), std::vector<std::size_t>{3});
        QMutexLocker lock(&m_seen.mutex);
        QCOMPARE(m_seen.batches.front(), (std::vector<qint64>{1, 2, 3}));
        for (StoreOutcome o : m_seen.outcomes)
            QCOMPARE(o, StoreOutcome::Stored);
    }

    // With nobody else coming, the event is committed when its wait is over.
    void aLoneEventIsCommittedWhenTheWaitEnds() {
        m_store->setGather(100ms, 32);
        m_store->submit(follow(1, m_seen));
        QTRY_COMPARE_WITH_TIMEOUT(m_seen.answered(), std::size_t(1), 10000);
        QCOMPARE(m_seen.sizes(), std::vector<std::size_t>{1});
    }

    // The default wait follows the commits' own duration: a stream of events is stored completely, each
    // once and in order.
    void theDefaultWaitStoresEveryEventInOrder() {
        constexpr int kEvents = 200;
        for (int i = 1; i <= kEvents; ++i) {
            m_store->submit(follow(i, m_seen));
            if (i % 10 == 0)
                QThread::usleep(500); // some commits while events still come
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_seen.answered(), std::size_t(kEvents), 20000);
        QMutexLocker lock(&m_seen.mutex);
        std::vector<qint64> all;
        for (const auto &b : m_seen.batches)
            all.insert(all.end(), b.begin(), b.end());
        QCOMPARE(all.size(), std::size_t(kEvents));
        for (int i = 0; i < kEvents; ++i)
            QCOMPARE(all[std::size_t(i)], qint64(i + 1));
        for (StoreOutcome o : m_seen.outcomes)
            QCOMPARE(o, StoreOutcome::Stored);
    }

    // Shutting down while an event waits for company commits it at once instead of waiting out the minute.
    void shutdownDoesNotWait() {
        m_store->setGather(std::chrono::minutes(1), 100);
        m_store->submit(follow(1, m_seen));
        QTest::qWait(20); // the writer is waiting now
        QElapsedTimer took;
        took.start();
        m_store->shutdown();
        QVERIFY2(took.elapsed() < 30000, "shutdown waited for the gathering to end");
        QCOMPARE(m_seen.answered(), std::size_t(1));
        QCOMPARE(m_seen.sizes(), std::vector<std::size_t>{1});
        m_store->shutdown(); // twice is harmless
    }
};

QTEST_GUILESS_MAIN(TestEventStore)
#include "tst_eventstore.moc"
