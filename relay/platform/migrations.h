#pragma once

// Schema migrations of a SQLite or PostgreSQL database (Qt SQL), for the relay's event log and the app's
// local store.
// A schema is a list of numbered steps, each one SQL statement (nothing is split on ';', so a ';' inside a
// string literal or a trigger is safe). The steps of one version run in one transaction that also sets
// PRAGMA user_version to that version: a database is at a version completely or not at all. PostgreSQL keeps
// the version in the table streams_schema, and each version's transaction holds an advisory lock, so
// relays that start at once on one database migrate it once.

#include <QSqlDatabase>
#include <QString>
#include <QVariantList>

#include <optional>

namespace streams {

struct MigrationStep {
    int version;           // the schema version this statement belongs to: 1, 1, 1, 2, … in order
    QString sql;           // exactly one statement
    QVariantList values{}; // bound to its `?` placeholders, if any
};

struct MigrationError {
    enum class Kind {
        NewerSchema, // the database is at a version this program does not know: left untouched
        Failed,      // a statement, the transaction or the version could not be read or written
    };
    Kind kind;
    int found = 0;  // the database's version before the migration
    int known = 0;  // the newest version of the steps
    QString detail; // for Failed: SQLite's message and the start of the statement
};

// The database's PRAGMA user_version or streams_schema.version (0 for a new one), or nullopt when it cannot
// be read.
std::optional<int> schemaVersion(const QSqlDatabase &db);

// Brings `db` (open) from its user_version to the newest version in `steps`, one transaction per version.
// A failing step rolls its version back and stops; the versions before it stay applied.
std::optional<MigrationError> migrateSchema(QSqlDatabase &db, const QList<MigrationStep> &steps);

} // namespace streams
