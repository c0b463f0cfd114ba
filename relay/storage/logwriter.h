#pragma once

// The event log's write side, one per backend (SQLite: sqlitewriter.h, PostgreSQL: pgwriter.h). It lives on
// the store's thread; EventStore hands it one group of notifications at a time.

#include <QLoggingCategory>
#include <QString>
#include <QVariantList>

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace streams::relay {

Q_DECLARE_LOGGING_CATEGORY(lcStore)

struct LogAppend {
    std::string_view messageId;     // recorded for every notification (duplicates are refused by it)
    bool hasEvent = false;          // false: only the message id is recorded (types the relay does not relay)
    std::string_view broadcasterId; // the rest only with an event
    std::string_view kind;
    std::string_view dedupKey; // empty: none (the same follow through two subscriptions shares one)
    // The event's frame without its seq: head + seq (decimal) + tail, once the log has issued it.
    std::string_view frameHead;
    std::string_view frameTail;
};

// What became of one notification.
enum : qint64 {
    kAppendDuplicateMessage = -1, // the message id was seen before: nothing stored
    kAppendNothing = 0,           // stored no event (no event, or its dedup key exists)
};

using BookkeepingWrites = std::vector<std::pair<QString, QVariantList>>;

class LogWriter {
public:
    virtual ~LogWriter() = default;
    // Stores a group, durably (each commit is on disk, or in PostgreSQL's WAL, before this returns). One
    // result per append, in order: the event's seq (> 0), kAppendNothing or kAppendDuplicateMessage; nullopt
    // for an append that failed (not stored, the webhook must not be acknowledged). `writes` are small
    // bookkeeping statements (subscriptions) with `?` placeholders; a failed one is logged, never fatal.
    virtual std::vector<std::optional<qint64>> append(const std::vector<LogAppend> &group,
                                                      const BookkeepingWrites &writes, qint64 receivedAt) = 0;
    virtual QString lastError() const = 0;
};

} // namespace streams::relay
