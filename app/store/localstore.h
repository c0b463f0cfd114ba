#pragma once

// The app's SQLite store in the profile: feed events (each real-world event once), and the relay cursor
// per broadcaster. WAL, schema versions with migrations; a corrupt or unreadable file is moved aside
// with a message and a fresh one is made, so the app still starts.

#include "feed/feedevent.h"

#include <QList>
#include <QString>

#include <memory>
#include <optional>

namespace streams::app {

struct RelayCursor {
    QString epoch;
    qint64 seq = 0;
};

class LocalStore {
public:
    struct Opened {
        std::unique_ptr<LocalStore> store;
        QString notice; // set when a damaged database was moved aside: say it to the user once
        QString error;  // set when even a fresh database cannot be made
    };
    static Opened open(const QString &directory);
    ~LocalStore();

    // Stores what is new; returns those events (already known keys are skipped).
    QList<FeedEvent> insert(const QList<FeedEvent> &events);
    // Newest first; an empty kind list means every kind.
    QList<FeedEvent> recent(const QString &broadcasterId, int limit, const QStringList &kinds = {}) const;
    std::optional<RelayCursor> cursor(const QString &broadcasterId) const;
    bool setCursor(const QString &broadcasterId, const RelayCursor &cursor);
    QString path() const { return m_path; }

private:
    LocalStore(QString path, QString connection)
        : m_path(std::move(path))
        , m_connection(std::move(connection)) {}
    QString m_path;
    QString m_connection;
};

} // namespace streams::app
