#include "hub/replayreader.h"

#include <boost/asio/post.hpp>

#include <future>

namespace streams::relay {

std::unique_ptr<ReplayReader> ReplayReader::open(const StorageTarget &target, QString *error) {
    std::unique_ptr<ReplayReader> reader(new ReplayReader);
    reader->m_thread = std::thread([r = reader.get()] { r->m_context.run(); });
    // The connection is opened on the thread that uses it (Qt SQL connections stay on their thread).
    std::promise<QString> opened;
    boost::asio::post(reader->m_context, [r = reader.get(), &opened, target] {
        QString why;
        r->m_reader = EventReader::open(target, &why);
        opened.set_value(r->m_reader ? QString() : why);
    });
    const QString why = opened.get_future().get();
    if (!why.isEmpty()) {
        *error = why;
        return nullptr;
    }
    return reader;
}

// Only a failed allocation or a failed join can throw here, and ending the program is right then.
ReplayReader::~ReplayReader() { // NOLINT(bugprone-exception-escape)
    boost::asio::post(m_context, [this] { m_reader.reset(); });
    m_guard.reset();
    if (m_thread.joinable())
        m_thread.join();
}

void ReplayReader::read(Query query, boost::asio::any_io_executor executor, std::function<void(Page)> done) {
    boost::asio::post(
        m_context, [this, query = std::move(query), executor, done = std::move(done)]() mutable {
            Page page;
            const QString broadcaster = QString::fromStdString(query.broadcasterId);
            qint64 from = query.afterSeq;
            if (query.checkCursor &&
                (query.otherEpoch || m_reader->prunedThrough(broadcaster) > query.afterSeq)) {
                page.reset = true;
                from = 0;
            }
            auto events = m_reader->eventsAfter(broadcaster, std::max(from, query.notBefore), query.limit);
            page.ok = events.has_value();
            if (events) {
                page.more = int(events->size()) >= query.limit;
                std::size_t bytes = 0, keep = 0;
                while (keep < events->size() &&
                       (keep == 0 || bytes + (*events)[keep]->frame.size() <= query.maxBytes))
                    bytes += (*events)[keep++]->frame.size();
                if (keep < events->size()) {
                    events->resize(keep);
                    page.more = true;
                }
                page.events = std::move(*events);
            }
            boost::asio::post(executor, [done = std::move(done), page = std::move(page)]() mutable {
                done(std::move(page));
            });
        });
}

} // namespace streams::relay
