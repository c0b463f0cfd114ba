#include "storage/database.h"

#include "platform/migrations.h"

#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace streams::relay {
namespace {

bool exec(QSqlDatabase &db, const QString &sql, QString *error) {
    QSqlQuery q(db);
    if (!q.exec(sql)) {
        *error = QStringLiteral("database: %1 (%2)").arg(q.lastError().text(), sql.left(60));
        return false;
    }
    return true;
}

// The event log's schema, one statement per step (platform/migrations.h).
QList<MigrationStep> schema() {
    // The epoch names this event log; a new database is a new log.
    const QString epoch = QString::number(QRandomGenerator::system()->generate64(), 36);
    return {
        {1, QStringLiteral("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")},
        {1, QStringLiteral(R"(CREATE TABLE events(
                seq INTEGER PRIMARY KEY,
                message_id TEXT NOT NULL,
                broadcaster_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                dedup_key TEXT UNIQUE,
                received_at INTEGER NOT NULL,
                frame BLOB NOT NULL))")},
        {1, QStringLiteral("CREATE INDEX events_by_broadcaster ON events(broadcaster_id, seq)")},
        {1, QStringLiteral(
                "CREATE TABLE seen_messages(message_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL)")},
        {1, QStringLiteral(
                "CREATE TABLE pruned(broadcaster_id TEXT PRIMARY KEY, through_seq INTEGER NOT NULL)")},
        {1, QStringLiteral(R"(CREATE TABLE subscriptions(
                id TEXT PRIMARY KEY,
                type TEXT NOT NULL,
                broadcaster_id TEXT NOT NULL,
                moderator_id TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL,
                last_wanted_at INTEGER NOT NULL))")},
        {1, QStringLiteral("INSERT INTO meta(key, value) VALUES('epoch', ?)"), {epoch}},
    };
}

} // namespace

std::optional<QSqlDatabase> openDatabase(const QString &path, const QString &connectionName, bool migrate,
                                         QString *error) {
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open()) {
        *error = QStringLiteral("cannot open database %1: %2").arg(path, db.lastError().text());
        return std::nullopt;
    }
    // WAL lets hub threads read while the writer commits; FULL makes each commit durable on disk
    // before the webhook is acknowledged.
    QString cause;
    // Before the first table exists (ignored afterwards): small pages, because every commit writes each
    // page it touched to the WAL, and the message-id and follow indexes take random inserts.
    exec(db, QStringLiteral("PRAGMA page_size=1024"), &cause);
    if (!exec(db, QStringLiteral("PRAGMA journal_mode=WAL"), &cause) ||
        !exec(db, QStringLiteral("PRAGMA synchronous=FULL"), &cause) ||
        !exec(db, QStringLiteral("PRAGMA foreign_keys=ON"), &cause)) {
        *error =
            QStringLiteral("database %1 is unreadable or corrupt (%2); move it aside or restore a backup")
                .arg(path, cause);
        return std::nullopt;
    }

    QSqlQuery check(db);
    if (!check.exec(QStringLiteral("PRAGMA quick_check")) || !check.next() ||
        check.value(0).toString() != QLatin1String("ok")) {
        *error =
            QStringLiteral("database %1 is corrupt (quick_check failed); move it aside or restore a backup")
                .arg(path);
        return std::nullopt;
    }
    if (!migrate)
        return db;

    if (const auto failed = migrateSchema(db, schema())) {
        if (failed->kind == MigrationError::Kind::NewerSchema)
            *error = QStringLiteral("database %1 has schema %2, newer than this relay (%3)")
                         .arg(path)
                         .arg(failed->found)
                         .arg(failed->known);
        else
            *error = QStringLiteral("database: %1").arg(failed->detail);
        return std::nullopt;
    }
    return db;
}

void closeDatabase(const QString &connectionName) {
    {
        QSqlDatabase db = QSqlDatabase::database(connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(connectionName);
}

} // namespace streams::relay
