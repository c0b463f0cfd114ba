#pragma once

// A list of channels for the picker (search results, followed channels): avatar, display name, live badge,
// title and category, painted by ChannelDelegate.

#include <QAbstractListModel>
#include <QFontMetrics>
#include <QStyledItemDelegate>
#include <QUrl>

namespace streams::ui {

class AvatarCache;

struct ChannelItem {
    QString id;
    QString login;
    QString displayName;
    QUrl avatarUrl;
    bool live = false;
    QString title;
    QString category;
    int viewers = -1; // unknown
};

class ChannelListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        LoginRole,
        AvatarRole,
        LiveRole,
        TitleRole,
        CategoryRole,
        ViewersRole
    };
    explicit ChannelListModel(QObject *parent = nullptr)
        : QAbstractListModel(parent) {}
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    void setChannels(QList<ChannelItem> channels);
    const ChannelItem &at(int row) const { return m_channels.at(row); }
    // Avatars arrived: repaint the rows that show them.
    void avatarReady(const QUrl &url);

private:
    QList<ChannelItem> m_channels;
};

class ChannelDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit ChannelDelegate(AvatarCache &avatars, QObject *parent = nullptr)
        : QStyledItemDelegate(parent)
        , m_avatars(avatars) {}
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    static int rowHeight(const QFontMetrics &metrics) { return qMax(52, metrics.height() * 2 + 20); }

private:
    AvatarCache &m_avatars;
};

} // namespace streams::ui
