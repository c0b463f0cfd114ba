#pragma once

// The event log's write connection on SQLite's own API: statements prepared once and bound straight from
// UTF-8, no QVariant per column (the writer's CPU per webhook is most of the storage cost).

#include "storage/logwriter.h"

#include <QString>
#include <QVariantList>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace streams::relay {

class SqliteWriter : public LogWriter {
public:
    // Opens an existing, migrated database; nullptr with *error on failure. `nextSeq`: the first seq to
    // issue (one counter for every broadcaster).
    static std::unique_ptr<SqliteWriter> open(const QString &path, bool fsyncEveryCommit, qint64 nextSeq,
                                              QString *error);
    ~SqliteWriter() override;

    // LogWriter: one transaction for the whole group; any failure fails all of it.
    std::vector<std::optional<qint64>> append(const std::vector<LogAppend> &group,
                                              const BookkeepingWrites &writes, qint64 receivedAt) override;
    QString lastError() const override;

    // PRAGMA wal_checkpoint(RESTART), waiting at most `busyMs` for readers: true when the log was rewound.
    bool restartWal(int busyMs);

private:
    SqliteWriter() = default;
    bool begin();
    bool commit();
    void rollback();
    // The message id was not seen before (now recorded); nullopt when the database failed.
    std::optional<bool> recordMessage(std::string_view messageId, qint64 receivedAt);
    // The event was stored; false: a row with its dedup key exists; nullopt when the database failed.
    std::optional<bool> insertEvent(qint64 seq, std::string_view messageId, std::string_view broadcasterId,
                                    std::string_view kind, std::string_view dedupKey, qint64 receivedAt,
                                    std::string_view frame);
    // A bookkeeping statement with Qt-style bindings (strings, integers, null).
    bool exec(const QString &sql, const QVariantList &bindings);

    qint64 m_nextSeq = 1;
    std::string m_frame; // one event's frame, reused
    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_begin = nullptr;
    sqlite3_stmt *m_commit = nullptr;
    sqlite3_stmt *m_rollback = nullptr;
    sqlite3_stmt *m_seen = nullptr;
    sqlite3_stmt *m_insert = nullptr;
};

} // namespace streams::relay
