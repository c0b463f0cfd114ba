#include "pickerpage.h"

#include "avatarcache.h"
#include "twitch/helixclient.h"

#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace streams::ui {
namespace {

QString errorSentence(const app::HelixError &e) {
    switch (e.kind) {
    case app::HelixErrorKind::Network:
        return PickerPage::tr(
            "Twitch cannot be reached. Check your connection; the list refreshes when you type.");
    case app::HelixErrorKind::Unauthorized:
        return PickerPage::tr("Your Twitch login is no longer valid. Please log in again.");
    case app::HelixErrorKind::RateLimited:
        return PickerPage::tr("Twitch asks us to slow down; try again in a moment.");
    default:
        return PickerPage::tr("Twitch answered with an error: %1").arg(e.message);
    }
}

QListView *makeList(QAbstractItemModel *model, ChannelDelegate *delegate, const QString &name,
                    QWidget *parent) {
    auto *view = new QListView(parent);
    view->setModel(model);
    view->setItemDelegate(delegate);
    view->setUniformItemSizes(true);
    view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAccessibleName(name);
    view->setMouseTracking(true);
    return view;
}

} // namespace

PickerPage::PickerPage(app::HelixClient &helix, AvatarCache &avatars, QWidget *parent)
    : QWidget(parent)
    , m_helix(helix) {
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 18, 24, 18);
    auto *title = new QLabel(tr("<h2>Choose your streamer</h2>"), this);
    m_back = new QPushButton(tr("&Back to the stream"), this);
    m_back->setVisible(false);
    connect(m_back, &QPushButton::clicked, this, &PickerPage::back);
    auto *top = new QHBoxLayout;
    top->addWidget(title, 1);
    top->addWidget(m_back);
    layout->addLayout(top);

    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search Twitch channels"));
    m_search->setClearButtonEnabled(true);
    m_search->setAccessibleName(tr("Search channels"));
    m_search->addAction(QIcon(QStringLiteral(":/icons/search.svg")), QLineEdit::LeadingPosition);
    m_search->installEventFilter(this);
    layout->addWidget(m_search);
    m_searchStatus = new QLabel(this);
    m_searchStatus->setWordWrap(true);
    m_searchStatus->setVisible(false);
    layout->addWidget(m_searchStatus);

    auto *delegate = new ChannelDelegate(avatars, this);
    m_results = makeList(&m_resultsModel, delegate, tr("Search results"), this);
    m_results->setVisible(false);
    m_results->installEventFilter(this);
    layout->addWidget(m_results, 3);

    auto *followedTitle = new QLabel(tr("<b>Channels you follow</b>"), this);
    layout->addWidget(followedTitle);
    m_followedStatus = new QLabel(this);
    m_followedStatus->setWordWrap(true);
    layout->addWidget(m_followedStatus);
    m_followed = makeList(&m_followedModel, delegate, tr("Channels you follow"), this);
    m_followed->installEventFilter(this);
    layout->addWidget(m_followed, 4);

    connect(&avatars, &AvatarCache::ready, this, [this](const QUrl &url) {
        m_resultsModel.avatarReady(url);
        m_followedModel.avatarReady(url);
    });
    // A click chooses; Enter is handled in eventFilter (activated() would double up on single-click
    // desktops).
    for (QListView *view : {m_results, m_followed})
        connect(view, &QListView::clicked, this, [this, view](const QModelIndex &i) { choose(view, i); });
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(300);
    connect(&m_debounce, &QTimer::timeout, this, &PickerPage::search);
    connect(m_search, &QLineEdit::textChanged, this, [this] { m_debounce.start(); });
    connect(m_search, &QLineEdit::returnPressed, this, [this] {
        if (m_debounce.isActive()) { // Enter before the pause: search now, then take the first result
            m_debounce.stop();
            search();
            return;
        }
        if (m_resultsModel.rowCount() > 0)
            choose(m_results, m_resultsModel.index(0));
    });
}

void PickerPage::setCanGoBack(bool can) {
    m_back->setVisible(can);
}

void PickerPage::focusSearch() {
    m_search->setFocus();
    m_search->selectAll();
}

void PickerPage::setUser(const QString &userId) {
    const int generation = ++m_followedGeneration;
    m_followedStatus->setText(tr("Loading the channels you follow…"));
    m_followedStatus->setVisible(true);
    auto showFollowed = [this, generation](app::HelixResult<QList<app::HelixFollowedChannel>> r) {
        if (generation != m_followedGeneration)
            return;
        if (auto *e = std::get_if<app::HelixError>(&r)) {
            m_followedStatus->setText(errorSentence(*e));
            return;
        }
        const auto followed = std::get<QList<app::HelixFollowedChannel>>(r);
        if (followed.isEmpty()) {
            m_followedStatus->setText(tr("You don't follow any channels yet. Search for one above."));
            m_followedModel.setChannels({});
            return;
        }
        QStringList ids;
        for (const auto &f : followed)
            ids.append(f.broadcasterId);
        ids = ids.mid(0, 100);
        // Avatars from Get Users, live state from Get Streams; both answers are needed to draw the list.
        auto users = std::make_shared<std::optional<QList<app::HelixUser>>>();
        auto streams = std::make_shared<std::optional<QList<app::HelixStream>>>();
        auto finish = [this, generation, followed, users, streams] {
            if (!users->has_value() || !streams->has_value() || generation != m_followedGeneration)
                return;
            QList<ChannelItem> items;
            for (const auto &f : followed) {
                ChannelItem c{f.broadcasterId, f.broadcasterLogin, f.broadcasterName, {}, false, {}, {}, -1};
                for (const auto &u : **users)
                    if (u.id == c.id)
                        c.avatarUrl = QUrl(u.profileImageUrl);
                for (const auto &s : **streams)
                    if (s.userId == c.id) {
                        c.live = true;
                        c.title = s.title;
                        c.category = s.gameName;
                        c.viewers = s.viewerCount;
                    }
                items.append(c);
            }
            std::stable_sort(items.begin(), items.end(), [](const ChannelItem &a, const ChannelItem &b) {
                if (a.live != b.live)
                    return a.live;
                return a.displayName.localeAwareCompare(b.displayName) < 0;
            });
            m_followedModel.setChannels(items);
            m_followedStatus->setVisible(false);
        };
        m_helix.users(ids, {}, this, [users, finish](app::HelixResult<QList<app::HelixUser>> r) {
            *users = std::holds_alternative<QList<app::HelixUser>>(r) ? std::get<QList<app::HelixUser>>(r)
                                                                      : QList<app::HelixUser>{};
            finish();
        });
        m_helix.streams(ids, this, [streams, finish](app::HelixResult<QList<app::HelixStream>> r) {
            *streams = std::holds_alternative<QList<app::HelixStream>>(r)
                           ? std::get<QList<app::HelixStream>>(r)
                           : QList<app::HelixStream>{};
            finish();
        });
    };
    m_helix.followedChannels(userId, this, std::move(showFollowed));
}

void PickerPage::search() {
    const QString query = m_search->text().trimmed();
    const int generation = ++m_searchGeneration;
    if (query.isEmpty()) {
        showResults(query, {}, {});
        return;
    }
    m_searchStatus->setText(tr("Searching…"));
    m_searchStatus->setVisible(true);
    m_helix.searchChannels(query, 20, this,
                           [this, generation, query](app::HelixResult<QList<app::HelixChannel>> r) {
                               if (generation != m_searchGeneration)
                                   return; // a newer query is on its way
                               if (auto *e = std::get_if<app::HelixError>(&r)) {
                                   showResults(query, {}, errorSentence(*e));
                                   return;
                               }
                               QList<ChannelItem> items;
                               for (const auto &c : std::get<QList<app::HelixChannel>>(r))
                                   items.append({c.id, c.login, c.displayName, QUrl(c.thumbnailUrl), c.isLive,
                                                 c.title, c.gameName, -1});
                               showResults(query, items, {});
                           });
}

void PickerPage::showResults(const QString &query, QList<ChannelItem> items, const QString &error) {
    const bool any = !items.isEmpty();
    m_resultsModel.setChannels(std::move(items));
    m_results->setVisible(any);
    if (any)
        m_results->setCurrentIndex(m_resultsModel.index(0));
    if (!error.isEmpty())
        m_searchStatus->setText(error);
    else if (!query.isEmpty() && !any)
        m_searchStatus->setText(tr("No channel matches “%1”.").arg(query));
    m_searchStatus->setVisible(!error.isEmpty() || (!query.isEmpty() && !any));
}

void PickerPage::choose(QListView *view, const QModelIndex &index) {
    if (!index.isValid())
        return;
    const auto *model = static_cast<ChannelListModel *>(view->model());
    Q_EMIT chosen(model->at(index.row()));
}

bool PickerPage::eventFilter(QObject *watched, QEvent *event) {
    if (event->type() != QEvent::KeyPress)
        return QWidget::eventFilter(watched, event);
    const int key = static_cast<QKeyEvent *>(event)->key();
    if (watched == m_search && key == Qt::Key_Down) {
        QListView *target = m_results->isVisible() && m_resultsModel.rowCount() > 0 ? m_results : m_followed;
        if (target->model()->rowCount() > 0) {
            target->setFocus();
            if (!target->currentIndex().isValid())
                target->setCurrentIndex(target->model()->index(0, 0));
        }
        return true;
    }
    if (watched == m_search && key == Qt::Key_Escape && m_back->isVisible()) {
        Q_EMIT back();
        return true;
    }
    auto *view = qobject_cast<QListView *>(watched);
    if (view && (key == Qt::Key_Return || key == Qt::Key_Enter)) {
        choose(view, view->currentIndex());
        return true;
    }
    if (view && key == Qt::Key_Up && view->currentIndex().row() <= 0) {
        if (view == m_followed && m_results->isVisible() && m_resultsModel.rowCount() > 0) {
            m_results->setFocus();
            m_results->setCurrentIndex(m_resultsModel.index(m_resultsModel.rowCount() - 1));
        } else {
            m_search->setFocus();
        }
        return true;
    }
    if (view == m_results && key == Qt::Key_Down &&
        view->currentIndex().row() == m_resultsModel.rowCount() - 1 && m_followedModel.rowCount() > 0) {
        m_followed->setFocus();
        m_followed->setCurrentIndex(m_followedModel.index(0));
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace streams::ui
