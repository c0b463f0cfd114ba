#include "fanout/sequencer.h"

#include <boost/asio/post.hpp>

#include <QLoggingCategory>

#include <future>

Q_LOGGING_CATEGORY(lcSequencer, "streams.relay.fanout")

namespace streams::relay {
namespace {

constexpr int kPage = 500;
constexpr auto kSweepEvery = std::chrono::seconds(2);

} // namespace

std::unique_ptr<Sequencer> Sequencer::start(const StorageTarget &log, Deliver deliver, Watch watch,
                                            QString *error) {
    std::unique_ptr<Sequencer> s(new Sequencer);
    s->m_deliver = std::move(deliver);
    s->m_watch = std::move(watch);
    s->m_thread = std::thread([p = s.get()] { p->m_context.run(); });
    // The reader's connection belongs to the thread that uses it.
    std::promise<QString> opened;
    boost::asio::post(s->m_context, [p = s.get(), &opened, log] {
        QString why;
        p->m_reader = EventReader::open(log, &why);
        if (p->m_reader) {
            p->m_timer = std::make_unique<boost::asio::steady_timer>(p->m_context);
            p->sweep();
        }
        opened.set_value(p->m_reader ? QString() : why);
    });
    const QString why = opened.get_future().get();
    if (!why.isEmpty()) {
        *error = why;
        return nullptr;
    }
    return s;
}

Sequencer::~Sequencer() { // NOLINT(bugprone-exception-escape)
    boost::asio::post(m_context, [this] {
        m_timer.reset();
        m_reader.reset();
    });
    m_guard.reset();
    if (m_thread.joinable())
        m_thread.join();
}

Sequencer::Stats Sequencer::stats() const {
    return {m_gapsFilled.load(), m_duplicates.load()};
}

void Sequencer::local(const std::vector<StoredEventPtr> &events) {
    boost::asio::post(m_context, [this, events] {
        std::vector<StoredEventPtr> out;
        for (const StoredEventPtr &e : events)
            accept(e, out);
        if (!out.empty())
            m_deliver(out);
    });
}

void Sequencer::remote(StoredEventPtr event) {
    boost::asio::post(m_context, [this, event = std::move(event)] {
        std::vector<StoredEventPtr> out;
        accept(event, out);
        if (!out.empty())
            m_deliver(out);
    });
}

void Sequencer::watched(const std::string &broadcasterId, bool on) {
    boost::asio::post(m_context, [this, broadcasterId, on] {
        if (!on) {
            m_tracks.erase(broadcasterId);
            m_watch(broadcasterId, false);
            return;
        }
        if (m_tracks.count(broadcasterId))
            return;
        Track &t = m_tracks[broadcasterId];
        m_watch(broadcasterId, true);
        // From the log's newest on: earlier events are history (a client asks for them with `after`). What
        // commits between this read and Redis's subscription taking effect is read again once it has
        // (listening()).
        const auto last = m_reader->lastSeq(QString::fromStdString(broadcasterId));
        if (!last) {
            qCWarning(lcSequencer) << "cannot read the log; the sweep tries again";
            return;
        }
        t.last = *last;
        std::vector<StoredEventPtr> out;
        advance(broadcasterId, t, out);
        if (!out.empty())
            m_deliver(out);
    });
}

void Sequencer::listening(const std::string &broadcasterId) {
    boost::asio::post(m_context, [this, broadcasterId] {
        const auto it = m_tracks.find(broadcasterId);
        if (it == m_tracks.end() || it->second.last < 0)
            return;
        std::vector<StoredEventPtr> out;
        catchUp(broadcasterId, it->second, 0, out);
        advance(broadcasterId, it->second, out);
        if (!out.empty())
            m_deliver(out);
    });
}

void Sequencer::resync() {
    boost::asio::post(m_context, [this] {
        std::vector<StoredEventPtr> out;
        for (auto &[broadcaster, t] : m_tracks) {
            if (t.last < 0)
                continue;
            catchUp(broadcaster, t, 0, out);
            advance(broadcaster, t, out);
        }
        if (!out.empty())
            m_deliver(out);
    });
}

void Sequencer::accept(const StoredEventPtr &e, std::vector<StoredEventPtr> &out) {
    const auto it = m_tracks.find(e->broadcasterId);
    if (it == m_tracks.end())
        return; // nobody here watches it
    Track &t = it->second;
    if (t.last >= 0 && e->seq <= t.last) {
        ++m_duplicates;
        return;
    }
    t.pending.emplace(e->seq, e);
    if (t.last >= 0)
        advance(e->broadcasterId, t, out);
}

void Sequencer::advance(const std::string &broadcasterId, Track &t, std::vector<StoredEventPtr> &out) {
    while (!t.pending.empty()) {
        auto first = t.pending.begin();
        if (first->first <= t.last) {
            t.pending.erase(first);
            continue;
        }
        if (first->first == t.last + 1) {
            out.push_back(first->second);
            t.last = first->first;
            t.pending.erase(first);
            continue;
        }
        // A gap: what is missing is committed (a later seq is), so the log has it.
        const qint64 before = t.last;
        catchUp(broadcasterId, t, first->first, out);
        if (t.last == before) {
            // Not in the log: deleted by retention, or the log cannot answer now. Skip it only when the log
            // answered (the events are gone for every relay); otherwise keep waiting for the sweep.
            if (m_reader->lastSeq(QString::fromStdString(broadcasterId)).has_value()) {
                qCWarning(lcSequencer)
                    << "events" << t.last + 1 << "to" << first->first - 1 << "of"
                    << QString::fromStdString(broadcasterId) << "are not in the log; skipped";
                t.last = first->first - 1;
            } else {
                return;
            }
        }
    }
}

void Sequencer::catchUp(const std::string &broadcasterId, Track &t, qint64 before,
                        std::vector<StoredEventPtr> &out) {
    const QString b = QString::fromStdString(broadcasterId);
    for (;;) {
        const auto page = m_reader->eventsAfter(b, t.last, kPage);
        if (!page)
            return;
        for (const StoredEventPtr &e : *page) {
            if (before > 0 && e->seq >= before)
                return;
            if (e->seq != t.last + 1)
                return; // a hole retention made; advance() decides
            out.push_back(e);
            t.last = e->seq;
            ++m_gapsFilled;
        }
        if (int(page->size()) < kPage)
            return;
    }
}

void Sequencer::sweep() {
    // Now and then the log's newest seq of every watched broadcaster, in a few queries: a message Redis lost
    // with nothing after it would otherwise wait for the broadcaster's next event. Tracks whose first read
    // failed start here too.
    QStringList watched;
    for (const auto &[broadcaster, t] : m_tracks)
        watched << QString::fromStdString(broadcaster);
    std::vector<StoredEventPtr> out;
    if (const auto newest = watched.isEmpty() ? std::nullopt : m_reader->lastSeqs(watched)) {
        for (auto &[broadcaster, t] : m_tracks) {
            const qint64 last = newest->value(QString::fromStdString(broadcaster), 0);
            if (t.last < 0) {
                t.last = last;
            } else if (last > t.last) {
                catchUp(broadcaster, t, 0, out);
                advance(broadcaster, t, out);
            }
        }
    }
    if (!out.empty())
        m_deliver(out);
    m_timer->expires_after(kSweepEvery);
    m_timer->async_wait([this](boost::system::error_code ec) {
        if (!ec && m_timer)
            sweep();
    });
}

} // namespace streams::relay
