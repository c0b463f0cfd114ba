#include "storage/sqlitewriter.h"

#include <sqlite3.h>

#include <string>
#include <vector>

namespace streams::relay {
namespace {

bool step(sqlite3_stmt *statement) {
    const int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

void bindText(sqlite3_stmt *statement, int index, std::string_view text) {
    sqlite3_bind_text(statement, index, text.data(), int(text.size()), SQLITE_STATIC);
}

} // namespace

std::unique_ptr<SqliteWriter> SqliteWriter::open(const QString &path, bool fsyncEveryCommit, qint64 nextSeq,
                                                 QString *error) {
    std::unique_ptr<SqliteWriter> w(new SqliteWriter);
    w->m_nextSeq = nextSeq;
    const QByteArray file = path.toUtf8();
    if (sqlite3_open_v2(file.constData(), &w->m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
        *error = QStringLiteral("cannot open database %1: %2").arg(path, w->lastError());
        return nullptr;
    }
    sqlite3_busy_timeout(w->m_db, 5000);
    // WAL lets readers go on while the writer commits; FULL makes each commit durable on disk before the
    // webhook is acknowledged. Checkpoints run on the Checkpointer's thread, not in the commit path.
    const std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; "
                                            "PRAGMA synchronous=") +
                                (fsyncEveryCommit ? "FULL;" : "NORMAL;");
    auto prepare = [&w](const char *sql, sqlite3_stmt **out) {
        return sqlite3_prepare_v3(w->m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, nullptr) == SQLITE_OK;
    };
    if (sqlite3_exec(w->m_db, pragmas.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
        !prepare("BEGIN IMMEDIATE", &w->m_begin) || !prepare("COMMIT", &w->m_commit) ||
        !prepare("ROLLBACK", &w->m_rollback) ||
        !prepare("INSERT OR IGNORE INTO seen_messages(message_id, received_at) VALUES(?, ?)", &w->m_seen) ||
        !prepare(
            "INSERT OR IGNORE INTO events(seq, message_id, broadcaster_id, kind, dedup_key, received_at, "
            "frame) VALUES(?, ?, ?, ?, ?, ?, ?)",
            &w->m_insert)) {
        *error = QStringLiteral("database %1: %2").arg(path, w->lastError());
        return nullptr;
    }
    return w;
}

SqliteWriter::~SqliteWriter() {
    for (sqlite3_stmt *s : {m_begin, m_commit, m_rollback, m_seen, m_insert})
        sqlite3_finalize(s);
    sqlite3_close(m_db);
}

std::vector<std::optional<qint64>> SqliteWriter::append(const std::vector<LogAppend> &group,
                                                        const BookkeepingWrites &writes, qint64 receivedAt) {
    std::vector<std::optional<qint64>> results;
    results.reserve(group.size());
    auto fail = [&](const char *what) {
        qCWarning(lcStore).noquote() << what << lastError();
        rollback();
        return std::vector<std::optional<qint64>>(group.size());
    };
    if (!begin())
        return fail("cannot begin transaction:");
    for (const auto &[sql, bindings] : writes)
        if (!exec(sql, bindings)) // bookkeeping only: log it, keep the events
            qCWarning(lcStore).noquote() << "write failed:" << lastError();
    qint64 nextSeq = m_nextSeq;
    for (const LogAppend &in : group) {
        const auto fresh = recordMessage(in.messageId, receivedAt);
        if (!fresh)
            return fail("cannot record message id:");
        if (!*fresh || !in.hasEvent) {
            results.emplace_back(*fresh ? kAppendNothing : kAppendDuplicateMessage);
            continue;
        }
        m_frame.assign(in.frameHead);
        m_frame += std::to_string(nextSeq);
        m_frame += in.frameTail;
        const auto inserted =
            insertEvent(nextSeq, in.messageId, in.broadcasterId, in.kind, in.dedupKey, receivedAt, m_frame);
        if (!inserted)
            return fail("cannot store event:");
        results.emplace_back(*inserted ? nextSeq++ : kAppendNothing); // not inserted: its dedup key exists
    }
    if (!commit())
        return fail("commit failed:");
    m_nextSeq = nextSeq;
    return results;
}

bool SqliteWriter::begin() {
    return step(m_begin);
}

bool SqliteWriter::commit() {
    return step(m_commit);
}

void SqliteWriter::rollback() {
    if (!sqlite3_get_autocommit(m_db))
        step(m_rollback);
}

std::optional<bool> SqliteWriter::recordMessage(std::string_view messageId, qint64 receivedAt) {
    bindText(m_seen, 1, messageId);
    sqlite3_bind_int64(m_seen, 2, receivedAt);
    if (!step(m_seen))
        return std::nullopt;
    return sqlite3_changes(m_db) > 0;
}

std::optional<bool> SqliteWriter::insertEvent(qint64 seq, std::string_view messageId,
                                              std::string_view broadcasterId, std::string_view kind,
                                              std::string_view dedupKey, qint64 receivedAt,
                                              std::string_view frame) {
    sqlite3_bind_int64(m_insert, 1, seq);
    bindText(m_insert, 2, messageId);
    bindText(m_insert, 3, broadcasterId);
    bindText(m_insert, 4, kind);
    if (dedupKey.empty())
        sqlite3_bind_null(m_insert, 5);
    else
        bindText(m_insert, 5, dedupKey);
    sqlite3_bind_int64(m_insert, 6, receivedAt);
    sqlite3_bind_blob(m_insert, 7, frame.data(), int(frame.size()), SQLITE_STATIC);
    if (!step(m_insert))
        return std::nullopt;
    return sqlite3_changes(m_db) > 0;
}

bool SqliteWriter::exec(const QString &sql, const QVariantList &bindings) {
    sqlite3_stmt *statement = nullptr;
    const QByteArray text = sql.toUtf8();
    if (sqlite3_prepare_v2(m_db, text.constData(), int(text.size()), &statement, nullptr) != SQLITE_OK)
        return false;
    std::vector<QByteArray> keep; // bound text lives until the step
    keep.reserve(std::size_t(bindings.size()));
    for (int i = 0; i < bindings.size(); ++i) {
        const QVariant &v = bindings[i];
        if (v.isNull()) {
            sqlite3_bind_null(statement, i + 1);
        } else if (v.typeId() == QMetaType::Int || v.typeId() == QMetaType::LongLong ||
                   v.typeId() == QMetaType::UInt || v.typeId() == QMetaType::ULongLong) {
            sqlite3_bind_int64(statement, i + 1, v.toLongLong());
        } else {
            keep.push_back(v.toString().toUtf8());
            sqlite3_bind_text(statement, i + 1, keep.back().constData(), int(keep.back().size()),
                              SQLITE_STATIC);
        }
    }
    const int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

bool SqliteWriter::restartWal(int busyMs) {
    sqlite3_busy_timeout(m_db, busyMs);
    const int rc = sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
    sqlite3_busy_timeout(m_db, 5000);
    return rc == SQLITE_OK;
}

QString SqliteWriter::lastError() const {
    return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QStringLiteral("out of memory");
}

} // namespace streams::relay
