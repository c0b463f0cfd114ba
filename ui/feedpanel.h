#pragma once

// The live feed beside the player: filter chips with counts, one row per event (kind icon, who, what, how
// long ago), new rows animating in at the top, and an "N new" pill instead of moving the list while the
// user reads further down. Empty states say why the list is empty.

#include "feed/feedmodel.h"

#include <QElapsedTimer>
#include <QHash>
#include <QStyledItemDelegate>
#include <QTimer>
#include <QWidget>

class QLabel;
class QListView;
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

    // Chips show "Follows 12" when the row has room, else icon and count (the name in the tooltip).
    bool compactChips() const { return m_compactChips; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    static constexpr int kChipSpacing = 4;
    void onRowsInserted(int first, int last);
    void updateChips();
    void fitChips();
    void updateEmptyState();
    void applyFilter();
    void placeOverlays();

    app::FeedModel &m_model;
    app::FeedFilterModel m_filter;
    FeedDelegate *m_delegate;
    QListView *m_view;
    QPushButton *m_pill;
    QLabel *m_empty;
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
