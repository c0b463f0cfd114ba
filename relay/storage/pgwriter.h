#pragma once

// The event log's write connection on PostgreSQL, through libpq: a group is one transaction sent as one
// pipeline (BEGIN, one streams_append per notification, COMMIT), so it costs one round trip and one WAL
// flush whatever its size.

#include "storage/database.h"
#include "storage/logwriter.h"

#include <memory>
#include <string>

struct pg_conn;

namespace streams::relay {

class PgWriter : public LogWriter {
public:
    // Connects; nullptr with *error when the server cannot be reached.
    static std::unique_ptr<PgWriter> open(const StorageTarget &target, QString *error);
    ~PgWriter() override;

    std::vector<std::optional<qint64>> append(const std::vector<LogAppend> &group,
                                              const BookkeepingWrites &writes, qint64 receivedAt) override;
    QString lastError() const override { return m_error; }

private:
    PgWriter() = default;
    bool connected(); // reconnects a lost connection
    bool exec(const QString &sql, const QVariantList &bindings);
    // One transaction of at most kMaxPipeline appends; fills `results` from `first`.
    bool appendChunk(const std::vector<LogAppend> &group, std::size_t first, std::size_t count,
                     const std::string &receivedAt, std::vector<std::optional<qint64>> &results);

    std::string m_conninfo;
    QString m_describe;
    pg_conn *m_conn = nullptr;
    bool m_prepared = false;
    QString m_error;
};

} // namespace streams::relay
