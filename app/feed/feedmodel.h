#pragma once

// The live feed as a list model, newest first. Events are batched: whatever arrives while the event
// loop is busy reaches the view as one insert (or one reset when older events must be merged in), never
// one signal per event. Relative times refresh on a timer without touching the store.

#include "events/feedevent.h"

#include <QAbstractListModel>
#include <QHash>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QTimer>

#include <deque>

namespace streams::app {

// "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago" for the last 7 days; the locale's short date
// (in local time) beyond.
QString relativeTime(const QDateTime &then, const QDateTime &now);
// The exact local date and time, in the locale's long format: for tooltips.
QString exactTime(const QDateTime &then);

class FeedModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        KeyRole = Qt::UserRole + 1,
        KindRole,
        UserNameRole,
        UserLoginRole,
        AmountRole,
        TierRole,
        MessageRole,
        OccurredAtRole,
        RelativeTimeRole,
        ActionRole, // "cheered 500 bits"
        SourceRole,
        UnreadRole, // arrived while nobody was looking, not read since
    };

    explicit FeedModel(QObject *parent = nullptr, int maxRows = 5000);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Replaces everything (opening another streamer); `unread` names the rows still unread from before.
    void setEvents(QList<FeedEvent> events, const QSet<QString> &unread = {});
    // Queues events; they reach the model at the next flush (or call flush()).
    void add(const QList<FeedEvent> &events);
    void flush();
    const FeedEvent &at(int row) const { return m_rows[m_rows.size() - 1 - size_t(row)]; }
    // Kept up to date as rows come and go: the filter chips read it on every update.
    QHash<QString, int> countByKind() const { return m_counts; }
    // Now, for relative times (tests set a fixed clock).
    void setClock(std::function<QDateTime()> clock) { m_clock = std::move(clock); }

    // Unread: whether events arriving from now on are unread (the view says: the window is not active, or
    // the user reads further down), marking them read, and how many rows are.
    void setArrivalsUnread(bool unread) { m_arrivalsUnread = unread; }
    bool arrivalsUnread() const { return m_arrivalsUnread; }
    void markRead(const QStringList &keys);
    void markAllRead();
    int unreadCount() const { return int(m_unread.size()); }
    bool isUnread(const QString &key) const { return m_unread.contains(key); }

Q_SIGNALS:
    void countsChanged();
    void unreadCountChanged(int count);
    // What changed, for the store to keep (setEvents() announces nothing: it shows what is kept).
    void markedUnread(const QStringList &keys);
    void markedRead(const QStringList &keys);
    void markedAllRead();

private:
    // Up to this many older events in one flush are inserted at their places (and only while that moves
    // fewer than kMaxPlacedMoves rows in all: a deque insertion moves the rows on its shorter side); more
    // reset the model.
    static constexpr qsizetype kMaxPlacedInserts = 200;
    static constexpr qsizetype kMaxPlacedMoves = 1000000;
    bool admit(const FeedEvent &e); // false for a key already shown; else counts it
    void dropOldest();
    // Oldest first, so new events append in O(batch) and the oldest drop in O(1); row 0 is the last element.
    // A deque never moves the rows it holds, so growing it costs no pause however long the feed is.
    std::deque<FeedEvent> m_rows;
    QSet<QString> m_keys;
    QHash<QString, int> m_counts; // rows per kind
    QSet<QString> m_unread;       // keys of unread rows
    bool m_arrivalsUnread = false;
    QList<FeedEvent> m_pending;
    QTimer m_flushTimer;
    QTimer m_clockTimer;
    int m_maxRows;
    std::function<QDateTime()> m_clock;
};

// Filters the feed by kind (empty set: everything).
class FeedFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit FeedFilterModel(QObject *parent = nullptr)
        : QSortFilterProxyModel(parent) {}
    void setKinds(const QSet<QString> &kinds);
    QSet<QString> kinds() const { return m_kinds; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QSet<QString> m_kinds;
};

} // namespace streams::app
