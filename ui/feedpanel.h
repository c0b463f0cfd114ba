#pragma once

// The live feed beside the player: filter chips with counts, one row per event (kind icon, who, what, how
// long ago), new rows animating in at the top, and an "N new" pill instead of moving the list while the
// user reads further down. Empty states say why the list is empty.
// A working tool too: events that arrive while the window is not active or the user reads further down
// are marked unread until read ("Mark all read", scrolling back to the top, or the row's menu); each row
// has a menu (copy the name, open the channel, replay as an alert, mark read); "Export…" asks for a file.

#include "feed/feedmodel.h"

#include <QElapsedTimer>
#include <QHash>
#include <QStyledItemDelegate>
#include <QTimer>
#include <QWidget>

class QLabel;
class QListView;
class QMenu;
class QPushButton;
class QToolButton;

namespace streams::ui {

class FeedDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit FeedDelegate(QObject *parent = nullptr);
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    // When each new row arrived (ms on the panel's clock), for the arrival animation.
    void setArrivals(const QHash<QString, qint64> *arrivals, const QElapsedTimer *clock) {
        m_arrivals = arrivals;
        m_clock = clock;
    }
    static constexpr int kAnimationMs = 900;
    static constexpr int kUnreadMarkWidth = 4;

private:
    const QHash<QString, qint64> *m_arrivals = nullptr;
    const QElapsedTimer *m_clock = nullptr;
};

class FeedPanel : public QWidget {
    Q_OBJECT
public:
    explicit FeedPanel(app::FeedModel &model, QWidget *parent = nullptr);

    // Twitch shows follows only to the broadcaster and moderators: explain an empty follow list.
    void setFollowsAllowed(bool allowed);
    void setStreamerName(const QString &name);

    QListView *view() const { return m_view; }
    int newCount() const { return m_newCount; }
    bool pillVisible() const;
    QString emptyText() const;
    bool emptyVisible() const;
    QToolButton *chip(const QString &group) const { return m_chips.value(group); }
    void scrollToNewest();
    // The kinds the chips let through (empty: every kind), for an export of what the user sees, and the
    // chips' names for people ("Follows, Cheers"; empty: every kind).
    QStringList filterKinds() const;
    QString filterNames() const;

    // Unread: "N unread" and "Mark all read" show while there are any.
    QPushButton *markAllReadButton() const { return m_markAllRead; }
    QString unreadText() const;
    QPushButton *exportButton() const { return m_export; }
    // The row's menu (the view's own rows: `index` is of view()->model()); the caller owns it.
    QMenu *rowMenu(const QModelIndex &index, QWidget *parent = nullptr);
    // Shows the row's arrival again and asks for its notification (replayRequested).
    void replay(const QModelIndex &index);
    bool animating(const QString &key) const { return m_arrivals.contains(key); }

    // Chips show "Follows 12" when the row has room, else icon and count (the name in the tooltip).
    bool compactChips() const { return m_compactChips; }

Q_SIGNALS:
    void replayRequested(const streams::app::FeedEvent &event); // the notification again
    void exportRequested();

protected:
    bool event(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    static constexpr int kChipSpacing = 4;
    void onRowsInserted(int first, int last);
    void updateChips();
    void fitChips();
    void updateEmptyState();
    void applyFilter();
    void placeOverlays();
    // Whether what arrives now is seen: the panel shown, its window active, the list at its top.
    void updateLooking();
    void readTheRowsShown(); // the user is at the top of the list: what it shows is read
    void updateUnread();

    app::FeedModel &m_model;
    app::FeedFilterModel m_filter;
    FeedDelegate *m_delegate;
    QListView *m_view;
    QPushButton *m_pill;
    QLabel *m_empty;
    QLabel *m_unread;
    QPushButton *m_markAllRead;
    QPushButton *m_export;
    QToolButton *m_all;
    QHash<QString, QToolButton *> m_chips;
    QHash<QString, QString> m_chipNames;
    bool m_followsAllowed = true;
    QString m_streamerName;
    int m_newCount = 0;
    int m_pendingShift = 0;
    QHash<QString, int> m_chipCounts;
    bool m_compactChips = false;
    QString m_anchorKey; // the row at the top of the view when the model began a reset
    int m_anchorOffset = 0;
    QElapsedTimer m_clock;
    QHash<QString, qint64> m_arrivals;
    QTimer m_animation;
};

} // namespace streams::ui
