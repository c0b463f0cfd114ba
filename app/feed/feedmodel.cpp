#include "feed/feedmodel.h"

#include <QLocale>

#include <algorithm>
#include <iterator>

namespace streams::app {

QString relativeTime(const QDateTime &then, const QDateTime &now) {
    const qint64 s = qMax<qint64>(0, then.secsTo(now));
    if (s < 10)
        return QObject::tr("just now");
    if (s < 60)
        return QObject::tr("%1 s ago").arg(s);
    if (s < 3600)
        return QObject::tr("%1 min ago").arg(s / 60);
    if (s < 86400)
        return QObject::tr("%1 h ago").arg(s / 3600);
    if (s < 7 * 86400)
        return QObject::tr("%1 d ago").arg(s / 86400);
    return QLocale().toString(then.toLocalTime().date(), QLocale::ShortFormat); // "385 d ago" says little
}

QString exactTime(const QDateTime &then) {
    return QLocale().toString(then.toLocalTime(), QLocale::LongFormat);
}

FeedModel::FeedModel(QObject *parent, int maxRows)
    : QAbstractListModel(parent)
    , m_maxRows(maxRows)
    , m_clock([] { return QDateTime::currentDateTimeUtc(); }) {
    // The keys of a full feed fit without a rehash: no pause while a storm fills it.
    m_keys.reserve(maxRows + maxRows / 2);
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(50); // at most ~20 model updates a second, however many events arrive
    connect(&m_flushTimer, &QTimer::timeout, this, &FeedModel::flush);
    m_clockTimer.setInterval(15000);
    connect(&m_clockTimer, &QTimer::timeout, this, [this] {
        if (!m_rows.empty())
            Q_EMIT dataChanged(index(0), index(int(m_rows.size()) - 1),
                               {RelativeTimeRole, Qt::AccessibleTextRole, Qt::ToolTipRole});
    });
    m_clockTimer.start();
}

int FeedModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant FeedModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || size_t(index.row()) >= m_rows.size())
        return {};
    const FeedEvent &e = at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case UserNameRole:
        return e.userName.isEmpty() ? e.userLogin : e.userName;
    case KeyRole:
        return e.key;
    case KindRole:
        return e.kind;
    case UserLoginRole:
        return e.userLogin;
    case AmountRole:
        return e.amount;
    case TierRole:
        return e.tier;
    case MessageRole:
        return e.message;
    case OccurredAtRole:
        return e.occurredAt;
    case RelativeTimeRole:
        return relativeTime(e.occurredAt, m_clock());
    case ActionRole:
        return describeAction(e);
    case SourceRole:
        return e.source;
    case UnreadRole:
        return m_unread.contains(e.key);
    case Qt::AccessibleTextRole:
        return describeEvent(e) + QStringLiteral(", ") + relativeTime(e.occurredAt, m_clock()) +
               (m_unread.contains(e.key) ? tr(", unread") : QString());
    case Qt::ToolTipRole:
        return describeEvent(e) + QLatin1Char('\n') + exactTime(e.occurredAt);
    default:
        return {};
    }
}

QHash<int, QByteArray> FeedModel::roleNames() const {
    return {{KeyRole, "key"},
            {KindRole, "kind"},
            {UserNameRole, "userName"},
            {UserLoginRole, "userLogin"},
            {AmountRole, "amount"},
            {TierRole, "tier"},
            {MessageRole, "message"},
            {OccurredAtRole, "occurredAt"},
            {RelativeTimeRole, "relativeTime"},
            {ActionRole, "action"},
            {SourceRole, "source"},
            {UnreadRole, "unread"}};
}

namespace {
bool olderFirst(const FeedEvent &a, const FeedEvent &b) {
    return a.occurredAt != b.occurredAt ? a.occurredAt < b.occurredAt : a.key < b.key;
}
} // namespace

void FeedModel::setEvents(QList<FeedEvent> events, const QSet<QString> &unread) {
    m_pending.clear();
    beginResetModel();
    m_rows.clear();
    m_keys.clear();
    m_counts.clear();
    m_unread.clear();
    std::sort(events.begin(), events.end(), olderFirst);
    for (FeedEvent &e : events)
        if (admit(e)) {
            if (unread.contains(e.key))
                m_unread.insert(e.key);
            m_rows.push_back(std::move(e));
        }
    while (m_rows.size() > size_t(m_maxRows))
        dropOldest();
    endResetModel();
    Q_EMIT countsChanged();
    Q_EMIT unreadCountChanged(unreadCount());
}

void FeedModel::add(const QList<FeedEvent> &events) {
    m_pending.append(events);
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void FeedModel::flush() {
    m_flushTimer.stop();
    QList<FeedEvent> fresh;
    for (FeedEvent &e : m_pending)
        if (admit(e))
            fresh.append(std::move(e));
    m_pending.clear();
    if (fresh.isEmpty())
        return;
    const int unreadBefore = unreadCount();
    QStringList unread; // marked before the rows appear: a view draws them unread from the start
    if (m_arrivalsUnread) {
        unread.reserve(fresh.size());
        for (const FeedEvent &e : std::as_const(fresh)) {
            m_unread.insert(e.key);
            unread.append(e.key);
        }
    }
    std::sort(fresh.begin(), fresh.end(), olderFirst);
    // Events newer than every row go on top in one insertion (the usual case); older ones (a replay,
    // a backfill) belong further down.
    auto firstOnTop = fresh.end();
    while (firstOnTop != fresh.begin() &&
           (m_rows.empty() || !olderFirst(*std::prev(firstOnTop), m_rows.back())))
        --firstOnTop;
    const qsizetype older = firstOnTop - fresh.begin();
    if (older > kMaxPlacedInserts || older * qsizetype(m_rows.size()) / 2 > kMaxPlacedMoves) {
        // A big replay: one reset costs less than thousands of insertions.
        beginResetModel();
        std::move(fresh.begin(), fresh.end(), std::back_inserter(m_rows));
        std::sort(m_rows.begin(), m_rows.end(), olderFirst);
        endResetModel();
    } else {
        // Each older event at its place, so a view keeps what its user is reading where it is.
        for (auto it = fresh.begin(); it != firstOnTop; ++it) {
            const auto place = std::upper_bound(m_rows.begin(), m_rows.end(), *it, olderFirst);
            const int row = int(m_rows.end() - place); // row 0 is the newest, the back of m_rows
            beginInsertRows({}, row, row);
            m_rows.insert(place, std::move(*it));
            endInsertRows();
        }
        if (firstOnTop != fresh.end()) {
            beginInsertRows({}, 0, int(fresh.end() - firstOnTop) - 1);
            std::move(firstOnTop, fresh.end(), std::back_inserter(m_rows));
            endInsertRows();
        }
    }
    if (m_rows.size() > size_t(m_maxRows)) { // drop the oldest: the bottom rows of the view
        beginRemoveRows({}, m_maxRows, int(m_rows.size()) - 1);
        while (m_rows.size() > size_t(m_maxRows))
            dropOldest();
        endRemoveRows();
    }
    Q_EMIT countsChanged();
    if (!unread.isEmpty())
        Q_EMIT markedUnread(unread);
    if (unreadCount() != unreadBefore)
        Q_EMIT unreadCountChanged(unreadCount());
}

void FeedModel::markRead(const QStringList &keys) {
    QStringList read;
    for (const QString &key : keys)
        if (m_unread.remove(key))
            read.append(key);
    if (read.isEmpty())
        return;
    // One signal for the span of rows that changed (their places are found in one pass).
    const QSet<QString> changed(read.begin(), read.end());
    int first = -1, last = -1;
    for (int row = 0; row < int(m_rows.size()); ++row)
        if (changed.contains(at(row).key)) {
            first = first < 0 ? row : first;
            last = row;
        }
    if (first >= 0)
        Q_EMIT dataChanged(index(first), index(last), {UnreadRole, Qt::AccessibleTextRole});
    Q_EMIT markedRead(read);
    Q_EMIT unreadCountChanged(unreadCount());
}

void FeedModel::markAllRead() {
    if (m_unread.isEmpty())
        return;
    m_unread.clear();
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0), index(int(m_rows.size()) - 1), {UnreadRole, Qt::AccessibleTextRole});
    Q_EMIT markedAllRead();
    Q_EMIT unreadCountChanged(0);
}

bool FeedModel::admit(const FeedEvent &e) {
    if (m_keys.contains(e.key))
        return false;
    m_keys.insert(e.key);
    ++m_counts[e.kind];
    return true;
}

void FeedModel::dropOldest() {
    const FeedEvent &oldest = m_rows.front();
    m_keys.remove(oldest.key);
    m_unread.remove(oldest.key); // out of the view; the store still knows it is unread
    if (--m_counts[oldest.kind] == 0)
        m_counts.remove(oldest.kind);
    m_rows.pop_front();
}

void FeedFilterModel::setKinds(const QSet<QString> &kinds) {
    m_kinds = kinds;
    invalidateFilter();
}

bool FeedFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const {
    if (m_kinds.isEmpty())
        return true;
    return m_kinds.contains(
        sourceModel()->index(sourceRow, 0, sourceParent).data(FeedModel::KindRole).toString());
}

} // namespace streams::app
