#include "storage/database.h"

#include "platform/migrations.h"

#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrlQuery>
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

// The same log on PostgreSQL, shared by several relays. `seq` counts per broadcaster and is issued inside
// the committing transaction (streams_append), so that {epoch, seq} means the same on every relay, and a
// broadcaster's events commit in seq order (the counter's row stays locked until the commit). Duplicates
// are refused by unique keys (ON CONFLICT DO NOTHING), so the same webhook reaching two relays is stored
// once and both acknowledge it.
QList<MigrationStep> postgresSchema() {
    const QString epoch = QString::number(QRandomGenerator::system()->generate64(), 36);
    return {
        {1, QStringLiteral("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")},
        {1, QStringLiteral(R"(CREATE TABLE events(
                broadcaster_id TEXT NOT NULL,
                seq BIGINT NOT NULL,
                message_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                frame BYTEA NOT NULL,
                PRIMARY KEY (broadcaster_id, seq)))")},
        {1, QStringLiteral("CREATE INDEX events_by_time ON events(received_at)")},
        {1, QStringLiteral(
                "CREATE TABLE broadcaster_seq(broadcaster_id TEXT PRIMARY KEY, last_seq BIGINT NOT NULL)")},
        {1,
         QStringLiteral("CREATE TABLE dedup_keys(dedup_key TEXT PRIMARY KEY, received_at BIGINT NOT NULL)")},
        {1, QStringLiteral(
                "CREATE TABLE seen_messages(message_id TEXT PRIMARY KEY, received_at BIGINT NOT NULL)")},
        {1, QStringLiteral("CREATE INDEX seen_messages_by_time ON seen_messages(received_at)")},
        {1, QStringLiteral("CREATE INDEX dedup_keys_by_time ON dedup_keys(received_at)")},
        {1,
         QStringLiteral("CREATE TABLE pruned(broadcaster_id TEXT PRIMARY KEY, through_seq BIGINT NOT NULL)")},
        {1, QStringLiteral(R"(CREATE TABLE subscriptions(
                id TEXT PRIMARY KEY,
                type TEXT NOT NULL,
                broadcaster_id TEXT NOT NULL,
                moderator_id TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL,
                last_wanted_at BIGINT NOT NULL))")},
        // One notification: its message id (a repeat stores nothing: -1), its dedup key (the same follow
        // through another subscription: 0), then the broadcaster's next seq and the row. The frame is sent
        // in two halves around its seq, which only the database knows.
        {1, QStringLiteral(R"(CREATE FUNCTION streams_append(p_message_id TEXT, p_dedup_key TEXT,
                p_broadcaster_id TEXT, p_kind TEXT, p_received_at BIGINT, p_head BYTEA, p_tail BYTEA)
                RETURNS BIGINT LANGUAGE plpgsql AS $$
            DECLARE
                next_seq BIGINT;
            BEGIN
                INSERT INTO seen_messages(message_id, received_at) VALUES (p_message_id, p_received_at)
                    ON CONFLICT DO NOTHING;
                IF NOT FOUND THEN
                    RETURN -1;
                END IF;
                IF p_broadcaster_id IS NULL THEN
                    RETURN 0;
                END IF;
                IF p_dedup_key IS NOT NULL THEN
                    INSERT INTO dedup_keys(dedup_key, received_at) VALUES (p_dedup_key, p_received_at)
                        ON CONFLICT DO NOTHING;
                    IF NOT FOUND THEN
                        RETURN 0;
                    END IF;
                END IF;
                INSERT INTO broadcaster_seq AS b(broadcaster_id, last_seq) VALUES (p_broadcaster_id, 1)
                    ON CONFLICT (broadcaster_id) DO UPDATE SET last_seq = b.last_seq + 1
                    RETURNING last_seq INTO next_seq;
                INSERT INTO events(broadcaster_id, seq, message_id, kind, received_at, frame)
                    VALUES (p_broadcaster_id, next_seq, p_message_id, p_kind, p_received_at,
                            p_head || convert_to(next_seq::text, 'UTF8') || p_tail);
                RETURN next_seq;
            END
            $$)")},
        {1, QStringLiteral("INSERT INTO meta(key, value) VALUES('epoch', ?)"), {epoch}},
        // Requests of relays to the one that owns the subscriptions (eventsub/coordinator.h), and its
        // answers.
        {2, QStringLiteral(R"(CREATE TABLE wanted(
                id BIGSERIAL PRIMARY KEY,
                broadcaster_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                requested_at BIGINT NOT NULL,
                answered BOOLEAN NOT NULL DEFAULT FALSE,
                kinds TEXT,
                warning_code TEXT,
                warning_message TEXT,
                error_code TEXT,
                error_message TEXT))")},
    };
}

std::optional<QSqlDatabase> openPostgres(const StorageTarget &target, const QString &connectionName,
                                         bool migrate, QString *error) {
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connectionName);
    if (!db.isValid()) {
        *error = QStringLiteral("PostgreSQL: Qt's QPSQL driver is missing (Debian: libqt6sql6-psql)");
        return std::nullopt;
    }
    const QUrl &url = target.postgres;
    db.setHostName(url.host().isEmpty() ? QStringLiteral("localhost") : url.host());
    db.setPort(url.port(5432));
    db.setUserName(url.userName());
    db.setPassword(url.password());
    db.setDatabaseName(url.path().mid(1));
    QStringList options;
    const QUrlQuery query(url);
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded))
        options << key + u'=' + value;
    db.setConnectOptions(options.join(u';'));
    if (!db.open()) {
        // libpq's messages span lines; the relay says one.
        *error = QStringLiteral("cannot open database %1: %2")
                     .arg(target.describe(), db.lastError().text().simplified());
        return std::nullopt;
    }
    // The server's notices ("already exists, skipping") would reach stderr through libpq, past the log.
    QSqlQuery(db).exec(QStringLiteral("SET client_min_messages = warning"));
    if (!migrate)
        return db;
    if (const auto failed = migrateSchema(db, postgresSchema())) {
        if (failed->kind == MigrationError::Kind::NewerSchema)
            *error = QStringLiteral("database %1 has schema %2, newer than this relay (%3)")
                         .arg(target.describe())
                         .arg(failed->found)
                         .arg(failed->known);
        else
            *error = QStringLiteral("database %1: %2").arg(target.describe(), failed->detail);
        return std::nullopt;
    }
    return db;
}

} // namespace

QString StorageTarget::describe() const {
    if (!isPostgres())
        return sqlitePath;
    QUrl shown = postgres;
    shown.setPassword({});
    shown.setQuery(QString());
    return shown.toString();
}

std::string StorageTarget::libpqConnectionString() const {
    // keyword = 'value' pairs, with \ and ' escaped as libpq wants.
    auto quoted = [](const QString &value) {
        QString v = value;
        v.replace(u'\\', QStringLiteral("\\\\"));
        v.replace(u'\'', QStringLiteral("\\'"));
        return QStringLiteral("'%1'").arg(v);
    };
    QStringList parts;
    parts << QStringLiteral("host=") +
                 quoted(postgres.host().isEmpty() ? QStringLiteral("localhost") : postgres.host());
    parts << QStringLiteral("port=") + QString::number(postgres.port(5432));
    if (!postgres.userName().isEmpty())
        parts << QStringLiteral("user=") + quoted(postgres.userName());
    if (!postgres.password().isEmpty())
        parts << QStringLiteral("password=") + quoted(postgres.password());
    parts << QStringLiteral("dbname=") + quoted(postgres.path().mid(1));
    for (const auto &[key, value] : QUrlQuery(postgres).queryItems(QUrl::FullyDecoded))
        parts << key + u'=' + quoted(value);
    return parts.join(u' ').toStdString();
}

std::optional<QSqlDatabase> openDatabase(const StorageTarget &target, const QString &connectionName,
                                         bool migrate, QString *error) {
    if (target.isPostgres())
        return openPostgres(target, connectionName, migrate, error);
    const QString &path = target.sqlitePath;
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
