#include "feedpanel.h"

#include <QApplication>
#include <QButtonGroup>
#include <QClipboard>
#include <QDesktopServices>
#include <QEvent>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QPainter>
#include <QPushButton>
#include <QScrollBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <utility>

namespace streams::ui {
namespace {

QString iconFor(const QString &kind) {
    const QString group = app::kindGroup(kind);
    if (group == u"live")
        return kind == u"online" ? QStringLiteral(":/icons/online.svg")
                                 : QStringLiteral(":/icons/offline.svg");
    return QStringLiteral(":/icons/%1.svg").arg(group);
}

const QIcon &cachedIcon(const QString &path) {
    static QHash<QString, QIcon> icons;
    auto it = icons.find(path);
    if (it == icons.end())
        it = icons.insert(path, QIcon(path));
    return *it;
}

} // namespace

FeedDelegate::FeedDelegate(QObject *parent)
    : QStyledItemDelegate(parent) {}

QSize FeedDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const {
    return {240, option.fontMetrics.height() * 2 + 18};
}

void FeedDelegate::paint(QPainter *p, const QStyleOptionViewItem &option, const QModelIndex &index) const {
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    opt.icon = {};
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, p, widget);

    // Arrival: a highlight that fades and text that slides in from the left.
    qreal fresh = 0;
    if (m_arrivals && m_clock) {
        const auto it = m_arrivals->constFind(index.data(app::FeedModel::KeyRole).toString());
        if (it != m_arrivals->cend())
            fresh = qBound(0.0, 1.0 - qreal(m_clock->elapsed() - *it) / kAnimationMs, 1.0);
    }
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    if (fresh > 0) {
        QColor glow = option.palette.color(QPalette::Highlight);
        glow.setAlphaF(0.28 * fresh);
        p->fillRect(option.rect, glow);
    }
    if (index.data(app::FeedModel::UnreadRole).toBool()) // a bar at the left edge until it is read
        p->fillRect(
            QRect(option.rect.left(), option.rect.top() + 4, kUnreadMarkWidth, option.rect.height() - 8),
            QColor(0x91, 0x47, 0xff));
    const int slide = int(24 * fresh * fresh);
    const bool selected = option.state & QStyle::State_Selected;
    const QColor text = option.palette.color(selected ? QPalette::HighlightedText : QPalette::Text);
    QColor muted = text;
    muted.setAlphaF(0.62);
    const QRect r = option.rect.adjusted(10 + slide, 6, -10, -6);
    const int iconSize = qMin(24, r.height());
    const QString kind = index.data(app::FeedModel::KindRole).toString();
    cachedIcon(iconFor(kind))
        .paint(p, QRect(r.left(), r.top() + (r.height() - iconSize) / 2, iconSize, iconSize));
    const int x = r.left() + iconSize + 10;

    QFont bold = option.font;
    bold.setBold(true);
    const QFontMetrics bm(bold);
    const QFontMetrics fm(option.font);
    const QString time = index.data(app::FeedModel::RelativeTimeRole).toString();
    const int timeWidth = fm.horizontalAdvance(time);
    const int line1 = r.top() + bm.ascent() + 1;
    const QString who = index.data(app::FeedModel::UserNameRole).toString();
    const QString action = index.data(app::FeedModel::ActionRole).toString();
    const int available = r.right() - x - timeWidth - 12;
    p->setFont(bold);
    p->setPen(text);
    const QString elidedWho = bm.elidedText(who, Qt::ElideRight, available * 2 / 3);
    p->drawText(x, line1, elidedWho);
    const int whoWidth =
        elidedWho.isEmpty() ? 0 : bm.horizontalAdvance(elidedWho) + fm.horizontalAdvance(u' ');
    p->setFont(option.font);
    p->drawText(x + whoWidth, line1, fm.elidedText(action, Qt::ElideRight, available - whoWidth));
    p->setPen(muted);
    p->drawText(r.right() - timeWidth, line1, time);
    const QString message = index.data(app::FeedModel::MessageRole).toString();
    if (!message.isEmpty())
        p->drawText(x, r.bottom() - fm.descent(), fm.elidedText(message, Qt::ElideRight, r.right() - x));
    p->restore();
}

FeedPanel::FeedPanel(app::FeedModel &model, QWidget *parent)
    : QWidget(parent)
    , m_model(model) {
    m_clock.start();
    m_filter.setSourceModel(&m_model);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->setSpacing(6);

    // The chip row never sets the panel's minimum width: fitChips() shortens the labels to fit instead.
    auto *chipRow = new QWidget(this);
    chipRow->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    auto *chips = new QHBoxLayout(chipRow);
    chips->setContentsMargins(0, 0, 0, 0);
    chips->setSpacing(kChipSpacing);
    m_all = new QToolButton(chipRow);
    m_all->setText(tr("All"));
    m_all->setCheckable(true);
    m_all->setChecked(true);
    m_all->setAutoRaise(true);
    m_all->setAccessibleName(tr("Show every kind of event"));
    chips->addWidget(m_all);
    connect(m_all, &QToolButton::clicked, this, [this] {
        for (QToolButton *chip : std::as_const(m_chips))
            chip->setChecked(false);
        applyFilter();
    });
    const QList<QPair<QString, QString>> groups{
        {QStringLiteral("follow"), tr("Follows")}, {QStringLiteral("cheer"), tr("Cheers")},
        {QStringLiteral("sub"), tr("Subs")},       {QStringLiteral("gift"), tr("Gifts")},
        {QStringLiteral("raid"), tr("Raids")},     {QStringLiteral("live"), tr("Live")}};
    for (const auto &[group, name] : groups) {
        auto *chip = new QToolButton(chipRow);
        chip->setCheckable(true);
        chip->setAutoRaise(true);
        chip->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        chip->setIcon(QIcon(group == u"live" ? QStringLiteral(":/icons/online.svg")
                                             : QStringLiteral(":/icons/%1.svg").arg(group)));
        chip->setAccessibleName(tr("Show %1 only").arg(name));
        m_chips.insert(group, chip);
        m_chipNames.insert(group, name);
        chips->addWidget(chip);
        connect(chip, &QToolButton::toggled, this, [this] { applyFilter(); });
    }
    chips->addStretch(1);
    layout->addWidget(chipRow);

    // Unread count and "Mark all read" while there are any; the export beside them.
    auto *toolRow = new QWidget(this);
    toolRow->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    auto *tools = new QHBoxLayout(toolRow);
    tools->setContentsMargins(0, 0, 0, 0);
    m_unread = new QLabel(toolRow);
    m_unread->setAccessibleName(tr("Unread events"));
    tools->addWidget(m_unread);
    m_markAllRead = new QPushButton(tr("Mark all &read"), toolRow);
    m_markAllRead->setFlat(true);
    m_markAllRead->setCursor(Qt::PointingHandCursor);
    connect(m_markAllRead, &QPushButton::clicked, this, [this] { m_model.markAllRead(); });
    tools->addWidget(m_markAllRead);
    tools->addStretch(1);
    m_export = new QPushButton(tr("E&xport…"), toolRow);
    m_export->setFlat(true);
    m_export->setToolTip(tr("Save the events of a period, as filtered here, to a CSV or JSON file"));
    connect(m_export, &QPushButton::clicked, this, &FeedPanel::exportRequested);
    tools->addWidget(m_export);
    layout->addWidget(toolRow);

    m_view = new QListView(this);
    m_delegate = new FeedDelegate(this);
    m_delegate->setArrivals(&m_arrivals, &m_clock);
    m_view->setItemDelegate(m_delegate);
    m_view->setModel(&m_filter);
    m_view->setUniformItemSizes(true);
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setAccessibleName(tr("Event feed"));
    m_view->setFrameShape(QFrame::NoFrame);
    m_view->viewport()->installEventFilter(this);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        QModelIndex index = m_view->indexAt(pos);
        QPoint at = pos;
        if (!index.isValid()) { // the keyboard's menu key: the current row
            index = m_view->currentIndex();
            at = m_view->visualRect(index).center();
        }
        if (!index.isValid())
            return;
        QMenu *menu = rowMenu(index, this);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_view->viewport()->mapToGlobal(at));
    });
    layout->addWidget(m_view, 1);

    m_pill = new QPushButton(m_view);
    m_pill->setCursor(Qt::PointingHandCursor);
    m_pill->setVisible(false);
    m_pill->setAccessibleName(tr("Show new events"));
    m_pill->setStyleSheet(QStringLiteral("QPushButton{background:#9147ff;color:white;border:none;"
                                         "border-radius:12px;padding:4px 14px;font-weight:bold}"
                                         "QPushButton:hover{background:#772ce8}"));
    connect(m_pill, &QPushButton::clicked, this, &FeedPanel::scrollToNewest);

    m_empty = new QLabel(m_view->viewport());
    m_empty->setWordWrap(true);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setTextFormat(Qt::PlainText);
    m_empty->setAttribute(Qt::WA_TransparentForMouseEvents);
    QPalette pal = m_empty->palette();
    QColor muted = pal.color(QPalette::WindowText);
    muted.setAlphaF(0.7);
    pal.setColor(QPalette::WindowText, muted);
    m_empty->setPalette(pal);

    connect(&m_filter, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &, int first, int last) { onRowsInserted(first, last); });
    connect(&m_filter, &QAbstractItemModel::modelReset, this, &FeedPanel::updateEmptyState);
    connect(&m_filter, &QAbstractItemModel::layoutChanged, this, &FeedPanel::updateEmptyState);
    connect(&m_filter, &QAbstractItemModel::rowsRemoved, this, &FeedPanel::updateEmptyState);
    connect(&m_model, &app::FeedModel::countsChanged, this, &FeedPanel::updateChips);
    // A big replay resets the model: the row being read stays at the top of the view if it is still there.
    connect(&m_filter, &QAbstractItemModel::modelAboutToBeReset, this, [this] {
        m_anchorKey.clear();
        if (m_view->verticalScrollBar()->value() == 0)
            return;
        const QModelIndex top = m_view->indexAt(QPoint(1, 1));
        m_anchorKey = top.data(app::FeedModel::KeyRole).toString();
        m_anchorOffset = m_view->visualRect(top).top();
    });
    connect(&m_filter, &QAbstractItemModel::modelReset, this, [this] {
        m_pendingShift = 0;
        const QString key = std::exchange(m_anchorKey, QString());
        if (key.isEmpty())
            return;
        const QModelIndexList found =
            m_filter.match(m_filter.index(0, 0), app::FeedModel::KeyRole, key, 1, Qt::MatchExactly);
        if (found.isEmpty()) {
            m_view->scrollToTop();
            return;
        }
        m_view->scrollTo(found.first(), QAbstractItemView::PositionAtTop);
        QScrollBar *bar = m_view->verticalScrollBar();
        bar->setValue(bar->value() - m_anchorOffset);
    });
    connect(&m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_newCount = 0;
        m_pill->setVisible(false);
        updateChips();
    });
    connect(m_view->verticalScrollBar(), &QScrollBar::rangeChanged, this, [this] {
        if (m_pendingShift > 0) { // keep the rows the user is reading where they are
            m_view->verticalScrollBar()->setValue(m_view->verticalScrollBar()->value() + m_pendingShift);
            m_pendingShift = 0;
        }
    });
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        if (value == 0 && m_pendingShift == 0 && m_newCount > 0) {
            m_newCount = 0;
            m_pill->setVisible(false);
        }
        updateLooking();
        if (value == 0 && isVisible() && isActiveWindow())
            readTheRowsShown(); // back at the top: what came in meanwhile has been read
    });
    connect(&m_model, &app::FeedModel::unreadCountChanged, this, &FeedPanel::updateUnread);
    m_animation.setInterval(16);
    connect(&m_animation, &QTimer::timeout, this, [this] {
        const qint64 now = m_clock.elapsed();
        for (auto it = m_arrivals.begin(); it != m_arrivals.end();)
            it = now - it.value() > FeedDelegate::kAnimationMs ? m_arrivals.erase(it) : std::next(it);
        if (m_arrivals.isEmpty())
            m_animation.stop();
        m_view->viewport()->update();
    });
    updateChips();
    updateEmptyState();
    updateUnread();
    updateLooking();
}

void FeedPanel::updateLooking() {
    m_model.setArrivalsUnread(!isVisible() || !isActiveWindow() || m_view->verticalScrollBar()->value() > 0);
}

void FeedPanel::readTheRowsShown() {
    if (m_model.unreadCount() == 0)
        return;
    QStringList keys;
    for (int row = 0; row < m_filter.rowCount(); ++row) {
        const QModelIndex index = m_filter.index(row, 0);
        if (index.data(app::FeedModel::UnreadRole).toBool())
            keys.append(index.data(app::FeedModel::KeyRole).toString());
    }
    m_model.markRead(keys);
}

void FeedPanel::updateUnread() {
    const int count = m_model.unreadCount();
    m_unread->setText(tr("%n unread", nullptr, count));
    m_unread->setVisible(count > 0);
    m_markAllRead->setVisible(count > 0);
}

QString FeedPanel::unreadText() const {
    return m_unread->isHidden() ? QString() : m_unread->text();
}

QStringList FeedPanel::filterKinds() const {
    QStringList kinds = m_filter.kinds().values();
    kinds.sort();
    return kinds;
}

QString FeedPanel::filterNames() const {
    QStringList names;
    for (const QString &group : {QStringLiteral("follow"), QStringLiteral("cheer"), QStringLiteral("sub"),
                                 QStringLiteral("gift"), QStringLiteral("raid"), QStringLiteral("live")})
        if (m_chips.value(group)->isChecked())
            names.append(m_chipNames.value(group));
    return names.join(QStringLiteral(", "));
}

QMenu *FeedPanel::rowMenu(const QModelIndex &index, QWidget *parent) {
    auto *menu = new QMenu(parent);
    const QModelIndex source = m_filter.mapToSource(index);
    if (!source.isValid())
        return menu;
    // The event itself, not the row: the model may move on while the menu is open.
    const app::FeedEvent event = m_model.at(source.row());
    const QString name = event.userName.isEmpty() ? event.userLogin : event.userName;
    QAction *copy =
        menu->addAction(tr("&Copy user name"), this, [name] { QGuiApplication::clipboard()->setText(name); });
    copy->setObjectName(QStringLiteral("copyUserName"));
    copy->setEnabled(!name.isEmpty());
    QAction *open = menu->addAction(name.isEmpty() ? tr("&Open the channel in the browser")
                                                   : tr("&Open %1's channel in the browser").arg(name),
                                    this, [login = event.userLogin] {
                                        QDesktopServices::openUrl(
                                            QUrl(QStringLiteral("https://www.twitch.tv/") +
                                                 QString::fromLatin1(QUrl::toPercentEncoding(login))));
                                    });
    open->setObjectName(QStringLiteral("openChannel"));
    open->setEnabled(!event.userLogin.isEmpty());
    QAction *again = menu->addAction(tr("&Replay as alert"), this, [this, event] {
        const QModelIndexList found =
            m_filter.match(m_filter.index(0, 0), app::FeedModel::KeyRole, event.key, 1, Qt::MatchExactly);
        if (!found.isEmpty())
            replay(found.first());
        else
            Q_EMIT replayRequested(event); // no longer shown: the notification alone
    });
    again->setObjectName(QStringLiteral("replay"));
    QAction *read =
        menu->addAction(tr("&Mark read"), this, [this, key = event.key] { m_model.markRead({key}); });
    read->setObjectName(QStringLiteral("markRead"));
    read->setEnabled(m_model.isUnread(event.key));
    return menu;
}

void FeedPanel::replay(const QModelIndex &index) {
    const QModelIndex source = m_filter.mapToSource(index);
    if (!source.isValid())
        return;
    const app::FeedEvent event = m_model.at(source.row());
    m_view->scrollTo(index);
    m_arrivals.insert(event.key, m_clock.elapsed()); // the arrival once more: glow and slide
    if (!m_animation.isActive())
        m_animation.start();
    m_view->viewport()->update();
    Q_EMIT replayRequested(event);
}

bool FeedPanel::event(QEvent *event) {
    const bool handled = QWidget::event(event);
    if (event->type() == QEvent::WindowActivate || event->type() == QEvent::WindowDeactivate)
        updateLooking();
    return handled;
}

void FeedPanel::showEvent(QShowEvent *event) {
    QWidget::showEvent(event);
    updateLooking();
}

void FeedPanel::hideEvent(QHideEvent *event) {
    QWidget::hideEvent(event);
    updateLooking();
}

void FeedPanel::setFollowsAllowed(bool allowed) {
    m_followsAllowed = allowed;
    updateEmptyState();
}

void FeedPanel::setStreamerName(const QString &name) {
    m_streamerName = name;
    updateEmptyState();
}

bool FeedPanel::pillVisible() const {
    return m_pill->isVisible();
}

QString FeedPanel::emptyText() const {
    return m_empty->text();
}

bool FeedPanel::emptyVisible() const {
    return m_empty->isVisible();
}

void FeedPanel::scrollToNewest() {
    m_newCount = 0;
    m_pendingShift = 0;
    m_pill->setVisible(false);
    m_view->scrollToTop();
}

void FeedPanel::onRowsInserted(int first, int last) {
    const int count = last - first + 1;
    QScrollBar *bar = m_view->verticalScrollBar();
    const int rowHeight = qMax(1, m_view->sizeHintForRow(0)); // uniform rows
    const int topRow = (bar->value() + m_pendingShift) / rowHeight;
    if (bar->value() > 0 && first <= topRow) {
        // The user is reading further down: rows arriving above don't move the list.
        m_pendingShift += count * rowHeight;
        if (first == 0) { // and the newest ones are counted on the pill
            m_newCount += count;
            m_pill->setText(tr("↑ %n new", nullptr, m_newCount));
            m_pill->adjustSize();
            m_pill->setVisible(true);
            placeOverlays();
        }
    } else if (count <= 50) { // a storm does not animate row by row
        const qint64 now = m_clock.elapsed();
        for (int row = first; row <= last; ++row)
            m_arrivals.insert(m_filter.index(row, 0).data(app::FeedModel::KeyRole).toString(), now);
        if (!m_animation.isActive())
            m_animation.start();
    }
    updateEmptyState();
}

void FeedPanel::applyFilter() {
    QSet<QString> kinds;
    for (auto it = m_chips.cbegin(); it != m_chips.cend(); ++it)
        if (it.value()->isChecked())
            for (const QString &kind : app::kindsOfGroup(it.key()))
                kinds.insert(kind);
    m_all->setChecked(kinds.isEmpty());
    m_filter.setKinds(kinds);
    m_newCount = 0;
    m_pill->setVisible(false);
    updateEmptyState();
}

void FeedPanel::updateChips() {
    const QHash<QString, int> counts = m_model.countByKind();
    for (auto it = m_chips.cbegin(); it != m_chips.cend(); ++it) {
        int n = 0;
        for (const QString &kind : app::kindsOfGroup(it.key()))
            n += counts.value(kind);
        m_chipCounts.insert(it.key(), n);
        it.value()->setToolTip(QStringLiteral("%1 %2").arg(m_chipNames.value(it.key())).arg(n));
    }
    fitChips();
    updateEmptyState();
}

void FeedPanel::fitChips() {
    // "Follows 12" on every chip when the row has room for it; icon and count otherwise (the name stays in
    // the tooltip): a narrow feed used to cut every label down to "F…12".
    int needed = m_all->sizeHint().width();
    for (auto it = m_chips.cbegin(); it != m_chips.cend(); ++it) {
        QToolButton *chip = it.value();
        chip->setText(chip->toolTip());
        needed += kChipSpacing + chip->sizeHint().width();
    }
    const int available = width() - 16; // the layout's margins
    m_compactChips = needed > available;
    if (m_compactChips)
        for (auto it = m_chips.cbegin(); it != m_chips.cend(); ++it)
            it.value()->setText(QString::number(m_chipCounts.value(it.key())));
}

void FeedPanel::resizeEvent(QResizeEvent *event) {
    QWidget::resizeEvent(event);
    fitChips();
}

void FeedPanel::updateEmptyState() {
    const bool empty = m_filter.rowCount() == 0;
    m_empty->setVisible(empty);
    if (!empty)
        return;
    const QSet<QString> kinds = m_filter.kinds();
    const bool followsOnly = !kinds.isEmpty() && kinds == QSet<QString>{QStringLiteral("follow")};
    QString text;
    if (!m_followsAllowed && (kinds.isEmpty() || followsOnly))
        text =
            tr("Twitch shows follows only to the broadcaster and moderators — cheers, subs, gifts and raids "
               "from chat still appear here.");
    else if (!kinds.isEmpty())
        text = tr("Nothing of this kind yet. New events appear here as they happen.");
    else
        text = m_streamerName.isEmpty()
                   ? tr("No events yet. Follows, cheers, subs, gifts and raids appear here as they happen.")
                   : tr("No events for %1 yet. Follows, cheers, subs, gifts and raids appear here as they "
                        "happen.")
                         .arg(m_streamerName);
    m_empty->setText(text);
    placeOverlays();
}

void FeedPanel::placeOverlays() {
    const QRect area = m_view->viewport()->rect();
    m_empty->setGeometry(area.adjusted(24, 24, -24, -24));
    m_pill->move(m_view->viewport()->x() + (area.width() - m_pill->width()) / 2, m_view->viewport()->y() + 8);
    m_pill->raise();
}

bool FeedPanel::eventFilter(QObject *watched, QEvent *event) {
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        placeOverlays();
    return QWidget::eventFilter(watched, event);
}

} // namespace streams::ui
