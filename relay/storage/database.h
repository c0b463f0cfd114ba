#pragma once

// The relay's SQLite database: one writer connection (EventStore) and one reader per hub thread.

#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace streams::relay {

// Opens (creating and migrating when `migrate` is set) the database at `path` under a connection name
// unique to the calling thread. On failure returns nullopt and sets *error to one sentence.
std::optional<QSqlDatabase> openDatabase(const QString &path, const QString &connectionName, bool migrate,
                                         QString *error);
void closeDatabase(const QString &connectionName);

} // namespace streams::relay
