#pragma once

// Where the relay's event log lives: a SQLite file in the data directory (one relay, the default) or a
// PostgreSQL database shared by several relays (STREAMS_RELAY_DATABASE_URL). Both are opened through Qt
// SQL for migrations, retention and readers; each has its own writer (sqlitewriter.h, pgwriter.h).

#include <QSqlDatabase>
#include <QString>
#include <QUrl>

#include <optional>

namespace streams::relay {

struct StorageTarget {
    QString sqlitePath; // used when `postgres` is empty
    QUrl postgres;      // postgresql://user:password@host:port/database?sslmode=…

    bool isPostgres() const { return !postgres.isEmpty(); }
    // For logs and /readyz: never the password.
    QString describe() const;
    // libpq's connection string (keyword=value, quoted), password included: for the connection only.
    std::string libpqConnectionString() const;
};

// Opens (creating and migrating when `migrate` is set) the database under a connection name unique to the
// calling thread. On failure returns nullopt and sets *error to one sentence.
std::optional<QSqlDatabase> openDatabase(const StorageTarget &target, const QString &connectionName,
                                         bool migrate, QString *error);
void closeDatabase(const QString &connectionName);

} // namespace streams::relay
