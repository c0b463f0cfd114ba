#pragma once

// Reads history for replays on a thread of its own, so no I/O thread ever waits on the database.

#include "storage/eventstore.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <QString>

#include <functional>
#include <memory>
#include <thread>

namespace streams::relay {

class ReplayReader {
public:
    struct Page {
        bool ok = false;    // false: the database could not answer
        bool reset = false; // the history after the cursor is gone: this page starts from the oldest kept
        std::vector<StoredEventPtr> events;
        bool more = false; // the page was cut (by count or bytes): read on after its last event
    };
    struct Query {
        std::string broadcasterId;
        qint64 afterSeq = 0;
        // On the first page of a replay: a cursor from another log, or past what retention deleted,
        // replays from the oldest kept event instead (reset).
        bool checkCursor = false;
        bool otherEpoch = false;
        qint64 notBefore = 0; // never return events at or below this seq (already sent)
        int limit = 500;
        std::size_t maxBytes = 256 * 1024; // frames in one page, at least one event
    };

    // Opens the database on the reader's own thread; nullptr with *error when it cannot.
    static std::unique_ptr<ReplayReader> open(const StorageTarget &target, QString *error);
    ~ReplayReader(); // NOLINT(bugprone-exception-escape): see the definition

    // Any thread; `done` runs on `executor`.
    void read(Query query, boost::asio::any_io_executor executor, std::function<void(Page)> done);

private:
    ReplayReader() = default;
    boost::asio::io_context m_context{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> m_guard{
        m_context.get_executor()};
    std::thread m_thread;
    std::unique_ptr<EventReader> m_reader;
};

} // namespace streams::relay
