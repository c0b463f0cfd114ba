#include "channellist.h"

#include "avatarcache.h"

#include <QApplication>
#include <QLocale>
#include <QPainter>

namespace streams::ui {

int ChannelListModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_channels.size());
}

QVariant ChannelListModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || index.row() >= m_channels.size())
        return {};
    const ChannelItem &c = m_channels.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return c.displayName.isEmpty() ? c.login : c.displayName;
    case Qt::AccessibleTextRole:
    case Qt::ToolTipRole: {
        QString text = c.displayName;
        if (c.live)
            text += tr(", live: %1").arg(c.title);
        else
            text += tr(", offline");
        if (!c.category.isEmpty())
            text += tr(", %1").arg(c.category);
        return text;
    }
    case IdRole:
        return c.id;
    case LoginRole:
        return c.login;
    case AvatarRole:
        return c.avatarUrl;
    case LiveRole:
        return c.live;
    case TitleRole:
        return c.title;
    case CategoryRole:
        return c.category;
    case ViewersRole:
        return c.viewers;
    default:
        return {};
    }
}

void ChannelListModel::setChannels(QList<ChannelItem> channels) {
    beginResetModel();
    m_channels = std::move(channels);
    endResetModel();
}

void ChannelListModel::avatarReady(const QUrl &url) {
    for (int i = 0; i < m_channels.size(); ++i)
        if (m_channels.at(i).avatarUrl == url)
            Q_EMIT dataChanged(index(i), index(i), {AvatarRole});
}

QSize ChannelDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const {
    return {200, rowHeight(option.fontMetrics)};
}

void ChannelDelegate::paint(QPainter *p, const QStyleOptionViewItem &option, const QModelIndex &index) const {
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, p, widget);

    const bool selected = option.state & QStyle::State_Selected;
    const QPalette &pal = option.palette;
    const QColor text = pal.color(selected ? QPalette::HighlightedText : QPalette::Text);
    QColor muted = text;
    muted.setAlphaF(0.65);
    const QRect r = option.rect.adjusted(10, 6, -10, -6);
    const int avatarSize = r.height();
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    p->drawPixmap(r.left(), r.top(),
                  m_avatars.avatar(index.data(ChannelListModel::AvatarRole).toUrl(), avatarSize,
                                   p->device()->devicePixelRatioF()));
    int x = r.left() + avatarSize + 10;
    QFont bold = option.font;
    bold.setBold(true);
    const QFontMetrics bm(bold);
    const int line1 = r.top() + bm.ascent() + 2;
    p->setFont(bold);
    p->setPen(text);
    const QString name = index.data(Qt::DisplayRole).toString();
    const bool live = index.data(ChannelListModel::LiveRole).toBool();
    QFont badgeFont = option.font;
    badgeFont.setPointSizeF(option.font.pointSizeF() * 0.8);
    badgeFont.setBold(true);
    const QFontMetrics badgeMetrics(badgeFont);
    const QString badge = tr("LIVE");
    const int badgeWidth = live ? badgeMetrics.horizontalAdvance(badge) + 10 : 0;
    const QString elidedName = bm.elidedText(name, Qt::ElideRight, r.right() - x - badgeWidth - 8);
    p->drawText(x, line1, elidedName);
    if (live) {
        const QRect badgeRect(x + bm.horizontalAdvance(elidedName) + 8, line1 - badgeMetrics.ascent() - 1,
                              badgeWidth, badgeMetrics.height() + 2);
        p->setPen(Qt::NoPen);
        p->setBrush(QColor(0xeb, 0x04, 0x00));
        p->drawRoundedRect(badgeRect, 3, 3);
        p->setPen(Qt::white);
        p->setFont(badgeFont);
        p->drawText(badgeRect, Qt::AlignCenter, badge);
    }
    // Second line: the stream's title and category when live, else the login.
    p->setFont(option.font);
    p->setPen(muted);
    QString second;
    if (live) {
        second = index.data(ChannelListModel::TitleRole).toString();
        const QString category = index.data(ChannelListModel::CategoryRole).toString();
        if (!category.isEmpty())
            second = category + QStringLiteral(" · ") + second;
        const int viewers = index.data(ChannelListModel::ViewersRole).toInt();
        if (viewers >= 0)
            second = tr("%1 viewers").arg(QLocale().toString(viewers)) + QStringLiteral(" · ") + second;
    } else {
        second = tr("Offline");
        const QString category = index.data(ChannelListModel::CategoryRole).toString();
        if (!category.isEmpty())
            second += QStringLiteral(" · ") + category;
    }
    const QFontMetrics fm(option.font);
    p->drawText(x, r.bottom() - fm.descent() - 2, fm.elidedText(second, Qt::ElideRight, r.right() - x));
    p->restore();
}

} // namespace streams::ui
