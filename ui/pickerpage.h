#pragma once

// Choosing the favorite streamer: search as you type (debounced), results with avatar, live badge, title
// and category; below, in this order, the user's own channel, the channels they moderate and the ones they
// follow (live ones first in each; a channel shows in its first section only). Arrows move across every
// list and the search field, Enter opens; the channel watched last is preselected.

#include "channellist.h"

#include <QTimer>
#include <QWidget>

#include <functional>

class QLabel;
class QLineEdit;
class QListView;
class QPushButton;

namespace streams::app {
class HelixClient;
struct Account;
} // namespace streams::app

namespace streams::ui {

class AvatarCache;

class PickerPage : public QWidget {
    Q_OBJECT
public:
    PickerPage(app::HelixClient &helix, AvatarCache &avatars, QWidget *parent = nullptr);
    // Loads the user's own channel, the channels they moderate and the ones they follow (again).
    void setUser(const app::Account &account);
    // The channel watched last: its row is current in its list, Down from the search goes to it, and
    // Enter in an empty search opens it.
    void setLastWatched(const QString &channelId);
    void focusSearch();
    // Whether "Back" is offered (a stream page is open behind).
    void setCanGoBack(bool can);

    QLineEdit *searchField() const { return m_search; }
    QListView *resultsView() const { return m_results; }
    QListView *ownView() const { return m_own; }
    QListView *moderatedView() const { return m_moderated; }
    QListView *followedView() const { return m_followed; }
    // What the moderated section says instead of (or while loading) its list; empty when it shows one.
    QString moderatedStatus() const;
    // The list with the page's current row: the last-watched channel's until the user moves, or nullptr.
    QListView *preselectedView() const { return m_preselected; }

Q_SIGNALS:
    void chosen(const streams::ui::ChannelItem &channel);
    void back();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void search();
    void choose(QListView *view, const QModelIndex &index);
    void showResults(const QString &query, QList<ChannelItem> items, const QString &error);
    void loadOwn(const app::Account &account, int generation);
    void loadModerated(const app::Account &account, int generation);
    void loadFollowed(const QString &userId, int generation);
    // Avatars (Get Users) and live state (Get Streams) for `items`, 100 ids a call; `done` gets them back
    // described, unless another user was set meanwhile.
    void describe(QList<ChannelItem> items, int generation, std::function<void(QList<ChannelItem>)> done);
    void showFollowed(); // what is not already listed above
    void fitHeight(QListView *view, int maxRows);
    void preselect();
    // The lists a user moves through with the arrows, top to bottom: those that show rows.
    QList<QListView *> sequence() const;
    void moveTo(QListView *from, QListView *to, bool first);

    app::HelixClient &m_helix;
    QLineEdit *m_search;
    QLabel *m_searchStatus;
    QListView *m_results;
    ChannelListModel m_resultsModel;
    QListView *m_own;
    ChannelListModel m_ownModel;
    QLabel *m_moderatedTitle;
    QLabel *m_moderatedStatus;
    QListView *m_moderated;
    ChannelListModel m_moderatedModel;
    QLabel *m_followedStatus;
    QListView *m_followed;
    ChannelListModel m_followedModel;
    QList<ChannelItem> m_followedAll; // as Twitch listed them, before those shown above are left out
    QPushButton *m_back;
    QTimer m_debounce;
    QString m_lastWatched;
    QListView *m_preselected = nullptr;
    int m_searchGeneration = 0;
    int m_userGeneration = 0;
};

} // namespace streams::ui
