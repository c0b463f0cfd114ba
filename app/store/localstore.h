#pragma once

// The app's SQLite store in the profile: feed events (each real-world event once), and the relay cursor
// per broadcaster. WAL, schema versions with migrations; a corrupt or unreadable file is moved aside
// with a message and a fresh one is made, so the app still starts.
// Writes in a stream (relay bursts, chat, Helix pages) go through write(): they run on the store's own
// thread, in order, so a WAL checkpoint or a slow disk never freezes the window.

#include "feed/feedevent.h"

#include <QList>
#include <QPointer>
#include <QString>
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
    // Logging out: every event and cursor goes (some were visible only to that account). Runs on the store's
    // thread after every write handed to write() before it, so none of them brings anything back; the
    // caller waits for it.
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
