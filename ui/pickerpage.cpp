#include "pickerpage.h"

#include "avatarcache.h"
#include "twitch/authsession.h"
#include "twitch/helixclient.h"

#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QVBoxLayout>

#include <QSet>

#include <algorithm>
#include <memory>

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
    layout->addWidget(m_results, 3);

    layout->addWidget(new QLabel(tr("<b>Your channel</b>"), this));
    m_own = makeList(&m_ownModel, delegate, tr("Your channel"), this);
    m_own->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    layout->addWidget(m_own);
    fitHeight(m_own, 1);

    m_moderatedTitle = new QLabel(tr("<b>Channels you moderate</b>"), this);
    layout->addWidget(m_moderatedTitle);
    m_moderatedStatus = new QLabel(this);
    m_moderatedStatus->setWordWrap(true);
    layout->addWidget(m_moderatedStatus);
    m_moderated = makeList(&m_moderatedModel, delegate, tr("Channels you moderate"), this);
    layout->addWidget(m_moderated);
    m_moderatedTitle->setVisible(false);
    m_moderatedStatus->setVisible(false);
    m_moderated->setVisible(false);

    layout->addWidget(new QLabel(tr("<b>Channels you follow</b>"), this));
    m_followedStatus = new QLabel(this);
    m_followedStatus->setWordWrap(true);
    layout->addWidget(m_followedStatus);
    m_followed = makeList(&m_followedModel, delegate, tr("Channels you follow"), this);
    layout->addWidget(m_followed, 4);

    connect(&avatars, &AvatarCache::ready, this, [this](const QUrl &url) {
        for (ChannelListModel *model : {&m_resultsModel, &m_ownModel, &m_moderatedModel, &m_followedModel})
            model->avatarReady(url);
    });
    // A click chooses; Enter is handled in eventFilter (activated() would double up on single-click
    // desktops).
    for (QListView *view : {m_results, m_own, m_moderated, m_followed}) {
        view->installEventFilter(this);
        connect(view, &QListView::clicked, this, [this, view](const QModelIndex &i) { choose(view, i); });
    }
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
        else if (m_search->text().trimmed().isEmpty() && m_preselected)
            choose(m_preselected, m_preselected->currentIndex()); // the channel watched last
    });
}

void PickerPage::setCanGoBack(bool can) {
    m_back->setVisible(can);
}

void PickerPage::focusSearch() {
    m_search->setFocus();
    m_search->selectAll();
}

QString PickerPage::moderatedStatus() const {
    return m_moderatedStatus->isHidden() ? QString() : m_moderatedStatus->text();
}

void PickerPage::fitHeight(QListView *view, int maxRows) {
    const int rows = qBound(1, view->model()->rowCount(), maxRows);
    view->setFixedHeight(rows * ChannelDelegate::rowHeight(view->fontMetrics()) + 2 * view->frameWidth());
}

void PickerPage::setLastWatched(const QString &channelId) {
    m_lastWatched = channelId;
    preselect();
}

void PickerPage::setUser(const app::Account &account) {
    const int generation = ++m_userGeneration;
    loadOwn(account, generation);
    loadModerated(account, generation);
    loadFollowed(account.userId, generation);
}

void PickerPage::loadOwn(const app::Account &account, int generation) {
    // Always there: at once with what the login says, then with its avatar and live state.
    ChannelItem own;
    own.id = account.userId;
    own.login = account.login;
    own.displayName = account.login;
    if (m_ownModel.rowCount() > 0 && m_ownModel.at(0).id == own.id)
        own = m_ownModel.at(0); // what was known from the last time
    m_ownModel.setChannels({own});
    preselect();
    m_helix.users({account.userId}, {}, this, [this, generation](app::HelixResult<QList<app::HelixUser>> r) {
        if (generation != m_userGeneration || !std::holds_alternative<QList<app::HelixUser>>(r) ||
            std::get<QList<app::HelixUser>>(r).isEmpty())
            return; // keep the login's name
        const app::HelixUser user = std::get<QList<app::HelixUser>>(r).first();
        ChannelItem own = m_ownModel.at(0);
        own.login = user.login;
        own.displayName = user.displayName.isEmpty() ? user.login : user.displayName;
        own.avatarUrl = QUrl(user.profileImageUrl);
        m_ownModel.setChannels({own});
        preselect();
    });
    m_helix.streams({account.userId}, this, [this, generation](app::HelixResult<QList<app::HelixStream>> r) {
        if (generation != m_userGeneration || !std::holds_alternative<QList<app::HelixStream>>(r))
            return;
        ChannelItem own = m_ownModel.at(0);
        own.live = false;
        own.title.clear();
        own.viewers = -1;
        for (const app::HelixStream &s : std::get<QList<app::HelixStream>>(r))
            if (s.userId == own.id) {
                own.live = true;
                own.title = s.title;
                own.category = s.gameName;
                own.viewers = s.viewerCount;
            }
        m_ownModel.setChannels({own});
        preselect();
    });
}

void PickerPage::loadModerated(const app::Account &account, int generation) {
    auto say = [this](const QString &text) {
        m_moderatedTitle->setVisible(true);
        m_moderatedStatus->setText(text);
        m_moderatedStatus->setVisible(true);
    };
    if (!account.scopes.contains(QLatin1String("user:read:moderated_channels"))) {
        // A login from before the app asked for it: asking Twitch would only earn a 401.
        m_moderatedModel.setChannels({});
        m_moderated->setVisible(false);
        say(tr("Log in again to see the channels you moderate here."));
        showFollowed();
        return;
    }
    if (m_moderatedModel.rowCount() == 0)
        say(tr("Loading the channels you moderate…"));
    const QString ownId = account.userId;
    m_helix.moderatedChannels(
        account.userId, this,
        [this, generation, ownId, say](app::HelixResult<QList<app::HelixModeratedChannel>> r) {
            if (generation != m_userGeneration)
                return;
            if (auto *e = std::get_if<app::HelixError>(&r)) {
                say(errorSentence(*e));
                return;
            }
            QList<ChannelItem> items;
            for (const auto &c : std::get<QList<app::HelixModeratedChannel>>(r))
                if (c.broadcasterId != ownId)
                    items.append(
                        {c.broadcasterId, c.broadcasterLogin, c.broadcasterName, {}, false, {}, {}, -1});
            describe(items, generation, [this](QList<ChannelItem> described) {
                m_moderatedModel.setChannels(std::move(described));
                const bool any = m_moderatedModel.rowCount() > 0;
                // A viewer moderates nowhere: no empty section for them.
                m_moderatedTitle->setVisible(any);
                m_moderatedStatus->setVisible(false);
                m_moderated->setVisible(any);
                fitHeight(m_moderated, 4);
                showFollowed();
                preselect();
            });
        });
}

void PickerPage::loadFollowed(const QString &userId, int generation) {
    if (m_followedModel.rowCount() == 0) {
        m_followedStatus->setText(tr("Loading the channels you follow…"));
        m_followedStatus->setVisible(true);
    }
    auto showFollowed = [this, generation](app::HelixResult<QList<app::HelixFollowedChannel>> r) {
        if (generation != m_userGeneration)
            return;
        if (auto *e = std::get_if<app::HelixError>(&r)) {
            m_followedStatus->setText(errorSentence(*e));
            m_followedStatus->setVisible(true);
            return;
        }
        const auto followed = std::get<QList<app::HelixFollowedChannel>>(r);
        if (followed.isEmpty()) {
            m_followedAll.clear();
            this->showFollowed();
            m_followedStatus->setText(tr("You don't follow any channels yet. Search for one above."));
            m_followedStatus->setVisible(true);
            return;
        }
        QList<ChannelItem> items;
        for (const auto &f : followed.mid(0, 100))
            items.append({f.broadcasterId, f.broadcasterLogin, f.broadcasterName, {}, false, {}, {}, -1});
        describe(items, generation, [this](QList<ChannelItem> described) {
            m_followedAll = std::move(described);
            m_followedStatus->setVisible(false);
            this->showFollowed();
            preselect();
        });
    };
    m_helix.followedChannels(userId, this, std::move(showFollowed));
}

void PickerPage::describe(QList<ChannelItem> items, int generation,
                          std::function<void(QList<ChannelItem>)> done) {
    struct Pending {
        QList<ChannelItem> items;
        QHash<QString, app::HelixUser> users;
        QHash<QString, app::HelixStream> streams;
        int waiting = 0;
        std::function<void(QList<ChannelItem>)> done;
    };
    auto pending = std::make_shared<Pending>();
    pending->items = std::move(items);
    pending->done = std::move(done);
    auto finish = [this, generation, pending] {
        if (--pending->waiting > 0 || generation != m_userGeneration)
            return;
        for (ChannelItem &c : pending->items) {
            if (const auto user = pending->users.constFind(c.id); user != pending->users.cend())
                c.avatarUrl = QUrl(user->profileImageUrl);
            if (const auto s = pending->streams.constFind(c.id); s != pending->streams.cend()) {
                c.live = true;
                c.title = s->title;
                c.category = s->gameName;
                c.viewers = s->viewerCount;
            }
        }
        std::stable_sort(pending->items.begin(), pending->items.end(),
                         [](const ChannelItem &a, const ChannelItem &b) {
                             if (a.live != b.live)
                                 return a.live;
                             return a.displayName.localeAwareCompare(b.displayName) < 0;
                         });
        pending->done(std::move(pending->items));
    };
    QStringList ids;
    for (const ChannelItem &c : std::as_const(pending->items))
        ids.append(c.id);
    if (ids.isEmpty()) {
        pending->waiting = 1;
        finish();
        return;
    }
    // Both answers are needed to draw the list; without one, the rows go without avatars or live state.
    for (qsizetype at = 0; at < ids.size(); at += 100) {
        const QStringList chunk = ids.mid(at, 100);
        pending->waiting += 2;
        m_helix.users(chunk, {}, this, [pending, finish](app::HelixResult<QList<app::HelixUser>> r) {
            if (const auto *users = std::get_if<QList<app::HelixUser>>(&r))
                for (const app::HelixUser &u : *users)
                    pending->users.insert(u.id, u);
            finish();
        });
        m_helix.streams(chunk, this, [pending, finish](app::HelixResult<QList<app::HelixStream>> r) {
            if (const auto *streams = std::get_if<QList<app::HelixStream>>(&r))
                for (const app::HelixStream &s : *streams)
                    pending->streams.insert(s.userId, s);
            finish();
        });
    }
}

void PickerPage::showFollowed() {
    QSet<QString> above;
    for (const ChannelListModel *model : {&m_ownModel, &m_moderatedModel})
        for (int row = 0; row < model->rowCount(); ++row)
            above.insert(model->at(row).id);
    QList<ChannelItem> shown;
    for (const ChannelItem &c : std::as_const(m_followedAll))
        if (!above.contains(c.id))
            shown.append(c);
    const bool hadFocus = m_followed->hasFocus();
    const QString current = m_followed->currentIndex().isValid()
                                ? m_followedModel.at(m_followed->currentIndex().row()).id
                                : QString();
    m_followedModel.setChannels(shown);
    for (int row = 0; hadFocus && row < shown.size(); ++row)
        if (shown.at(row).id == current)
            m_followed->setCurrentIndex(m_followedModel.index(row));
}

void PickerPage::preselect() {
    if (m_lastWatched.isEmpty())
        return;
    // Someone already moving through the lists keeps their place.
    for (QListView *view : {m_results, m_own, m_moderated, m_followed})
        if (view->hasFocus())
            return;
    for (QListView *view : {m_own, m_moderated, m_followed}) {
        const auto *model = static_cast<ChannelListModel *>(view->model());
        for (int row = 0; row < model->rowCount(); ++row)
            if (model->at(row).id == m_lastWatched) {
                if (m_preselected && m_preselected != view) {
                    m_preselected->clearSelection();
                    m_preselected->setCurrentIndex({});
                }
                m_preselected = view;
                view->setCurrentIndex(model->index(row));
                return;
            }
    }
}

QList<QListView *> PickerPage::sequence() const {
    QList<QListView *> views;
    for (QListView *view : {m_results, m_own, m_moderated, m_followed})
        if (!view->isHidden() && view->model()->rowCount() > 0)
            views.append(view);
    return views;
}

void PickerPage::moveTo(QListView *from, QListView *to, bool first) {
    if (from && from != to) { // one current row on the page, in the list that has the focus
        from->clearSelection();
        from->setCurrentIndex({});
    }
    to->setFocus();
    to->setCurrentIndex(to->model()->index(first ? 0 : to->model()->rowCount() - 1, 0));
    if (to != m_results)
        m_preselected = to;
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
    const QList<QListView *> views = sequence();
    if (watched == m_search && key == Qt::Key_Down) {
        if (views.isEmpty())
            return true;
        QListView *target = views.first();
        if (target != m_results && m_preselected && views.contains(m_preselected) &&
            m_preselected->currentIndex().isValid()) {
            m_preselected->setFocus(); // the channel watched last (or where the user left off)
            return true;
        }
        if (target->currentIndex().isValid())
            target->setFocus();
        else
            moveTo(nullptr, target, true);
        return true;
    }
    if (watched == m_search && key == Qt::Key_Escape && m_back->isVisible()) {
        Q_EMIT back();
        return true;
    }
    auto *view = qobject_cast<QListView *>(watched);
    if (!view)
        return QWidget::eventFilter(watched, event);
    if (key == Qt::Key_Return || key == Qt::Key_Enter) {
        choose(view, view->currentIndex());
        return true;
    }
    const qsizetype at = views.indexOf(view);
    if (key == Qt::Key_Up && view->currentIndex().row() <= 0) {
        if (at > 0)
            moveTo(view, views.at(at - 1), false);
        else
            m_search->setFocus(); // the row stays current: Down comes back to it
        return true;
    }
    if (key == Qt::Key_Down && view->currentIndex().row() == view->model()->rowCount() - 1) {
        if (at >= 0 && at + 1 < views.size())
            moveTo(view, views.at(at + 1), true);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace streams::ui
