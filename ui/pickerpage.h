#pragma once

// Choosing the favorite streamer: search as you type (debounced), results with avatar, live badge, title
// and category; below, the channels the user follows, live ones first. Arrows and Enter work throughout.

#include "channellist.h"

#include <QTimer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QListView;
class QPushButton;

namespace streams::app {
class HelixClient;
}

namespace streams::ui {

class AvatarCache;

class PickerPage : public QWidget {
    Q_OBJECT
public:
    PickerPage(app::HelixClient &helix, AvatarCache &avatars, QWidget *parent = nullptr);
    // Loads the channels this user follows (again).
    void setUser(const QString &userId);
    void focusSearch();
    // Whether "Back" is offered (a stream page is open behind).
    void setCanGoBack(bool can);

    QLineEdit *searchField() const { return m_search; }
    QListView *resultsView() const { return m_results; }
    QListView *followedView() const { return m_followed; }

Q_SIGNALS:
    void chosen(const streams::ui::ChannelItem &channel);
    void back();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void search();
    void choose(QListView *view, const QModelIndex &index);
    void showResults(const QString &query, QList<ChannelItem> items, const QString &error);

    app::HelixClient &m_helix;
    QLineEdit *m_search;
    QLabel *m_searchStatus;
    QListView *m_results;
    ChannelListModel m_resultsModel;
    QLabel *m_followedStatus;
    QListView *m_followed;
    ChannelListModel m_followedModel;
    QPushButton *m_back;
    QTimer m_debounce;
    int m_searchGeneration = 0;
    int m_followedGeneration = 0;
};

} // namespace streams::ui
