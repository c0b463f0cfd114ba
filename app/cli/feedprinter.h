#pragma once

// The feed as JSON lines: every event the feed model shows is written once, oldest first within what
// arrives together, as one compact JSON object on its own line, and flushed at once (a pipe sees each event
// as it comes). Events that happened before `since` (history, replays, backfills) are left out.

#include "events/feedevent.h"

#include <QByteArray>
#include <QDateTime>
#include <QObject>
#include <QSet>

#include <cstdio>

namespace streams::app {
class FeedModel;
}

namespace streams::cli {

// {"kind","occurred_at","user":{"id","login","name"},"amount","tier","message","source","id"}: `user` is null
// for an event without one (online, offline, an anonymous cheer), `tier` and `message` are null when empty,
// `id` is the feed's key (the same real event has the same id whichever source delivered it).
QByteArray toJsonLine(const app::FeedEvent &event);

class FeedPrinter : public QObject {
    Q_OBJECT
public:
    FeedPrinter(const app::FeedModel &model, QDateTime since, std::FILE *out, QObject *parent = nullptr);

    // Events from elsewhere (the store's history): printed as the model's are, each key once.
    void print(const QList<app::FeedEvent> &events);

Q_SIGNALS:
    // The output is gone (a closed pipe): nothing more can be said.
    void outputClosed();

private:
    void printRows(int first, int last);
    bool admit(const app::FeedEvent &event); // not printed yet, and not before `since`
    void write(QList<app::FeedEvent> events);

    static constexpr qsizetype kMaxRemembered = 20000;
    const app::FeedModel &m_model;
    QDateTime m_since;
    std::FILE *m_out;
    QSet<QString> m_printed; // keys; the model may reset and show them again
    bool m_closed = false;
};

} // namespace streams::cli
