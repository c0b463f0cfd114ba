#include "storage/eventstore.h"

#include "protocol/codec.h"
#include "storage/database.h"
#include "storage/sqlitewriter.h"

#include <QDateTime>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QVariant>

#include <atomic>

Q_LOGGING_CATEGORY(lcStore, "streams.relay.storage")

namespace streams::relay {
namespace {

std::string_view view(const QByteArray &bytes) {
    return {bytes.constData(), std::size_t(bytes.size())};
}

QString uniqueConnectionName(const char *role) {
    static std::atomic<int> counter{0};
    return QStringLiteral("%1-%2").arg(QLatin1String(role)).arg(counter.fetch_add(1));
}

} // namespace

std::unique_ptr<EventStore> EventStore::open(const QString &path, RetentionPolicy retention,
                                             Durability durability, QString *error) {
    const QString name = uniqueConnectionName("writer");
    auto db = openDatabase(path, name, true, error);
    if (!db)
        return nullptr;
    QSqlQuery q(*db);
    QString epoch;
    if (q.exec(QStringLiteral("SELECT value FROM meta WHERE key='epoch'")) && q.next())
        epoch = q.value(0).toString();
    qint64 nextSeq = 1;
    if (q.exec(QStringLiteral("SELECT MAX(seq) FROM events")) && q.next())
        nextSeq = q.value(0).toLongLong() + 1;
    // Never reuse a seq that retention deleted.
    if (q.exec(QStringLiteral("SELECT MAX(through_seq) FROM pruned")) && q.next())
        nextSeq = qMax(nextSeq, q.value(0).toLongLong() + 1);
    q = QSqlQuery();
    db.reset();
    closeDatabase(name);
    if (epoch.isEmpty()) {
        *error = QStringLiteral("database %1 has no epoch").arg(path);
        return nullptr;
    }
    return std::unique_ptr<EventStore>(new EventStore(path, name, epoch, nextSeq, retention, durability));
}

EventStore::EventStore(QString path, QString connectionName, QString epoch, qint64 nextSeq,
                       RetentionPolicy retention, Durability durability)
    : m_path(std::move(path))
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
    m_queue.push_back(std::move(event));
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

void EventStore::flush() {
    std::vector<IncomingEvent> batch;
    std::vector<std::pair<QString, QVariantList>> writes;
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
    if (!storeBatch(batch, writes, outcomes, out)) {
        out.events.clear();
        outcomes.assign(batch.size(), StoreOutcome::Failed);
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
    if (m_writer->restartWal(50))
        m_walBytes.store(0, std::memory_order_relaxed); // the next checkpoint counts afresh
    else // busy: a reader or the checkpointer; the next commit tries again
        qCDebug(lcStore).noquote() << "WAL restart postponed:" << m_writer->lastError();
}

bool EventStore::ensureOpen() {
    if (m_writer)
        return true;
    QString error;
    m_writer = SqliteWriter::open(m_path, m_durability == Durability::Fsync, &error);
    if (!m_writer)
        qCWarning(lcStore).noquote() << error;
    return m_writer != nullptr;
}

bool EventStore::storeBatch(std::vector<IncomingEvent> &batch,
                            std::vector<std::pair<QString, QVariantList>> &writes,
                            std::vector<StoreOutcome> &outcomes, CommittedBatch &out) {
    if (!ensureOpen())
        return false;
    if (!m_writer->begin()) {
        qCWarning(lcStore).noquote() << "cannot begin transaction:" << m_writer->lastError();
        return false;
    }
    for (const auto &[sql, bindings] : writes)
        if (!m_writer->exec(sql, bindings)) // bookkeeping only: log it, keep the events
            qCWarning(lcStore).noquote() << "write failed:" << m_writer->lastError();
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    qint64 nextSeq = m_nextSeq;
    std::vector<StoredEventPtr> stored;
    auto fail = [this](const char *what) {
        qCWarning(lcStore).noquote() << what << m_writer->lastError();
        m_writer->rollback();
        return false;
    };
    for (IncomingEvent &in : batch) {
        const auto fresh = m_writer->recordMessage(view(in.messageId), now);
        if (!fresh)
            return fail("cannot record message id:");
        if (!*fresh || !in.event) {
            outcomes.push_back(*fresh ? StoreOutcome::Stored : StoreOutcome::Duplicate);
            continue;
        }
        protocol::Event &ev = *in.event;
        ev.seq = nextSeq;
        QByteArray frame = protocol::encode(ev);
        if (frame.size() > protocol::kMaxFrameBytes) {
            // Clients refuse frames over 64 KiB (JSON re-encoding can grow a 20 KB body past that): keep the
            // event, without Twitch's raw object.
            ev.data = QJsonObject{{QStringLiteral("truncated"), true}};
            frame = protocol::encode(ev);
        }
        const QByteArray id = ev.id.toUtf8(), broadcaster = ev.broadcasterId.toUtf8(),
                         kind = ev.kind.toUtf8(), dedup = in.dedupKey.toUtf8();
        const auto inserted = m_writer->insertEvent(ev.seq, view(id), view(broadcaster), view(kind),
                                                    view(dedup), now, view(frame));
        if (!inserted)
            return fail("cannot store event:");
        if (!*inserted) { // the same follow through another subscription
            outcomes.push_back(StoreOutcome::Duplicate);
            continue;
        }
        ++nextSeq;
        auto e = std::make_shared<StoredEvent>();
        e->seq = ev.seq;
        e->broadcasterId = broadcaster.toStdString();
        e->follow = ev.kind == u"follow";
        e->frame = frame.toStdString();
        e->receivedNs = in.receivedNs;
        stored.push_back(std::move(e));
        outcomes.push_back(StoreOutcome::Stored);
    }
    if (!m_writer->commit())
        return fail("commit failed:");
    m_nextSeq = nextSeq;
    out.events = std::move(stored);
    return true;
}

void EventStore::shutdown() {
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(this, &EventStore::shutdown, Qt::BlockingQueuedConnection);
        return;
    }
    flush();
    {
        QMutexLocker lock(&m_mutex);
        m_closed = true;
    }
    m_writer.reset();
    closeDatabase(m_connectionName);
}

void EventStore::prune() {
    // Rare and not in the commit path: Qt SQL on a connection of its own, on this thread.
    if (!QSqlDatabase::database(m_connectionName, false).isOpen()) {
        QString error;
        if (!openDatabase(m_path, m_connectionName, false, &error)) {
            qCWarning(lcStore).noquote() << "retention pass cannot open the database:" << error;
            closeDatabase(m_connectionName);
            return;
        }
    }
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
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

Checkpointer::~Checkpointer() {
    if (!m_connectionName.isEmpty())
        closeDatabase(m_connectionName);
}

void Checkpointer::checkpoint() {
    if (m_connectionName.isEmpty()) {
        QString error;
        m_connectionName = uniqueConnectionName("checkpointer");
        if (!openDatabase(m_path, m_connectionName, false, &error)) {
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

std::unique_ptr<EventReader> EventReader::open(const QString &path, QString *error) {
    const QString name = uniqueConnectionName("reader");
    if (!openDatabase(path, name, false, error))
        return nullptr;
    return std::unique_ptr<EventReader>(new EventReader(name));
}

EventReader::~EventReader() {
    closeDatabase(m_connectionName);
}

std::optional<std::vector<StoredEventPtr>> EventReader::eventsAfter(const QString &broadcasterId,
                                                                    qint64 afterSeq, int limit) {
    std::vector<StoredEventPtr> out;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT seq, kind, frame FROM events WHERE broadcaster_id = ? AND seq > ? "
                             "ORDER BY seq LIMIT ?"));
    q.addBindValue(broadcasterId);
    q.addBindValue(afterSeq);
    q.addBindValue(limit);
    if (!q.exec()) {
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
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT through_seq FROM pruned WHERE broadcaster_id = ?"));
    q.addBindValue(broadcasterId);
    return q.exec() && q.next() ? q.value(0).toLongLong() : 0;
}

} // namespace streams::relay
