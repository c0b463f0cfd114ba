#include "storage/eventstore.h"

#include "metrics/metrics.h"
#include "storage/database.h"
#include "storage/pgwriter.h"
#include "storage/sqlitewriter.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QVariant>

#include <atomic>

namespace streams::relay {

Q_LOGGING_CATEGORY(lcStore, "streams.relay.storage")
namespace {

std::string_view view(const QByteArray &bytes) {
    return {bytes.constData(), std::size_t(bytes.size())};
}

QString uniqueConnectionName(const char *role) {
    static std::atomic<int> counter{0};
    return QStringLiteral("%1-%2").arg(QLatin1String(role)).arg(counter.fetch_add(1));
}

} // namespace

std::unique_ptr<EventStore> EventStore::open(const StorageTarget &target, RetentionPolicy retention,
                                             Durability durability, QString *error) {
    const QString name = uniqueConnectionName("writer");
    auto db = openDatabase(target, name, true, error);
    if (!db)
        return nullptr;
    QSqlQuery q(*db);
    QString epoch;
    if (q.exec(QStringLiteral("SELECT value FROM meta WHERE key='epoch'")) && q.next())
        epoch = q.value(0).toString();
    qint64 nextSeq = 1;
    if (!target.isPostgres()) { // PostgreSQL issues each broadcaster's seq itself
        if (q.exec(QStringLiteral("SELECT MAX(seq) FROM events")) && q.next())
            nextSeq = q.value(0).toLongLong() + 1;
        // Never reuse a seq that retention deleted.
        if (q.exec(QStringLiteral("SELECT MAX(through_seq) FROM pruned")) && q.next())
            nextSeq = qMax(nextSeq, q.value(0).toLongLong() + 1);
    }
    q = QSqlQuery();
    db.reset();
    closeDatabase(name);
    if (epoch.isEmpty()) {
        *error = QStringLiteral("database %1 has no epoch").arg(target.describe());
        return nullptr;
    }
    return std::unique_ptr<EventStore>(new EventStore(target, name, epoch, nextSeq, retention, durability));
}

EventStore::EventStore(StorageTarget target, QString connectionName, QString epoch, qint64 nextSeq,
                       RetentionPolicy retention, Durability durability)
    : m_target(std::move(target))
    , m_connectionName(std::move(connectionName))
    , m_epoch(std::move(epoch))
    , m_nextSeq(nextSeq)
    , m_retention(retention)
    , m_durability(durability) {}

EventStore::~EventStore() = default;

void EventStore::setCommitHandler(std::function<void(const CommittedBatch &)> handler) {
    QMutexLocker lock(&m_mutex);
    m_handler = std::move(handler);
}

void EventStore::submit(IncomingEvent event) {
    QMutexLocker lock(&m_mutex);
    if (m_closed) {
        lock.unlock();
        if (event.done)
            event.done(StoreOutcome::Failed);
        return;
    }
    if (m_queue.empty())
        m_firstQueuedNs = monotonicNs();
    m_queue.push_back(std::move(event));
    if (m_queue.size() >= m_enough)
        m_enoughQueued.wakeOne();
    if (!m_flushScheduled) {
        m_flushScheduled = true;
        QMetaObject::invokeMethod(this, &EventStore::flush, Qt::QueuedConnection);
    }
}

void EventStore::submitWrite(QString sql, QVariantList bindings) {
    QMutexLocker lock(&m_mutex);
    if (m_closed)
        return;
    m_writes.emplace_back(std::move(sql), std::move(bindings));
    if (!m_flushScheduled) {
        m_flushScheduled = true;
        QMetaObject::invokeMethod(this, &EventStore::flush, Qt::QueuedConnection);
    }
}

void EventStore::setGather(std::optional<std::chrono::nanoseconds> fixed, std::size_t enough) {
    QMutexLocker lock(&m_mutex);
    m_fixedGather = fixed;
    m_enough = std::max<std::size_t>(1, enough);
}

void EventStore::gather() {
    QMutexLocker lock(&m_mutex);
    if (m_queue.empty())
        return; // bookkeeping writes alone do not wait
    const qint64 wait =
        m_fixedGather ? qint64(m_fixedGather->count()) : std::min<qint64>(m_commitNs, kLongestGather.count());
    const qint64 until = m_firstQueuedNs + wait;
    while (!m_draining && m_queue.size() < m_enough) {
        const qint64 left = until - monotonicNs();
        if (left <= 0)
            break;
        m_enoughQueued.wait(&m_mutex, QDeadlineTimer(std::chrono::nanoseconds(left), Qt::PreciseTimer));
    }
}

void EventStore::flush() {
    std::vector<IncomingEvent> batch;
    std::vector<std::pair<QString, QVariantList>> writes;
    gather();
    {
        QMutexLocker lock(&m_mutex);
        batch.swap(m_queue);
        writes.swap(m_writes);
        m_flushScheduled = false;
    }
    if (batch.empty() && writes.empty())
        return;
    CommittedBatch out;
    std::vector<StoreOutcome> outcomes;
    outcomes.reserve(batch.size());
    const qint64 started = monotonicNs();
    storeBatch(batch, writes, outcomes, out);
    if (!batch.empty()) {
        const qint64 took = monotonicNs() - started;
        m_commitNs = m_commitNs == 0 ? took : (7 * m_commitNs + took) / 8;
    }
    if (m_handler && !out.events.empty())
        m_handler(out);
    for (std::size_t i = 0; i < batch.size(); ++i)
        if (batch[i].done)
            batch[i].done(outcomes[i]);
    boundWal(); // after the acknowledgements went out
}

void EventStore::boundWal() {
    // Under a steady stream of commits the checkpointer never sees a moment when the whole WAL is copied
    // back, so SQLite never rewinds it: it grew by 100 MB/s in relay-bench, and every commit wrote into fresh
    // blocks (the file system zeroes and allocates them, and fsync must flush that too). Past a limit, the
    // writer itself rewinds it (RESTART keeps the file, so its blocks are reused). The checkpointer has
    // copied most of the log back by then, so the writer pays only for the rest. The file's size says
    // nothing here (it stays at its largest), so the checkpointer's count of frames in use decides.
    constexpr qint64 kWalLimit = 64 * 1024 * 1024;
    if (m_walBytes.load(std::memory_order_relaxed) < kWalLimit)
        return;
    // Wait at most 50 ms for readers or the checkpointer: acknowledgements are waiting behind this.
    if (m_sqlite && m_sqlite->restartWal(50))
        m_walBytes.store(0, std::memory_order_relaxed); // the next checkpoint counts afresh
    else // busy: a reader or the checkpointer; the next commit tries again
        qCDebug(lcStore).noquote() << "WAL restart postponed:" << m_writer->lastError();
}

bool EventStore::ensureOpen() {
    if (m_writer)
        return true;
    QString error;
    if (m_target.isPostgres()) {
        m_writer = PgWriter::open(m_target, &error);
    } else {
        auto sqlite =
            SqliteWriter::open(m_target.sqlitePath, m_durability == Durability::Fsync, m_nextSeq, &error);
        m_sqlite = sqlite.get();
        m_writer = std::move(sqlite);
    }
    if (!m_writer)
        qCWarning(lcStore).noquote() << error;
    return m_writer != nullptr;
}

void EventStore::storeBatch(std::vector<IncomingEvent> &batch,
                            std::vector<std::pair<QString, QVariantList>> &writes,
                            std::vector<StoreOutcome> &outcomes, CommittedBatch &out) {
    if (!ensureOpen()) {
        outcomes.assign(batch.size(), StoreOutcome::Failed);
        return;
    }
    // The frames come serialised, cut around their seq: the log issues it (PostgreSQL inside its
    // transaction), and the stored and the delivered frame are head + seq + tail.
    std::vector<LogAppend> group(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const IncomingEvent &in = batch[i];
        LogAppend &a = group[i];
        a.messageId = view(in.messageId);
        if (!in.event)
            continue;
        const PendingEvent &ev = *in.event;
        a.hasEvent = true;
        a.broadcasterId = ev.broadcasterId;
        a.kind = ev.kind;
        a.dedupKey = ev.dedupKey;
        a.frameHead = ev.frame.head;
        a.frameTail = ev.frame.tail;
    }
    const auto results = m_writer->append(group, writes, QDateTime::currentSecsSinceEpoch());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const std::optional<qint64> &r = results[i];
        if (!r) {
            outcomes.push_back(StoreOutcome::Failed);
        } else if (*r == kAppendDuplicateMessage) {
            outcomes.push_back(StoreOutcome::Duplicate);
        } else if (*r == kAppendNothing) {
            // No event to relay (the id is recorded), or the same follow through another subscription.
            outcomes.push_back(batch[i].event && !batch[i].event->dedupKey.empty() ? StoreOutcome::Duplicate
                                                                                   : StoreOutcome::Stored);
        } else {
            const LogAppend &a = group[i];
            auto e = std::make_shared<StoredEvent>();
            e->seq = *r;
            e->broadcasterId = std::string(a.broadcasterId);
            e->follow = a.kind == "follow";
            e->frame.reserve(a.frameHead.size() + a.frameTail.size() + 20);
            e->frame.append(a.frameHead).append(std::to_string(*r)).append(a.frameTail);
            e->receivedNs = batch[i].receivedNs;
            m_nextSeq = std::max(m_nextSeq, *r + 1);
            out.events.push_back(std::move(e));
            outcomes.push_back(StoreOutcome::Stored);
        }
    }
    // A group stores in seq order per broadcaster; PostgreSQL's seqs are per broadcaster, so the batch is
    // in the order of the group, which keeps each broadcaster's order.
}

void EventStore::shutdown() {
    {
        QMutexLocker lock(&m_mutex);
        m_draining = true; // a commit waiting for company goes now
        m_enoughQueued.wakeAll();
    }
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(this, &EventStore::shutdown, Qt::BlockingQueuedConnection);
        return;
    }
    flush();
    {
        QMutexLocker lock(&m_mutex);
        m_closed = true;
    }
    m_sqlite = nullptr;
    m_writer.reset();
    closeDatabase(m_connectionName);
}

void EventStore::prune() {
    // Rare and not in the commit path: Qt SQL on a connection of its own, on this thread.
    if (!QSqlDatabase::database(m_connectionName, false).isOpen()) {
        closeDatabase(m_connectionName);
        QString error;
        if (!openDatabase(m_target, m_connectionName, false, &error)) {
            qCWarning(lcStore).noquote() << "retention pass cannot open the database:" << error;
            closeDatabase(m_connectionName);
            return;
        }
    }
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (m_target.isPostgres()) {
        prunePostgres(db);
        return;
    }
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (!db.transaction())
        return;
    bool ok = true;
    auto exec = [&](QSqlQuery &q) {
        if (!q.exec()) {
            qCWarning(lcStore) << "retention pass failed:" << q.lastError().text();
            ok = false;
        }
        return ok;
    };
    // Per broadcaster, the newest seq that goes. Rows are in time order by seq, so the time cutoff is one
    // seq, found by walking the primary key from the oldest row.
    QHash<QString, qint64> through;
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT seq FROM events WHERE received_at >= ? ORDER BY seq LIMIT 1"));
    q.addBindValue(now - qint64(m_retention.days) * 86400);
    if (exec(q)) {
        const qint64 keepFrom = q.next() ? q.value(0).toLongLong() : m_nextSeq;
        QSqlQuery old(db);
        old.prepare(QStringLiteral(
            "SELECT broadcaster_id, MAX(seq) FROM events WHERE seq < ? GROUP BY broadcaster_id"));
        old.addBindValue(keepFrom);
        if (exec(old))
            while (old.next())
                through[old.value(0).toString()] = old.value(1).toLongLong();
    }
    QSqlQuery crowded(db);
    crowded.prepare(
        QStringLiteral("SELECT broadcaster_id FROM events GROUP BY broadcaster_id HAVING COUNT(*) > ?"));
    crowded.addBindValue(m_retention.eventsPerBroadcaster);
    if (exec(crowded)) {
        QSqlQuery nth(db);
        nth.prepare(QStringLiteral(
            "SELECT seq FROM events WHERE broadcaster_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?"));
        while (crowded.next()) {
            const QString b = crowded.value(0).toString();
            nth.bindValue(0, b);
            nth.bindValue(1, m_retention.eventsPerBroadcaster);
            if (exec(nth) && nth.next())
                through[b] = qMax(through.value(b), nth.value(0).toLongLong());
        }
    }
    qint64 deleted = 0;
    QSqlQuery mark(db);
    mark.prepare(QStringLiteral(
        "INSERT INTO pruned(broadcaster_id, through_seq) VALUES(?, ?) ON CONFLICT(broadcaster_id) "
        "DO UPDATE SET through_seq = MAX(through_seq, excluded.through_seq)"));
    QSqlQuery del(db);
    del.prepare(QStringLiteral("DELETE FROM events WHERE broadcaster_id = ? AND seq <= ?"));
    for (auto it = through.cbegin(); ok && it != through.cend(); ++it) {
        mark.bindValue(0, it.key());
        mark.bindValue(1, it.value());
        del.bindValue(0, it.key());
        del.bindValue(1, it.value());
        if (exec(mark) && exec(del))
            deleted += del.numRowsAffected();
    }
    // Message ids only guard the 10-minute replay window and Twitch's retries; a day is plenty. Rows go in
    // in time order, so the oldest are the lowest rowids: no time index has to be kept up on every insert.
    QSqlQuery seen(db);
    seen.prepare(QStringLiteral(
        "DELETE FROM seen_messages WHERE rowid < COALESCE((SELECT rowid FROM seen_messages "
        "WHERE received_at >= ? ORDER BY rowid LIMIT 1), (SELECT MAX(rowid) + 1 FROM seen_messages))"));
    seen.addBindValue(now - 86400);
    exec(seen);
    if (!ok || !db.commit()) {
        db.rollback();
        return;
    }
    if (deleted > 0)
        qCInfo(lcStore) << "retention removed" << deleted << "events";
}

void EventStore::prunePostgres(QSqlDatabase &db) {
    // Several relays share the log: whichever holds the lock prunes, the others skip this pass.
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (!db.transaction()) {
        db.close(); // perhaps a lost connection: the next pass opens a new one
        return;
    }
    bool ok = true;
    auto run = [&](const QString &sql, const QVariantList &values) {
        QSqlQuery q(db);
        q.prepare(sql);
        for (const QVariant &v : values)
            q.addBindValue(v);
        if (ok && !q.exec()) {
            qCWarning(lcStore) << "retention pass failed:" << q.lastError().text();
            ok = false;
        }
        return q;
    };
    QSqlQuery lock = run(QStringLiteral("SELECT pg_try_advisory_xact_lock(7262010312)"), {});
    if (!ok || !lock.next() || !lock.value(0).toBool()) {
        db.rollback();
        return;
    }
    // Per broadcaster, the newest seq that goes: past the age limit, or beyond the newest N.
    QSqlQuery through = run(QStringLiteral(R"(
        SELECT broadcaster_id, MAX(seq) FROM (
            SELECT broadcaster_id, seq FROM events WHERE received_at < ?
            UNION ALL
            SELECT broadcaster_id, seq FROM (
                SELECT broadcaster_id, seq,
                       ROW_NUMBER() OVER (PARTITION BY broadcaster_id ORDER BY seq DESC) AS newest
                FROM events) ranked
            WHERE newest > ?) doomed
        GROUP BY broadcaster_id)"),
                            {now - qint64(m_retention.days) * 86400, m_retention.eventsPerBroadcaster});
    qint64 deleted = 0;
    while (ok && through.next()) {
        const QVariantList key{through.value(0), through.value(1)};
        run(QStringLiteral(
                "INSERT INTO pruned(broadcaster_id, through_seq) VALUES(?, ?) ON CONFLICT(broadcaster_id) "
                "DO UPDATE SET through_seq = GREATEST(pruned.through_seq, excluded.through_seq)"),
            key);
        deleted += run(QStringLiteral("DELETE FROM events WHERE broadcaster_id = ? AND seq <= ?"), key)
                       .numRowsAffected();
    }
    // Message ids guard Twitch's retries and the 10-minute window: a day is plenty. A follow's key lasts as
    // long as the events do (on SQLite it is a column of the event).
    run(QStringLiteral("DELETE FROM seen_messages WHERE received_at < ?"), {now - 86400});
    run(QStringLiteral("DELETE FROM dedup_keys WHERE received_at < ?"),
        {now - qint64(m_retention.days) * 86400});
    if (!ok || !db.commit()) {
        db.rollback();
        db.close(); // perhaps a lost connection: the next pass opens a new one
        return;
    }
    if (deleted > 0)
        qCInfo(lcStore) << "retention removed" << deleted << "events";
}

Checkpointer::~Checkpointer() {
    if (!m_connectionName.isEmpty())
        closeDatabase(m_connectionName);
}

void Checkpointer::checkpoint() {
    if (m_connectionName.isEmpty()) {
        QString error;
        m_connectionName = uniqueConnectionName("checkpointer");
        if (!openDatabase(StorageTarget{m_path, {}}, m_connectionName, false, &error)) {
            qCWarning(lcStore).noquote() << error;
            closeDatabase(m_connectionName);
            m_connectionName.clear();
            return;
        }
    }
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    if (m_frameBytes == 0 && q.exec(QStringLiteral("PRAGMA page_size")) && q.next())
        m_frameBytes = q.value(0).toLongLong() + 24; // a WAL frame: its header and one page
    // (busy, frames in the log, frames copied back)
    if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)")) || !q.next()) {
        qCWarning(lcStore) << "checkpoint failed:" << q.lastError().text();
        return;
    }
    if (m_walBytes && q.value(1).toLongLong() >= 0)
        m_walBytes->store(q.value(1).toLongLong() * m_frameBytes, std::memory_order_relaxed);
}

std::unique_ptr<EventReader> EventReader::open(const StorageTarget &target, QString *error) {
    const QString name = uniqueConnectionName("reader");
    if (!openDatabase(target, name, false, error))
        return nullptr;
    return std::unique_ptr<EventReader>(new EventReader(target, name));
}

EventReader::~EventReader() {
    closeDatabase(m_connectionName);
}

std::optional<std::vector<StoredEventPtr>> EventReader::eventsAfter(const QString &broadcasterId,
                                                                    qint64 afterSeq, int limit) {
    std::vector<StoredEventPtr> out;
    QSqlQuery q =
        select(QStringLiteral("SELECT seq, kind, frame FROM events WHERE broadcaster_id = ? AND seq > ? "
                              "ORDER BY seq LIMIT ?"),
               {broadcasterId, afterSeq, limit});
    if (!q.isActive()) {
        qCWarning(lcStore) << "replay query failed:" << q.lastError().text();
        return std::nullopt;
    }
    while (q.next()) {
        auto e = std::make_shared<StoredEvent>();
        e->seq = q.value(0).toLongLong();
        e->broadcasterId = broadcasterId.toStdString();
        e->follow = q.value(1).toString() == u"follow";
        e->frame = q.value(2).toByteArray().toStdString();
        out.push_back(std::move(e));
    }
    return out;
}

qint64 EventReader::prunedThrough(const QString &broadcasterId) {
    QSqlQuery q =
        select(QStringLiteral("SELECT through_seq FROM pruned WHERE broadcaster_id = ?"), {broadcasterId});
    return q.isActive() && q.next() ? q.value(0).toLongLong() : 0;
}

std::optional<qint64> EventReader::lastSeq(const QString &broadcasterId) {
    QSqlQuery q = select(m_target.isPostgres()
                             ? QStringLiteral("SELECT last_seq FROM broadcaster_seq WHERE broadcaster_id = ?")
                             : QStringLiteral("SELECT MAX(seq) FROM events WHERE broadcaster_id = ?"),
                         {broadcasterId});
    if (!q.isActive())
        return std::nullopt;
    return q.next() ? q.value(0).toLongLong() : 0;
}

std::optional<QHash<QString, qint64>> EventReader::lastSeqs(const QStringList &broadcasterIds) {
    QHash<QString, qint64> out;
    constexpr int kChunk = 500;
    for (int from = 0; from < broadcasterIds.size(); from += kChunk) {
        const QStringList chunk = broadcasterIds.mid(from, kChunk);
        QStringList marks;
        marks.fill(QStringLiteral("?"), chunk.size());
        const QString sql =
            m_target.isPostgres()
                ? QStringLiteral(
                      "SELECT broadcaster_id, last_seq FROM broadcaster_seq WHERE broadcaster_id IN (%1)")
                : QStringLiteral("SELECT broadcaster_id, MAX(seq) FROM events WHERE broadcaster_id IN (%1) "
                                 "GROUP BY broadcaster_id");
        QSqlQuery q = select(sql.arg(marks.join(u',')), QVariantList(chunk.cbegin(), chunk.cend()));
        if (!q.isActive())
            return std::nullopt;
        while (q.next())
            out.insert(q.value(0).toString(), q.value(1).toLongLong());
    }
    return out;
}

QSqlQuery EventReader::select(const QString &sql, const QVariantList &values) {
    for (int attempt = 0;; ++attempt) {
        {
            QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
            q.setForwardOnly(true);
            q.prepare(sql);
            for (const QVariant &v : values)
                q.addBindValue(v);
            if (q.exec() || attempt > 0)
                return q;
        } // the failed query goes before its connection does
        if (!reopen())
            return QSqlQuery();
    }
}

bool EventReader::reopen() {
    closeDatabase(m_connectionName);
    QString error;
    if (openDatabase(m_target, m_connectionName, false, &error))
        return true;
    qCWarning(lcStore).noquote() << error;
    return false;
}

} // namespace streams::relay
