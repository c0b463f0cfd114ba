#include "store/localstore.h"

#include "platform/migrations.h"

#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QTimeZone>
#include <QUuid>
#include <QVariant>

Q_LOGGING_CATEGORY(lcStore, "streams.app.store")

namespace streams::app {
namespace {

// One statement per step (platform/migrations.h); a new version appends its steps.
const QList<MigrationStep> kSchema = {
    {1, QStringLiteral(R"(CREATE TABLE events(
           key TEXT PRIMARY KEY,
           broadcaster_id TEXT NOT NULL,
           kind TEXT NOT NULL,
           user_id TEXT NOT NULL DEFAULT '',
           user_login TEXT NOT NULL DEFAULT '',
           user_name TEXT NOT NULL DEFAULT '',
           amount INTEGER NOT NULL DEFAULT 0,
           tier TEXT NOT NULL DEFAULT '',
           message TEXT NOT NULL DEFAULT '',
           occurred_at INTEGER NOT NULL,
           source TEXT NOT NULL))")},
    {1,
     QStringLiteral("CREATE INDEX events_by_broadcaster_time ON events(broadcaster_id, occurred_at DESC)")},
    {1,
     QStringLiteral(
         "CREATE TABLE cursors(broadcaster_id TEXT PRIMARY KEY, epoch TEXT NOT NULL, seq INTEGER NOT NULL)")},
    // Events that arrived while the user was not looking, until they are read.
    {2, QStringLiteral("CREATE TABLE unread(key TEXT PRIMARY KEY, broadcaster_id TEXT NOT NULL)")},
    {2, QStringLiteral("CREATE INDEX unread_by_broadcaster ON unread(broadcaster_id)")},
};

// Opens and migrates; an empty string on success, else why not.
QString openAndMigrate(const QString &path, const QString &connection) {
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000")); // the writer thread's transactions
    if (!db.open())
        return db.lastError().text();
    QSqlQuery q(db);
    // NORMAL: a power cut may lose the last few events, which the relay replays from the cursor; a crash
    // loses nothing. FULL would cost an fsync per event in a follow-bot storm.
    if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL")) ||
        !q.exec(QStringLiteral("PRAGMA synchronous=NORMAL")) ||
        !q.exec(QStringLiteral("PRAGMA quick_check")) || !q.next() ||
        q.value(0).toString() != QLatin1String("ok"))
        return q.lastError().text().isEmpty() ? QStringLiteral("integrity check failed")
                                              : q.lastError().text();
    q.finish();
    if (const auto failed = migrateSchema(db, kSchema))
        return failed->kind == MigrationError::Kind::NewerSchema
                   ? QStringLiteral("made by a newer version of the app (schema %1)").arg(failed->found)
                   : failed->detail;
    return {};
}

void close(const QString &connection) {
    { QSqlDatabase::database(connection, false).close(); }
    QSqlDatabase::removeDatabase(connection);
}

FeedEvent fromQuery(const QSqlQuery &q) {
    FeedEvent e;
    e.key = q.value(0).toString();
    e.broadcasterId = q.value(1).toString();
    e.kind = q.value(2).toString();
    e.userId = q.value(3).toString();
    e.userLogin = q.value(4).toString();
    e.userName = q.value(5).toString();
    e.amount = q.value(6).toInt();
    e.tier = q.value(7).toString();
    e.message = q.value(8).toString();
    e.occurredAt = QDateTime::fromMSecsSinceEpoch(q.value(9).toLongLong(), QTimeZone::utc());
    e.source = q.value(10).toString();
    return e;
}

bool writeCursor(QSqlDatabase db, const QString &broadcasterId, const RelayCursor &cursor) {
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "INSERT INTO cursors(broadcaster_id, epoch, seq) VALUES(?, ?, ?) "
        "ON CONFLICT(broadcaster_id) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq"));
    q.addBindValue(broadcasterId);
    q.addBindValue(cursor.epoch);
    q.addBindValue(cursor.seq);
    return q.exec();
}

// One transaction: the events (what is new is returned) and, when given, the relay cursor after them.
QList<FeedEvent> insertInto(QSqlDatabase db, const QList<FeedEvent> &events,
                            const std::optional<LocalStore::CursorUpdate> &cursor) {
    QList<FeedEvent> added;
    db.transaction();
    QSqlQuery q(db);
    q.prepare(QStringLiteral(
        "INSERT OR IGNORE INTO events(key, broadcaster_id, kind, user_id, user_login, user_name, "
        "amount, tier, message, occurred_at, source) VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
    for (const FeedEvent &e : events) {
        // A null QString binds as NULL, which NOT NULL (with OR IGNORE) would silently drop: bind "".
        auto text = [](const QString &s) { return s.isNull() ? QStringLiteral("") : s; };
        const QVariantList values{text(e.key),       text(e.broadcasterId),
                                  text(e.kind),      text(e.userId),
                                  text(e.userLogin), text(e.userName),
                                  e.amount,          text(e.tier),
                                  text(e.message),   e.occurredAt.toMSecsSinceEpoch(),
                                  text(e.source)};
        for (int i = 0; i < values.size(); ++i)
            q.bindValue(i, values[i]);
        if (!q.exec()) {
            qCWarning(lcStore) << "cannot store event:" << q.lastError().text();
            continue;
        }
        if (q.numRowsAffected() > 0)
            added.append(e);
    }
    if (cursor && !writeCursor(db, cursor->broadcasterId, cursor->cursor)) {
        qCWarning(lcStore) << "cannot store the relay cursor:" << db.lastError().text();
        db.rollback();
        return {};
    }
    if (!db.commit()) {
        qCWarning(lcStore) << "cannot commit events:" << db.lastError().text();
        db.rollback();
        return {};
    }
    return added;
}

// Runs `statement` once per row of `rows` (each row's values bound in order), in one transaction.
bool execEach(QSqlDatabase db, const QString &statement, const QList<QVariantList> &rows) {
    db.transaction();
    QSqlQuery q(db);
    q.prepare(statement);
    for (const QVariantList &values : rows) {
        for (int i = 0; i < values.size(); ++i)
            q.bindValue(i, values[i]);
        if (!q.exec()) {
            qCWarning(lcStore) << "cannot keep the unread marks:" << q.lastError().text();
            db.rollback();
            return false;
        }
    }
    return db.commit();
}

} // namespace

// Owns the store's second connection, on the store's thread.
class StoreWorker : public QObject {
public:
    StoreWorker(QString path, QString connection)
        : m_path(std::move(path))
        , m_connection(std::move(connection)) {}
    QList<FeedEvent> write(const QList<FeedEvent> &events,
                           const std::optional<LocalStore::CursorUpdate> &cursor) {
        return insertInto(database(), events, cursor);
    }
    bool forgetEverything() {
        QSqlDatabase db = database();
        QSqlQuery q(db);
        db.transaction();
        if (!q.exec(QStringLiteral("DELETE FROM events")) || !q.exec(QStringLiteral("DELETE FROM cursors")) ||
            !q.exec(QStringLiteral("DELETE FROM unread"))) {
            qCWarning(lcStore) << "cannot clear the event history:" << q.lastError().text();
            db.rollback();
            return false;
        }
        return db.commit();
    }
    void markUnread(const QString &broadcasterId, const QStringList &keys) {
        QList<QVariantList> rows;
        for (const QString &key : keys)
            rows.append({key, broadcasterId});
        // Only events the store has: a mark never outlives its event's broadcaster history.
        execEach(
            database(),
            QStringLiteral("INSERT OR IGNORE INTO unread(key, broadcaster_id) "
                           "SELECT key, broadcaster_id FROM events WHERE key = ? AND broadcaster_id = ?"),
            rows);
    }
    void markRead(const QStringList &keys) {
        QList<QVariantList> rows;
        for (const QString &key : keys)
            rows.append({key});
        execEach(database(), QStringLiteral("DELETE FROM unread WHERE key = ?"), rows);
    }
    void markAllRead(const QString &broadcasterId) {
        execEach(database(), QStringLiteral("DELETE FROM unread WHERE broadcaster_id = ?"),
                 {{broadcasterId}});
    }
    void finish() { close(m_connection); }

private:
    QSqlDatabase database() {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (!db.isValid()) {
            db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
            db.setDatabaseName(m_path);
            db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
            if (!db.open())
                qCWarning(lcStore) << "cannot open the event history for writing:" << db.lastError().text();
            QSqlQuery(db).exec(QStringLiteral("PRAGMA synchronous=NORMAL"));
        }
        return db;
    }

    QString m_path;
    QString m_connection;
};

LocalStore::LocalStore(QString path, QString connection)
    : m_path(std::move(path))
    , m_connection(std::move(connection))
    , m_receiver(std::make_unique<QObject>())
    , m_thread(std::make_unique<QThread>()) {
    m_thread->setObjectName(QStringLiteral("local-store"));
    m_worker = new StoreWorker(m_path, m_connection + QStringLiteral("-writer"));
    m_worker->moveToThread(m_thread.get());
    m_thread->start();
}

LocalStore::Opened LocalStore::open(const QString &directory) {
    Opened result;
    if (!QDir().mkpath(directory)) {
        result.error = QStringLiteral("Cannot create the profile folder %1.").arg(directory);
        return result;
    }
    const QString path = QDir(directory).filePath(QStringLiteral("events.sqlite3"));
    const QString connection = QStringLiteral("local-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    QString problem = openAndMigrate(path, connection);
    if (!problem.isEmpty()) {
        close(connection);
        // Keep the damaged file for the curious, start afresh: the feed refills from the relay and Helix.
        const QString aside = path + QStringLiteral(".damaged-") +
                              QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMddHHmmss"));
        for (const char *suffix : {"", "-wal", "-shm"})
            QFile::rename(path + QLatin1String(suffix), aside + QLatin1String(suffix));
        result.notice =
            QStringLiteral("The event history could not be read (%1). It was moved to %2 and a new "
                           "one was started; recent events will be fetched again.")
                .arg(problem, QDir::toNativeSeparators(aside));
        qCWarning(lcStore).noquote() << result.notice;
        problem = openAndMigrate(path, connection);
        if (!problem.isEmpty()) {
            close(connection);
            result.error = QStringLiteral("Cannot create the event history at %1: %2").arg(path, problem);
            return result;
        }
    }
    result.store = std::unique_ptr<LocalStore>(new LocalStore(path, connection));
    return result;
}

LocalStore::~LocalStore() {
    // Every write already queued is finished (the queue is in order), then the thread ends.
    StoreWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker,
        [worker] {
            worker->finish();
            QThread::currentThread()->quit();
        },
        Qt::QueuedConnection);
    m_thread->wait();
    delete m_worker; // its thread has ended: nothing else touches it
    m_worker = nullptr;
    close(m_connection);
}

QList<FeedEvent> LocalStore::insert(const QList<FeedEvent> &events) {
    return insertInto(QSqlDatabase::database(m_connection, false), events, std::nullopt);
}

void LocalStore::write(QList<FeedEvent> events, std::optional<CursorUpdate> cursor, QObject *context,
                       std::function<void(QList<FeedEvent>)> done) {
    QPointer<QObject> target(context);
    QObject *receiver = m_receiver.get();
    StoreWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker,
        [worker, receiver, target, events = std::move(events), cursor = std::move(cursor),
         done = std::move(done)]() mutable {
            QList<FeedEvent> added = worker->write(events, cursor);
            QMetaObject::invokeMethod(
                receiver,
                [target, added = std::move(added), done = std::move(done)] {
                    if (target && done)
                        done(added);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

QList<FeedEvent> LocalStore::recent(const QString &broadcasterId, int limit, const QStringList &kinds) const {
    QString sql =
        QStringLiteral("SELECT key, broadcaster_id, kind, user_id, user_login, user_name, amount, tier, "
                       "message, occurred_at, source FROM events WHERE broadcaster_id = ?");
    if (!kinds.isEmpty())
        sql +=
            QStringLiteral(" AND kind IN (%1)").arg(QStringList(kinds.size(), QStringLiteral("?")).join(','));
    sql += QStringLiteral(" ORDER BY occurred_at DESC LIMIT ?");
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(sql);
    q.addBindValue(broadcasterId);
    for (const QString &k : kinds)
        q.addBindValue(k);
    q.addBindValue(limit);
    QList<FeedEvent> out;
    if (!q.exec())
        return out;
    while (q.next())
        out.append(fromQuery(q));
    return out;
}

std::optional<RelayCursor> LocalStore::cursor(const QString &broadcasterId) const {
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT epoch, seq FROM cursors WHERE broadcaster_id = ?"));
    q.addBindValue(broadcasterId);
    if (!q.exec() || !q.next())
        return std::nullopt;
    return RelayCursor{q.value(0).toString(), q.value(1).toLongLong()};
}

QSet<QString> LocalStore::unreadKeys(const QString &broadcasterId) const {
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT key FROM unread WHERE broadcaster_id = ?"));
    q.addBindValue(broadcasterId);
    QSet<QString> keys;
    if (q.exec())
        while (q.next())
            keys.insert(q.value(0).toString());
    return keys;
}

void LocalStore::markUnread(const QString &broadcasterId, const QStringList &keys) {
    StoreWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, broadcasterId, keys] { worker->markUnread(broadcasterId, keys); },
        Qt::QueuedConnection);
}

void LocalStore::markRead(const QStringList &keys) {
    StoreWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, keys] { worker->markRead(keys); }, Qt::QueuedConnection);
}

void LocalStore::markAllRead(const QString &broadcasterId) {
    StoreWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, broadcasterId] { worker->markAllRead(broadcasterId); }, Qt::QueuedConnection);
}

bool LocalStore::readEvents(const QString &path, const EventQuery &query,
                            const std::function<void(qint64)> &begin,
                            const std::function<bool(const FeedEvent &)> &each, QString *error) {
    const QString connection = QStringLiteral("read-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
        QString where =
            QStringLiteral(" FROM events WHERE broadcaster_id = ? AND occurred_at BETWEEN ? AND ?");
        if (!query.kinds.isEmpty())
            where += QStringLiteral(" AND kind IN (%1)")
                         .arg(QStringList(query.kinds.size(), QStringLiteral("?")).join(QLatin1Char(',')));
        QVariantList values{query.broadcasterId, query.from.toMSecsSinceEpoch(),
                            query.to.toMSecsSinceEpoch()};
        for (const QString &kind : query.kinds)
            values.append(kind);
        auto prepared = [&](const QString &sql) {
            QSqlQuery q(db);
            q.setForwardOnly(true);
            q.prepare(sql);
            for (int i = 0; i < values.size(); ++i)
                q.bindValue(i, values[i]);
            return q;
        };
        if (!db.open()) {
            *error = db.lastError().text();
        } else if (QSqlQuery count = prepared(QStringLiteral("SELECT COUNT(*)") + where);
                   !count.exec() || !count.next()) {
            *error = count.lastError().text();
        } else {
            begin(count.value(0).toLongLong());
            QSqlQuery rows =
                prepared(QStringLiteral("SELECT key, broadcaster_id, kind, user_id, user_login, "
                                        "user_name, amount, tier, message, occurred_at, source") +
                         where + QStringLiteral(" ORDER BY occurred_at, key"));
            if (!rows.exec()) {
                *error = rows.lastError().text();
            } else {
                ok = true;
                while (rows.next() && each(fromQuery(rows))) {
                }
                if (rows.lastError().isValid()) {
                    *error = rows.lastError().text();
                    ok = false;
                }
            }
        }
    }
    close(connection);
    return ok;
}

bool LocalStore::forgetEverything() {
    Q_ASSERT(QThread::currentThread() != m_thread.get());
    // Queued behind every earlier write (the queue is in order): a write still waiting when the user logs
    // out cannot land after the wipe.
    bool forgotten = false;
    StoreWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, &forgotten] { forgotten = worker->forgetEverything(); },
        Qt::BlockingQueuedConnection);
    return forgotten;
}

bool LocalStore::setCursor(const QString &broadcasterId, const RelayCursor &cursor) {
    return writeCursor(QSqlDatabase::database(m_connection, false), broadcasterId, cursor);
}

} // namespace streams::app
