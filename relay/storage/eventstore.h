#pragma once

// The relay's event log. One writer thread commits webhook notifications in groups (one fsync for
// every event that arrived while the previous commit ran); readers replay from their own connections.

#include "protocol/codec.h"
#include "protocol/messages.h"
#include "storage/database.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariantList>
#include <QWaitCondition>

#include <string>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QSqlDatabase;
class QSqlQuery;

namespace streams::relay {
class LogWriter;
class SqliteWriter;
} // namespace streams::relay

namespace streams::relay {

enum class StoreOutcome { Stored, Duplicate, Failed };

// An event to store, serialised already (on the I/O thread that parsed its webhook, so the store's one
// thread does no JSON).
struct PendingEvent {
    std::string broadcasterId;
    std::string kind;
    std::string dedupKey;       // empty: none; the same follow through several subscriptions is stored once
    protocol::EventFrame frame; // the frame without its seq, which the log issues
};

// One notification waiting to be stored.
struct IncomingEvent {
    QByteArray messageId;              // Twitch-Eventsub-Message-Id
    std::optional<PendingEvent> event; // nullopt: remember the id only (types the relay does not relay)
    qint64 receivedNs = 0;             // monotonic clock, for delivery latency
    // Called once on the store's thread after the commit (or its failure), before the next batch.
    std::function<void(StoreOutcome)> done;
};

// An event as stored and delivered: serialised once, to UTF-8, and shared by every recipient.
struct StoredEvent {
    qint64 seq = 0;
    std::string broadcasterId;
    bool follow = false; // follows go only to the broadcaster and accepted moderators
    std::string frame;   // the protocol's event frame (JSON text)
    qint64 receivedNs = 0;
};
using StoredEventPtr = std::shared_ptr<const StoredEvent>;

struct CommittedBatch {
    std::vector<StoredEventPtr> events; // newly stored, in seq order
};

struct RetentionPolicy {
    int days = 30;
    int eventsPerBroadcaster = 10000;
};

// How a commit reaches the disk before its webhooks are acknowledged.
enum class Durability {
    Fsync,     // every commit is fsync'ed: survives a power cut (SQLite synchronous=FULL)
    OsBuffers, // written to the OS before the answer: survives a relay crash, not a power cut (NORMAL)
};

class EventStore : public QObject {
    Q_OBJECT
public:
    // Opens the database (migrating it) on the calling thread; move the object to its thread afterwards.
    static std::unique_ptr<EventStore> open(const StorageTarget &target, RetentionPolicy retention,
                                            Durability durability, QString *error);
    ~EventStore() override;

    QString epoch() const { return m_epoch; }
    const StorageTarget &target() const { return m_target; }

    // Thread-safe. The handler runs on the store's thread after each commit, before the events' `done`.
    void setCommitHandler(std::function<void(const CommittedBatch &)> handler);
    void submit(IncomingEvent event);
    // Thread-safe: a small write (e.g. subscription bookkeeping) committed with the next group, so no
    // other thread ever waits on SQLite's lock.
    void submitWrite(QString sql, QVariantList bindings);
    // Thread-safe: commits what is queued and closes; blocks until done when called from another thread.
    void shutdown();

    // Group commit. Before each commit the writer waits until the first queued event has waited about as
    // long as a commit takes (a running average, at most kLongestGather), or until `enough` events are
    // queued, so the events arriving meanwhile share that commit and its fsync. Committing each event as
    // soon as it came wrote one commit per webhook at 5,000/s; the write-ahead log, its fsyncs and the
    // checkpoints' writes to the database file then kept the disk busy enough that a commit stalled for
    // ~10 ms ten times a second. relay-bench, three pairs back to back: acknowledgement p99 11.4-13.5 ->
    // 6.8-7.9 ms, p50 0.35-0.41 -> 0.55-0.56 ms (the Node peer's 0.64), relay CPU per webhook 57-61 -> 52-53
    // us. Thread-safe; `fixed` replaces the average (tests).
    static constexpr std::chrono::nanoseconds kLongestGather = std::chrono::milliseconds(1);
    static constexpr std::size_t kEnoughToCommit = 32;
    void setGather(std::optional<std::chrono::nanoseconds> fixed, std::size_t enough = kEnoughToCommit);

    // Deletes what is past the retention policy; runs on the store's thread. On PostgreSQL one relay at a
    // time does it (an advisory lock); the others skip the pass.
    void prune();
    // SQLite: the last seq issued (one counter for all broadcasters). PostgreSQL counts per broadcaster: 0.
    qint64 lastSeq() const { return m_nextSeq - 1; }
    // How much of the write-ahead log is in use; the Checkpointer keeps it up to date.
    std::atomic<qint64> *walBytes() { return &m_walBytes; }

private:
    EventStore(StorageTarget target, QString connectionName, QString epoch, qint64 nextSeq,
               RetentionPolicy retention, Durability durability);
    void flush();
    void gather();
    void boundWal();
    // The writer connection belongs to the store's thread: opened there on first use.
    bool ensureOpen();
    void storeBatch(std::vector<IncomingEvent> &batch, std::vector<std::pair<QString, QVariantList>> &writes,
                    std::vector<StoreOutcome> &outcomes, CommittedBatch &out);
    void prunePostgres(QSqlDatabase &db);

    const StorageTarget m_target;
    const QString m_connectionName;      // Qt SQL, for retention passes
    std::unique_ptr<LogWriter> m_writer; // opened on the store's thread
    SqliteWriter *m_sqlite = nullptr;    // m_writer, on SQLite
    const QString m_epoch;
    qint64 m_nextSeq = 1;
    RetentionPolicy m_retention;
    Durability m_durability;
    std::function<void(const CommittedBatch &)> m_handler;

    QMutex m_mutex;
    QWaitCondition m_enoughQueued;
    std::vector<IncomingEvent> m_queue;
    qint64 m_firstQueuedNs = 0; // when m_queue last went from empty to not empty
    qint64 m_commitNs = 0;      // a commit's duration, a running average (store's thread)
    std::optional<std::chrono::nanoseconds> m_fixedGather;
    std::size_t m_enough = kEnoughToCommit;
    bool m_draining = false; // shutting down: no more waiting
    std::vector<std::pair<QString, QVariantList>> m_writes;
    bool m_flushScheduled = false;
    bool m_closed = false;
    std::atomic<qint64> m_walBytes{0}; // the log in use, as the last checkpoint saw it
};

// Moves the write-ahead log into the database on its own thread, so the writer never pays for it.
class Checkpointer : public QObject {
    Q_OBJECT
public:
    // walBytes: where each checkpoint tells how much of the log is in use (EventStore::walBytes()).
    Checkpointer(QString path, std::atomic<qint64> *walBytes)
        : m_path(std::move(path))
        , m_walBytes(walBytes) {}
    ~Checkpointer() override;
    void checkpoint(); // on its thread, from a timer
private:
    QString m_path;
    QString m_connectionName;
    std::atomic<qint64> *m_walBytes;
    qint64 m_frameBytes = 0;
};

// Read side, one per thread.
class EventReader {
public:
    static std::unique_ptr<EventReader> open(const StorageTarget &target, QString *error);
    ~EventReader();

    // Stored events of the broadcaster with seq > afterSeq, in order, at most `limit`; nullopt when the
    // database cannot answer.
    std::optional<std::vector<StoredEventPtr>> eventsAfter(const QString &broadcasterId, qint64 afterSeq,
                                                           int limit);
    // The highest seq deleted by retention for this broadcaster (0: nothing pruned).
    qint64 prunedThrough(const QString &broadcasterId);
    // The broadcaster's last seq issued (0: none yet); nullopt when the database cannot answer.
    std::optional<qint64> lastSeq(const QString &broadcasterId);
    // The same for many broadcasters in few queries (those with no event yet are left out).
    std::optional<QHash<QString, qint64>> lastSeqs(const QStringList &broadcasterIds);

private:
    EventReader(StorageTarget target, QString connectionName)
        : m_target(std::move(target))
        , m_connectionName(std::move(connectionName)) {}
    // Runs a query (forward only); a connection lost (the database server restarted) is opened again and the
    // query tried once more. An inactive query when it failed.
    QSqlQuery select(const QString &sql, const QVariantList &values);
    bool reopen();
    StorageTarget m_target;
    QString m_connectionName;
};

} // namespace streams::relay
