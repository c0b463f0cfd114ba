#pragma once

// The app's SQLite store in the profile: feed events (each real-world event once), the relay cursor per
// broadcaster, and which events are unread. WAL, schema versions with migrations; a corrupt or unreadable
// file is moved aside with a message and a fresh one is made, so the app still starts. Writes in a stream
// (relay bursts, chat, Helix pages) go through write(): they run on the store's own thread, in order, so a
// WAL checkpoint or a slow disk never freezes the window.

#include "events/feedevent.h"

#include <QList>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QThread>

#include <functional>
#include <memory>
#include <optional>

namespace streams::app {

struct RelayCursor {
    QString epoch;
    qint64 seq = 0;
};

class StoreWorker;

class LocalStore {
public:
    struct Opened {
        std::unique_ptr<LocalStore> store;
        QString notice; // set when a damaged database was moved aside: say it to the user once
        QString error;  // set when even a fresh database cannot be made
    };
    static Opened open(const QString &directory);
    ~LocalStore();

    // Stores what is new; returns those events (already known keys are skipped). Blocks the caller.
    QList<FeedEvent> insert(const QList<FeedEvent> &events);

    struct CursorUpdate {
        QString broadcasterId;
        RelayCursor cursor;
    };
    // Stores the events on the store's thread, in one transaction with the cursor (when given), after
    // every earlier write. `done` then runs on `context`'s thread with the events that were new, unless
    // `context` is gone by then. Writes still queued when the store is destroyed are finished first.
    void write(QList<FeedEvent> events, std::optional<CursorUpdate> cursor, QObject *context,
               std::function<void(QList<FeedEvent> added)> done);
    // Newest first; an empty kind list means every kind.
    QList<FeedEvent> recent(const QString &broadcasterId, int limit, const QStringList &kinds = {}) const;
    std::optional<RelayCursor> cursor(const QString &broadcasterId) const;
    bool setCursor(const QString &broadcasterId, const RelayCursor &cursor);
    // Unread marks: the events that arrived while the user was not looking (issue 13), per broadcaster.
    QSet<QString> unreadKeys(const QString &broadcasterId) const;
    // These run on the store's thread after every write handed over before them (the events are there).
    void markUnread(const QString &broadcasterId, const QStringList &keys);
    void markRead(const QStringList &keys);
    void markAllRead(const QString &broadcasterId);

    // What an export asks for: a broadcaster's events in a period (both ends included), of these kinds
    // (none: every kind).
    struct EventQuery {
        QString broadcasterId;
        QDateTime from;
        QDateTime to;
        QStringList kinds;
    };
    // Reads the store at `path` on the calling thread with a read-only connection of its own, beside the
    // app's: `begin` gets how many events match, then `each` every one of them, oldest first, until it
    // returns false. False (and *error) when the store cannot be read.
    static bool readEvents(const QString &path, const EventQuery &query,
                           const std::function<void(qint64 total)> &begin,
                           const std::function<bool(const FeedEvent &)> &each, QString *error);

    // Logging out: every event, cursor and unread mark goes (some were visible only to that account). Runs on
    // the store's thread after every write handed to write() before it, so none of them brings anything back;
    // the caller waits for it.
    bool forgetEverything();
    QString path() const { return m_path; }

private:
    LocalStore(QString path, QString connection);
    QString m_path;
    QString m_connection;
    std::unique_ptr<QObject> m_receiver; // on the owner's thread: delivers write() results
    StoreWorker *m_worker = nullptr;     // on m_thread
    std::unique_ptr<QThread> m_thread;
};

} // namespace streams::app
