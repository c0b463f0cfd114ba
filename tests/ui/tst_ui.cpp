// The desktop app's screens, offscreen with real widgets, the real Qt WebEngine, and twitch-sim and the
// relay as real processes: login in the embedded browser (authorize, cancel, device code), the picker, the
// stream page and its feed, the status bar across a relay restart, notifications, settings, the player.

#include "avatarcache.h"
#include "feedpanel.h"
#include "forwarder.h"
#include "logindialog.h"
#include "mainwindow.h"
#include "notifier.h"
#include "pickerpage.h"
#include "playerview.h"
#include "relayharness.h"
#include "services/services.h"
#include "settingsdialog.h"
#include "sourcebanner.h"
#include "store/localstore.h"
#include "store/settings.h"
#include "streampage.h"
#include "theme.h"
#include "twitch/tokenstore.h"
#include "uiapp.h"
#include "welcomepage.h"

#include <QApplication>
#include <QDir>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QScrollBar>
#include <QStyle>
#include <QTcpServer>
#include <QToolButton>
#include <QTranslator>
#include <QUrlQuery>
#include <QWebEnginePage>
#include <QWebEngineView>

using namespace streams;
using namespace streams::test;

namespace {

QVariant runJs(QWebEnginePage *page, const QString &script) {
    // Shared with the callback: an answer that comes after the timeout must not write into a dead frame.
    auto result = std::make_shared<std::optional<QVariant>>();
    page->runJavaScript(script, [result](const QVariant &v) { *result = v; });
    if (!QTest::qWaitFor([&] { return result->has_value(); }, 10000))
        qWarning("no answer from the page to: %s", qPrintable(script));
    return result->value_or(QVariant());
}

bool waitForJs(QWebEnginePage *page, const QString &condition, int timeoutMs = 15000) {
    return QTest::qWaitFor([&] { return runJs(page, condition).toBool(); }, timeoutMs);
}

} // namespace

class TestUi : public QObject, public UiHarness {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(startServers()); }
    void cleanupTestCase() { stopServers(); }
    void browserLoginAuthorizes();
    void browserLoginCancelShowsTheDenial();
    void deviceCodeLogin();
    void pickerSearchAndKeyboard();
    void pickerSectionsKeyboardAndLastWatched();
    void streamPageShowsStoredFollowsAtOnceThenLiveOnes();
    void newEventsPillWhenScrolledAway();
    void olderEventsKeepTheReadRowInPlace();
    void chipsFitTheirPanel();
    void followsNotAllowedEmptyState();
    void statusBarAcrossRelayRestart();
    void notificationsOnlyForNewEvents();
    void settingsRefuseSomethingThatIsNotARelay();
    void playerLiveAndOffline();
    void englishPluralForms();
    void logoutRevokesAndForgets();
    void logoutLeavesNothingOfTheAccountBehind();
    void pagesGoneBeforeHelixAnswers();
    void loginPageUnreachableSaysSo();
    void darkAndLightThemes();
    void unreachableRelayIsRetriedByItself();
    void welcomeWithoutRelay();
    void broadcasterWithoutRelayGetsEventSub();
    void olderLoginIsOfferedTheEventSubScopes();

private:
    // An app with no relay whose keychain holds a login of lumenwave (the broadcaster, 1001) with `scopes`,
    // her own channel chosen: on its stream page.
    std::unique_ptr<App> broadcasterWithoutRelay(const QString &scopes);
};

void TestUi::browserLoginAuthorizes() {
    App a(m_sim->url(), m_relay->url());
    QTRY_VERIFY_WITH_TIMEOUT(a.window->welcomePage()->loginButton()->isEnabled(), 10000);
    QCOMPARE(a.window->page(), ui::MainWindow::Page::Welcome);
    shot(a.window.get(), "welcome");
    QTest::mouseClick(a.window->welcomePage()->loginButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(a.window->loginDialog() != nullptr, 5000);
    QWebEnginePage *page = a.window->loginDialog()->browser()->page();
    QVERIFY(waitForJs(page, "document.getElementById('authorize') !== null"));
    QVERIFY(page->url().toString().contains("/oauth2/authorize"));
    QVERIFY(page->url().toString().contains("response_type=token"));
    shot(a.window->loginDialog(), "login-dialog");
    runJs(page, "document.getElementById('login').value = 'lumenwave'; "
                "document.getElementById('authorize').click();");
    // The redirect to http://localhost:17563 is intercepted: nothing listens there, and the app logs in.
    QTRY_COMPARE_WITH_TIMEOUT(a.window->page(), ui::MainWindow::Page::Picker, 15000);
    QCOMPARE(a.window->accountStatus(), QStringLiteral("Logged in as lumenwave"));
    shot(a.window.get(), "picker");
    QVERIFY(a.window->loginDialog() == nullptr); // closed
    QString kept;
    a.tokens.load(this, [&](const QString &t) { kept = t; });
    QVERIFY(!kept.isEmpty());
    QCOMPARE(a.window->services()->auth.token(), kept);
}

void TestUi::browserLoginCancelShowsTheDenial() {
    App a(m_sim->url(), m_relay->url());
    QTRY_VERIFY_WITH_TIMEOUT(a.window->welcomePage()->loginButton()->isEnabled(), 10000);
    a.window->login();
    QVERIFY(a.window->loginDialog());
    QWebEnginePage *page = a.window->loginDialog()->browser()->page();
    QVERIFY(waitForJs(page, "document.getElementById('cancel') !== null"));
    runJs(page, "document.getElementById('cancel').click();");
    QTRY_VERIFY_WITH_TIMEOUT(a.window->loginDialog()->showingError(), 15000);
    QVERIFY2(a.window->loginDialog()->errorText().contains("declined"),
             qPrintable(a.window->loginDialog()->errorText()));
    shot(a.window->loginDialog(), "login-denied");
    QCOMPARE(a.window->page(), ui::MainWindow::Page::Welcome);
    // Try again, clicked: the consent page once more, with a new state.
    QPushButton *retry = nullptr;
    for (QPushButton *button : a.window->loginDialog()->findChildren<QPushButton *>())
        if (button->text() == QStringLiteral("&Try again"))
            retry = button;
    QVERIFY(retry);
    QVERIFY(retry->isVisible());
    const QUrl denied = page->url();
    QTest::mouseClick(retry, Qt::LeftButton);
    QVERIFY(!a.window->loginDialog()->showingError());
    QTRY_VERIFY_WITH_TIMEOUT(page->url() != denied && page->url().toString().contains("response_type=token"),
                             15000);
    QVERIFY(waitForJs(page, "document.getElementById('authorize') !== null"));
    a.window->loginDialog()->reject();
}

void TestUi::deviceCodeLogin() {
    App a(m_sim->url(), m_relay->url());
    QTRY_VERIFY_WITH_TIMEOUT(a.window->welcomePage()->loginButton()->isEnabled(), 10000);
    a.window->loginWithCode();
    QVERIFY(a.window->loginDialog());
    QTRY_VERIFY_WITH_TIMEOUT(a.window->loginDialog()->showingDeviceCode(), 10000);
    const QString code = a.window->loginDialog()->deviceCode();
    shot(a.window->loginDialog(), "login-device-code");
    QCOMPARE(code.size(), 8);
    QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/activate")),
                      "device-code=" + code.toUtf8() + "&login=ironquill&decision=authorize",
                      {{"Content-Type", "application/x-www-form-urlencoded"}})
                 .status,
             200);
    // The sim's polling interval is Twitch's 5 s.
    QTRY_COMPARE_WITH_TIMEOUT(a.window->page(), ui::MainWindow::Page::Picker, 20000);
    QCOMPARE(a.window->accountStatus(), QStringLiteral("Logged in as ironquill"));
    QString kept;
    a.tokens.load(this, [&](const QString &t) { kept = t; });
    QVERIFY(!app::decodeLogin(kept).refreshToken.isEmpty()); // the refresh token is kept too
}

void TestUi::pickerSearchAndKeyboard() {
    auto a = loggedIn(kViewer);
    ui::PickerPage *picker = a->window->pickerPage();
    // The channels ironquill follows are listed, live ones first.
    QTRY_VERIFY_WITH_TIMEOUT(picker->followedView()->model()->rowCount() > 0, 10000);
    QVERIFY(picker->followedView()->model()->index(0, 0).data(ui::ChannelListModel::LiveRole).toBool());
    QVERIFY(picker->searchField()->hasFocus() || QApplication::focusWidget() == picker->searchField() ||
            !a->window->isActiveWindow());
    picker->searchField()->setFocus();
    QTest::keyClicks(picker->searchField(), "quartz");
    QTRY_COMPARE_WITH_TIMEOUT(picker->resultsView()->model()->rowCount(), 1, 10000);
    shot(a->window.get(), "picker-search");
    QCOMPARE(picker->resultsView()->model()->index(0, 0).data(ui::ChannelListModel::LoginRole).toString(),
             QStringLiteral("quartzfox"));
    QTest::keyClick(picker->searchField(), Qt::Key_Down);
    QCOMPARE(QApplication::focusWidget(), picker->resultsView());
    QTest::keyClick(picker->resultsView(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(a->window->page(), ui::MainWindow::Page::Stream, 5000);
    QCOMPARE(a->window->streamPage()->channel().login, QStringLiteral("quartzfox"));
    QCOMPARE(a->settings->favoriteStreamer().login, QStringLiteral("quartzfox"));
    // Change streamer is one shortcut away, and Escape comes back.
    a->window->changeStreamer();
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Picker);
    QTest::keyClick(picker->searchField(), Qt::Key_Escape);
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Stream);
}

void TestUi::pickerSectionsKeyboardAndLastWatched() {
    // lumenwave: her own channel, moderator of nightjarfm, follows ironquill, nightjarfm and aurorahex.
    auto a = loggedIn(kBroadcaster);
    ui::PickerPage *picker = a->window->pickerPage();
    auto logins = [](QListView *view) {
        QStringList out;
        for (int row = 0; row < view->model()->rowCount(); ++row)
            out.append(view->model()->index(row, 0).data(ui::ChannelListModel::LoginRole).toString());
        return out;
    };
    auto current = [](QListView *view) {
        return view->currentIndex().data(ui::ChannelListModel::LoginRole).toString();
    };
    QCOMPARE(logins(picker->ownView()), QStringList{"lumenwave"}); // at once, from the login
    QTRY_VERIFY_WITH_TIMEOUT(
        picker->ownView()->model()->index(0, 0).data(ui::ChannelListModel::LiveRole).toBool(), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(picker->ownView()->model()->index(0, 0).data().toString(),
                              QStringLiteral("LumenWave"), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(logins(picker->moderatedView()), QStringList{"nightjarfm"}, 10000);
    // nightjarfm is listed once, in the first section that has it; live ones first, then by name.
    QTRY_COMPARE_WITH_TIMEOUT(logins(picker->followedView()), (QStringList{"aurorahex", "ironquill"}), 10000);
    QVERIFY(picker->moderatedStatus().isEmpty());
    QVERIFY(picker->ownView()->isVisible() && picker->moderatedView()->isVisible());
    QVERIFY(picker->ownView()->y() < picker->moderatedView()->y());
    QVERIFY(picker->moderatedView()->y() < picker->followedView()->y());
    shot(a->window.get(), "picker-sections");

    // Nothing watched yet: the arrows walk the sections top to bottom and back to the search field.
    QVERIFY(picker->preselectedView() == nullptr);
    picker->searchField()->setFocus();
    QTest::keyClick(picker->searchField(), Qt::Key_Down);
    QCOMPARE(QApplication::focusWidget(), picker->ownView());
    QCOMPARE(current(picker->ownView()), QStringLiteral("lumenwave"));
    QTest::keyClick(picker->ownView(), Qt::Key_Down);
    QCOMPARE(QApplication::focusWidget(), picker->moderatedView());
    QCOMPARE(current(picker->moderatedView()), QStringLiteral("nightjarfm"));
    QTest::keyClick(picker->moderatedView(), Qt::Key_Down);
    QCOMPARE(QApplication::focusWidget(), picker->followedView());
    QCOMPARE(current(picker->followedView()), QStringLiteral("aurorahex"));
    QVERIFY(!picker->moderatedView()->currentIndex().isValid()); // one current row on the page
    QTest::keyClick(picker->followedView(), Qt::Key_Down);
    QCOMPARE(current(picker->followedView()), QStringLiteral("ironquill"));
    QTest::keyClick(picker->followedView(), Qt::Key_Down); // the last row stays
    QCOMPARE(QApplication::focusWidget(), picker->followedView());
    QCOMPARE(current(picker->followedView()), QStringLiteral("ironquill"));
    QTest::keyClick(picker->followedView(), Qt::Key_Up);
    QTest::keyClick(picker->followedView(), Qt::Key_Up);
    QCOMPARE(QApplication::focusWidget(), picker->moderatedView());
    QTest::keyClick(picker->moderatedView(), Qt::Key_Up);
    QCOMPARE(QApplication::focusWidget(), picker->ownView());
    QTest::keyClick(picker->ownView(), Qt::Key_Up);
    QCOMPARE(QApplication::focusWidget(), picker->searchField());
    QTest::keyClick(picker->searchField(), Qt::Key_Down); // back where the user left off
    QTest::keyClick(picker->ownView(), Qt::Key_Down);
    QCOMPARE(current(picker->moderatedView()), QStringLiteral("nightjarfm"));
    QTest::keyClick(picker->moderatedView(), Qt::Key_Down);
    QTest::keyClick(picker->followedView(), Qt::Key_Down);
    QTest::keyClick(picker->followedView(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(a->window->page(), ui::MainWindow::Page::Stream, 5000);
    QCOMPARE(a->window->streamPage()->channel().login, QStringLiteral("ironquill"));

    // Back in the picker, the channel watched last is preselected: Down goes to it, Enter in the empty
    // search field opens it.
    a->window->changeStreamer();
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Picker);
    QTRY_COMPARE_WITH_TIMEOUT(picker->preselectedView(), picker->followedView(), 10000);
    QCOMPARE(current(picker->followedView()), QStringLiteral("ironquill"));
    QCOMPARE(QApplication::focusWidget(), picker->searchField());
    QTest::keyClick(picker->searchField(), Qt::Key_Down);
    QCOMPARE(QApplication::focusWidget(), picker->followedView());
    QCOMPARE(current(picker->followedView()), QStringLiteral("ironquill"));
    QTest::keyClick(picker->followedView(), Qt::Key_Up);
    QTest::keyClick(picker->followedView(), Qt::Key_Up);
    QCOMPARE(current(picker->moderatedView()), QStringLiteral("nightjarfm"));
    picker->searchField()->setFocus();
    QTest::keyClick(picker->searchField(), Qt::Key_Return); // where the user left the current row
    QTRY_COMPARE_WITH_TIMEOUT(a->window->streamPage()->channel().login, QStringLiteral("nightjarfm"), 5000);
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Stream);

    // A login from before the app asked for the moderated channels: the section says what to do.
    picker->setUser(app::Account{kBroadcaster, "lumenwave", {"user:read:follows"}});
    QVERIFY(picker->moderatedStatus().contains("Log in again"));
    QCOMPARE(picker->moderatedView()->model()->rowCount(), 0);
}

void TestUi::streamPageShowsStoredFollowsAtOnceThenLiveOnes() {
    const QDateTime base = QDateTime::currentDateTimeUtc().addDays(-3);
    auto a = loggedIn(kBroadcaster, kBroadcaster, [&](App &app) {
        QList<app::FeedEvent> earlier;
        for (int i = 0; i < 12; ++i)
            earlier.append(follow(kBroadcaster, i, base.addSecs(i)));
        app.store->insert(earlier);
    });
    ui::FeedPanel *feed = a->window->streamPage()->feed();
    // At once, from the store: the newest stored follow on top, at least ten follows.
    QVERIFY(feed->view()->model()->rowCount() >= 10);
    QCOMPARE(feed->view()->model()->index(0, 0).data(app::FeedModel::UserLoginRole).toString(),
             QStringLiteral("earlier_fan_11"));
    QTRY_COMPARE_WITH_TIMEOUT(a->window->services()->relay.state(), app::RelayClient::State::Connected,
                              10000);
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1009"}});
    QTRY_COMPARE_WITH_TIMEOUT(
        feed->view()->model()->index(0, 0).data(app::FeedModel::UserLoginRole).toString(),
        QStringLiteral("pebbleknight"), 10000);
    QCOMPARE(feed->view()->model()->index(0, 0).data(app::FeedModel::KindRole).toString(),
             QStringLiteral("follow"));
    QVERIFY(feed->chip("follow")->toolTip().startsWith("Follows "));
    // A chat event arrives in the same list; the cheer chip filters to it.
    httpPost(m_sim->url().resolved(QUrl("/sim/chat")),
             QJsonDocument(QJsonObject{{"type", "cheer"},
                                       {"broadcaster_user_id", kBroadcaster},
                                       {"user_id", "1006"},
                                       {"amount", 250}})
                 .toJson());
    QTRY_COMPARE_WITH_TIMEOUT(feed->view()->model()->index(0, 0).data(app::FeedModel::KindRole).toString(),
                              QStringLiteral("cheer"), 10000);
    QCOMPARE(feed->view()->model()->index(0, 0).data(app::FeedModel::ActionRole).toString(),
             QStringLiteral("cheered 250 bits"));
    shot(a->window.get(), "stream-page");
    feed->chip("cheer")->click();
    QCOMPARE(feed->view()->model()->rowCount(), 1);
    QCOMPARE(feed->chip("cheer")->toolTip(), QStringLiteral("Cheers 1"));
    feed->chip("cheer")->click();
    QVERIFY(feed->view()->model()->rowCount() > 10);
}

void TestUi::newEventsPillWhenScrolledAway() {
    const QDateTime base = QDateTime::currentDateTimeUtc().addDays(-2);
    auto a = loggedIn(kBroadcaster, kBroadcaster, [&](App &app) {
        QList<app::FeedEvent> earlier;
        for (int i = 0; i < 150; ++i)
            earlier.append(follow(kBroadcaster, 100 + i, base.addSecs(i)));
        app.store->insert(earlier);
    });
    ui::FeedPanel *feed = a->window->streamPage()->feed();
    QTRY_COMPARE_WITH_TIMEOUT(a->window->services()->relay.state(), app::RelayClient::State::Connected,
                              10000);
    // The stream page also asks Helix for the latest followers: wait until they are in, or they would
    // count as new on the pill (a slow answer under load once made this test see something else).
    const HttpResult followers = httpGet(
        m_sim->url().resolved(
            QUrl(QStringLiteral("/helix/channels/followers?first=10&broadcaster_id=") + kBroadcaster)),
        {{"Client-Id", kClientId.toUtf8()}, {"Authorization", "Bearer " + userToken(kBroadcaster).toUtf8()}});
    const qsizetype fromHelix =
        QJsonDocument::fromJson(followers.body).object().value("data").toArray().size();
    QVERIFY(fromHelix > 0);
    QTRY_COMPARE_WITH_TIMEOUT(feed->view()->model()->rowCount(), 150 + fromHelix, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(feed->view()->verticalScrollBar()->maximum() > 0, 5000);
    feed->view()->verticalScrollBar()->setValue(feed->view()->verticalScrollBar()->maximum() / 2);
    const QModelIndex reading = feed->view()->indexAt(QPoint(10, 10));
    const QString readingKey = reading.data(app::FeedModel::KeyRole).toString();
    QVERIFY(!readingKey.isEmpty());
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1010"}});
    QTRY_VERIFY_WITH_TIMEOUT(feed->pillVisible(), 10000);
    QCOMPARE(feed->newCount(), 1);
    shot(a->window.get(), "new-pill");
    // The row being read stays where it was.
    QTRY_COMPARE_WITH_TIMEOUT(feed->view()->indexAt(QPoint(10, 10)).data(app::FeedModel::KeyRole).toString(),
                              readingKey, 3000);
    feed->scrollToNewest();
    QVERIFY(!feed->pillVisible());
    QCOMPARE(feed->view()->verticalScrollBar()->value(), 0);
    QCOMPARE(feed->view()->model()->index(0, 0).data(app::FeedModel::UserLoginRole).toString(),
             QStringLiteral("aurorahex"));
}

void TestUi::olderEventsKeepTheReadRowInPlace() {
    const QDateTime base = QDateTime::currentDateTimeUtc().addDays(-2);
    app::FeedModel model;
    QList<app::FeedEvent> shown;
    for (int i = 0; i < 100; ++i)
        shown.append(follow(kBroadcaster, 1000 + 10 * i, base.addSecs(10 * i)));
    model.setEvents(shown);
    ui::FeedPanel panel(model);
    panel.resize(420, 600);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QScrollBar *bar = panel.view()->verticalScrollBar();
    QTRY_VERIFY(bar->maximum() > 0);
    bar->setValue(bar->maximum() / 2);
    const auto readingKey = [&] {
        return panel.view()->indexAt(QPoint(10, 10)).data(app::FeedModel::KeyRole);
    };
    const QString reading = readingKey().toString();
    QVERIFY(!reading.isEmpty());

    // A backfill: a few follows older than the newest row, some above the row being read, and one new one.
    QList<app::FeedEvent> backfill;
    for (int i = 0; i < 5; ++i)
        backfill.append(
            follow(kBroadcaster, 1000 + 10 * (95 - 10 * i) + 5, base.addSecs(10 * (95 - 10 * i) + 5)));
    backfill.append(follow(kBroadcaster, 9999, base.addSecs(5000)));
    model.add(backfill);
    QTRY_COMPARE(model.rowCount(), 106);
    QTRY_COMPARE(readingKey().toString(), reading);
    QVERIFY(panel.pillVisible());
    QCOMPARE(panel.newCount(), 1); // only the newest is "new"; the older ones just took their places

    // A big replay of older events resets the model: the row being read is still the one on top.
    QList<app::FeedEvent> replay;
    for (int i = 0; i < 300; ++i)
        replay.append(follow(kBroadcaster, 20000 + i, base.addSecs(3 * i + 1)));
    model.add(replay);
    QTRY_COMPARE(model.rowCount(), 406);
    QTRY_COMPARE(readingKey().toString(), reading);
    QVERIFY(bar->value() > 0);
}

void TestUi::chipsFitTheirPanel() {
    app::FeedModel model;
    QList<app::FeedEvent> events;
    for (int i = 0; i < 12; ++i)
        events.append(follow(kBroadcaster, i, QDateTime::currentDateTimeUtc().addSecs(-60 * i)));
    model.setEvents(events);
    ui::FeedPanel panel(model);
    panel.resize(1000, 500);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    const QStringList groups{"follow", "cheer", "sub", "gift", "raid", "live"};
    // Nothing is cut short, whatever the width: each chip gets at least the room its label asks for.
    auto noneElided = [&] {
        for (const QString &g : groups)
            if (panel.chip(g)->width() < panel.chip(g)->sizeHint().width())
                return false;
        return true;
    };
    // Wide: the whole label.
    QTRY_VERIFY(!panel.compactChips());
    QCOMPARE(panel.chip("follow")->text(), QStringLiteral("Follows 12"));
    QTRY_VERIFY(noneElided());
    // Narrow (the feed beside the player): icon and count, the name in the tooltip.
    panel.resize(380, 500);
    QTRY_VERIFY2(panel.compactChips(), qPrintable(QString::number(panel.width())));
    QCOMPARE(panel.chip("follow")->text(), QStringLiteral("12"));
    QCOMPARE(panel.chip("follow")->toolTip(), QStringLiteral("Follows 12"));
    QCOMPARE(panel.chip("cheer")->text(), QStringLiteral("0"));
    QTRY_VERIFY(noneElided());
    shot(&panel, "chips-narrow");
    // Counts keep up in either form.
    model.add({follow(kBroadcaster, 99, QDateTime::currentDateTimeUtc())});
    QTRY_COMPARE(panel.chip("follow")->text(), QStringLiteral("13"));
    panel.resize(1000, 500);
    QTRY_COMPARE(panel.chip("follow")->text(), QStringLiteral("Follows 13"));
}

void TestUi::followsNotAllowedEmptyState() {
    auto a = loggedIn(kViewer, kBroadcaster); // ironquill watches lumenwave: not a moderator
    ui::FeedPanel *feed = a->window->streamPage()->feed();
    QTRY_VERIFY_WITH_TIMEOUT(feed->emptyText().contains("only to the broadcaster and moderators"), 10000);
    QVERIFY(feed->emptyVisible());
    QVERIFY(feed->emptyText().contains("cheers, subs"));
    shot(a->window.get(), "follows-not-allowed");
}

void TestUi::statusBarAcrossRelayRestart() {
    auto a = loggedIn(kBroadcaster, kBroadcaster);
    QTRY_COMPARE_WITH_TIMEOUT(a->window->relayStatus(), QStringLiteral("Connected to the relay"), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(a->window->chatStatus(), QStringLiteral("Chat: #lumenwave"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(a->window->liveStatus().startsWith("● Live"), 10000);
    QCOMPARE(a->window->accountStatus(), QStringLiteral("Logged in as lumenwave"));
    const quint16 port = quint16(m_relay->url().port());
    m_relay->kill();
    QTRY_VERIFY_WITH_TIMEOUT(a->window->relayStatus().startsWith("Reconnecting in"), 10000);
    QVERIFY(startRelay(port));
    QTRY_COMPARE_WITH_TIMEOUT(a->window->relayStatus(), QStringLiteral("Connected to the relay"), 70000);
}

void TestUi::notificationsOnlyForNewEvents() {
    auto a = loggedIn(kBroadcaster, kBroadcaster, [&](App &app) {
        app.store->insert({follow(kBroadcaster, 900, QDateTime::currentDateTimeUtc().addDays(-1))});
    });
    QSignalSpy notified(a->window->notifier(), &ui::Notifier::notified);
    const app::FeedModel &model = a->window->services()->model;
    auto shownFrom = [&](const QString &source) {
        for (int row = 0; row < model.rowCount(); ++row)
            if (model.at(row).source == source)
                return true;
        return false;
    };
    // The history: the store's follow at once, Helix's followers in one answer. Neither is news. A
    // notification for it could still be in the 400 ms batch: the next one would then not be the live
    // follow alone.
    QVERIFY(shownFrom(QStringLiteral("relay"))); // the stored follow
    QTRY_VERIFY_WITH_TIMEOUT(shownFrom(QStringLiteral("helix")), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(a->window->services()->relay.state(), app::RelayClient::State::Connected,
                              10000);
    QVERIFY(waitForEnabled(QStringLiteral("channel.follow"), kBroadcaster, kBroadcaster));
    QCOMPARE(notified.count(), 0);
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1005"}});
    QVERIFY(notified.wait(10000));
    QCOMPARE(notified.count(), 1);
    QCOMPARE(notified.at(0).at(0).toString(), QStringLiteral("New event"));
    QCOMPARE(notified.at(0).at(1).toString(), QStringLiteral("Tidepool_TV followed"));
    a->window->notifier()->setDoNotDisturb(true);
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1008"}});
    QTRY_VERIFY_WITH_TIMEOUT(a->window->streamPage()->feed()->view()->model()->index(0, 0).data(
                                 app::FeedModel::UserLoginRole) == QStringLiteral("saltcircuit"),
                             10000);
    // A sentinel follow once "do not disturb" is off again: its notification must be the next one, alone.
    // Had saltcircuit's been collected, it would come first, or with it in one "2 new events".
    a->window->notifier()->setDoNotDisturb(false);
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1010"}});
    QVERIFY(notified.wait(10000));
    QCOMPARE(notified.count(), 2);
    QCOMPARE(notified.at(1).at(0).toString(), QStringLiteral("New event"));
    QCOMPARE(notified.at(1).at(1).toString(), QStringLiteral("AuroraHex followed"));
}

void TestUi::settingsRefuseSomethingThatIsNotARelay() {
    auto a = loggedIn(kBroadcaster, kBroadcaster);
    a->window->openSettings();
    ui::SettingsDialog *dialog = a->window->settingsDialog();
    QVERIFY(dialog);
    const QUrl before = a->settings->relayUrl();
    dialog->relayField()->setText(m_sim->url().toString()); // answers HTTP, but is no relay
    dialog->accept();
    QTRY_VERIFY_WITH_TIMEOUT(dialog->relayStatus().startsWith("Not saved:"), 10000);
    QVERIFY(dialog->isVisible());
    QCOMPARE(a->settings->relayUrl(), before);
    dialog->relayField()->setText("http://127.0.0.1:9");
    dialog->accept();
    QTRY_VERIFY_WITH_TIMEOUT(dialog->relayStatus().contains("cannot be reached"), 10000);
    dialog->relayField()->setText(before.toString());
    dialog->accept();
    QTRY_VERIFY_WITH_TIMEOUT(a->window->settingsDialog() == nullptr, 5000);
}

void TestUi::playerLiveAndOffline() {
    auto a = loggedIn(kViewer, kBroadcaster); // lumenwave is live in the sim's world
    ui::PlayerView *player = a->window->streamPage()->player();
    QTRY_COMPARE_WITH_TIMEOUT(player->mode(), ui::PlayerView::Mode::Player, 10000);
    // Shared, not a reference to a local: answers to earlier queries may still arrive after this function
    // has moved on (or returned on a failure).
    auto state = std::make_shared<QString>();
    QTRY_VERIFY_WITH_TIMEOUT((player->queryPlayerState([state](const QString &s) { *state = s; }),
                              *state == "playing" || *state == "no-h264"),
                             20000);
    // The embed got parent=localhost, and the wrapper's document lives under https://localhost/ — asked
    // of the document itself: QWebEnginePage::url() of setHtml() content is sometimes empty on Qt 6.8.
    QVERIFY(waitForJs(player->browser()->page(), "location.origin === 'https://localhost'"));
    QVERIFY(runJs(player->browser()->page(), "document.getElementById('player').src")
                .toString()
                .contains("parent=localhost"));
    QVERIFY(player->browserUrl().toString().contains("channel=lumenwave"));
    // An offline channel: the page says so and offers the browser.
    ui::ChannelItem offline;
    offline.id = "1003";
    offline.login = "mossbyte";
    offline.displayName = "MossByte";
    offline.live = true; // stale: Helix's answer corrects it
    a->window->openStream(offline);
    QTRY_COMPARE_WITH_TIMEOUT(player->mode(), ui::PlayerView::Mode::Offline, 10000);
    QVERIFY(player->message().contains("MossByte is offline"));
    QTRY_COMPARE_WITH_TIMEOUT(a->window->liveStatus(), QStringLiteral("Offline"), 5000);
    shot(a->window.get(), "offline");
}

void TestUi::logoutRevokesAndForgets() {
    auto a = loggedIn(kBroadcaster, kBroadcaster);
    QTRY_COMPARE_WITH_TIMEOUT(a->window->services()->relay.state(), app::RelayClient::State::Connected,
                              10000);
    QTRY_VERIFY_WITH_TIMEOUT(!a->store->recent(kBroadcaster, 10).isEmpty(), 10000); // Helix's followers
    const QString token = a->window->services()->auth.token();
    a->window->logout();
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Welcome);
    QVERIFY(a->window->welcomePage()->notice().contains("logged out"));
    QCOMPARE(a->window->accountStatus(), QString());
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(m_sim->url().resolved(QUrl("/oauth2/validate")),
                                      {{"Authorization", "OAuth " + token.toUtf8()}})
                                  .status,
                              401, 5000);
    QString kept = "x";
    a->tokens.load(this, [&](const QString &t) { kept = t; });
    QVERIFY(kept.isEmpty());
    QVERIFY(a->settings->favoriteStreamer().isEmpty());
    QVERIFY(a->store->recent(kBroadcaster, 10).isEmpty());
    QCOMPARE(a->window->services()->relay.state(), app::RelayClient::State::Stopped);
}

void TestUi::logoutLeavesNothingOfTheAccountBehind() {
    // Helix's and the relay's answers are still on their way when the user logs out.
    Forwarder helix(m_sim->url());
    Forwarder relay(m_relay->url());
    QVERIFY(helix.listen() && relay.listen());
    helix.hold(false, true); // Helix's answers to the first calls (the latest followers among them) wait
    auto a = loggedIn(kBroadcaster, kBroadcaster, [&](App &app) {
        app.helix = helix.url().resolved(QUrl("/helix"));
        app.settings->setRelayUrl(relay.url());
    });
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Stream);
    QTRY_COMPARE_WITH_TIMEOUT(a->window->services()->relay.state(), app::RelayClient::State::Connected,
                              10000);
    auto asked = [&](const QByteArray &path) {
        for (const QByteArray &r : helix.requests())
            if (r.contains(path))
                return true;
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(asked("/helix/channels/followers"), 10000);
    // Every call answered and held (EventSub's subscriptions are created with 202).
    QTRY_COMPARE_WITH_TIMEOUT(helix.heldForClients().count("HTTP/1.1 20"), helix.requests().size(), 10000);
    relay.hold(false, true);
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1009"}});
    QTRY_VERIFY_WITH_TIMEOUT(relay.heldForClients().contains(R"("type":"event")"), 10000);

    int followersAnswered = 0;
    connect(&a->network, &QNetworkAccessManager::finished, this, [&](QNetworkReply *reply) {
        followersAnswered += reply->url().path().endsWith("/channels/followers") ? 1 : 0;
    });
    a->window->logout();
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Welcome);
    helix.release();
    relay.release();
    QTRY_COMPARE_WITH_TIMEOUT(followersAnswered, 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(relay.webSockets(), 0, 10000); // closed: the app read all the relay sent
    bool drained = false; // every write handed to the store before this one is done when it is
    a->store->write({}, std::nullopt, this, [&](const QList<app::FeedEvent> &) { drained = true; });
    QTRY_VERIFY_WITH_TIMEOUT(drained, 10000);
    QCOMPARE(a->store->recent(kBroadcaster, 100).size(), 0);
    QVERIFY(!a->store->cursor(kBroadcaster).has_value());
    QCOMPARE(a->window->streamPage()->feed()->view()->model()->rowCount(), 0);
}

void TestUi::pagesGoneBeforeHelixAnswers() {
    // The Helix client outlives the picker and the stream page; their answers come after they are gone.
    Forwarder twitch(m_sim->url());
    QVERIFY(twitch.listen());
    QNetworkAccessManager helixNetwork;
    QNetworkAccessManager network; // the pages' own: avatars, the player
    app::HelixClient helix(helixNetwork, twitch.url().resolved(QUrl("/helix")), kClientId);
    helix.setToken(userToken(kViewer, "user:read:follows user:read:moderated_channels"));
    ui::AvatarCache avatars(network);
    app::FeedModel model;
    int answered = 0;
    connect(&helixNetwork, &QNetworkAccessManager::finished, this, [&](QNetworkReply *) { ++answered; });
    // One answer first: with Twitch's bucket known, every call below goes out at once (until then the
    // client keeps only 4 in flight).
    helix.self(this, [](app::HelixResult<QList<app::HelixUser>>) {});
    QTRY_COMPARE_WITH_TIMEOUT(answered, 1, 10000);
    twitch.hold();

    auto picker = std::make_unique<ui::PickerPage>(helix, avatars);
    // Her own channel's avatar and live state, the channels ironquill moderates and those she follows
    picker->setUser(
        app::Account{kViewer, "ironquill", {"user:read:follows", "user:read:moderated_channels"}});
    picker->searchField()->setText("quartz"); // and a search, once the typing pauses
    auto stream = std::make_unique<ui::StreamPage>(network, helix, model, avatars,
                                                   m_sim->url().resolved(QUrl("/player")));
    ui::ChannelItem channel;
    channel.id = kBroadcaster;
    channel.login = "lumenwave";
    channel.avatarUrl = m_sim->url().resolved(QUrl("/sim/avatars/lumenwave.svg"));
    stream->open(channel); // its live state (six calls in all: as many as Qt opens connections to a host)
    QTRY_COMPARE_WITH_TIMEOUT(twitch.requests().size(), 1 + 6, 10000);
    picker.reset();
    stream.reset();
    twitch.release();
    QTRY_COMPARE_WITH_TIMEOUT(answered, 1 + 6, 10000);
    // Nothing more is asked for pages that are gone (the picker's answers about moderated and followed
    // channels would ask for their avatars and live state): a later call is the next request Helix sees.
    std::optional<app::HelixResult<QList<app::HelixUser>>> probe;
    helix.users({kBroadcaster}, {}, this,
                [&](app::HelixResult<QList<app::HelixUser>> r) { probe = std::move(r); });
    QTRY_VERIFY_WITH_TIMEOUT(probe.has_value(), 10000);
    QCOMPARE(twitch.requests().size(), 1 + 6 + 1);
    QVERIFY(twitch.requests().last().contains("/helix/users?id=" + kBroadcaster.toUtf8()));
}

void TestUi::loginPageUnreachableSaysSo() {
    QNetworkAccessManager network;
    ui::LoginDialog dialog(network, {QUrl("http://127.0.0.1:9/oauth2"),
                                     kClientId,
                                     QUrl("http://localhost:17563"),
                                     {"user:read:follows"},
                                     false});
    dialog.show();
    dialog.startBrowserLogin();
    QTRY_VERIFY_WITH_TIMEOUT(dialog.showingError(), 15000);
    QVERIFY2(dialog.errorText().contains("could not be loaded"), qPrintable(dialog.errorText()));
}

void TestUi::darkAndLightThemes() {
    ui::applyTheme(app::Settings::Theme::Dark);
    QVERIFY(ui::isDarkPalette());
    QCOMPARE(QApplication::style()->name().toLower(), QStringLiteral("fusion"));
    ui::applyTheme(app::Settings::Theme::Light);
    QVERIFY(!ui::isDarkPalette());
    ui::applyTheme(app::Settings::Theme::System);
    QVERIFY(!ui::isDarkPalette()); // the offscreen platform's own palette is light
}

void TestUi::unreachableRelayIsRetriedByItself() {
    quint16 port = 0;
    {
        QTcpServer probe; // a port nothing listens on (yet)
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    App a(m_sim->url(), QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
    QTRY_VERIFY_WITH_TIMEOUT(a.window->welcomePage()->message().contains("Trying again in"), 10000);
    QVERIFY(a.window->welcomePage()->message().contains("cannot be reached"));
    QVERIFY(!a.window->welcomePage()->loginButton()->isEnabled());
    QTemporaryDir data;
    auto late = launchRelay(data.path(), port); // the relay comes up
    QVERIFY(late);
    QTRY_VERIFY_WITH_TIMEOUT(a.window->welcomePage()->loginButton()->isEnabled(), 20000);
    QVERIFY(a.window->services() != nullptr);
}

void TestUi::englishPluralForms() {
    QTranslator translator;
    QVERIFY(translator.load(QStringLiteral(":/i18n/streams_en.qm")));
    QApplication::installTranslator(&translator);
    app::FeedEvent e;
    e.kind = "cheer";
    e.amount = 1;
    QCOMPARE(app::describeAction(e), QStringLiteral("cheered 1 bit"));
    e.amount = 100;
    QCOMPARE(app::describeAction(e), QStringLiteral("cheered 100 bits"));
    e.kind = "giftbomb";
    e.amount = 1;
    QCOMPARE(app::describeAction(e), QStringLiteral("gifted 1 sub"));
    QApplication::removeTranslator(&translator);
}

void TestUi::welcomeWithoutRelay() {
    // No relay set: the app logs in to the application it was given and says what a relay would add.
    App a(m_sim->url(), QUrl());
    QTRY_VERIFY_WITH_TIMEOUT(a.window->welcomePage()->loginButton()->isEnabled(), 10000);
    QVERIFY2(a.window->welcomePage()->message().contains("straight from Twitch"),
             qPrintable(a.window->welcomePage()->message()));
    QVERIFY(a.window->welcomePage()->message().contains("while the app was closed"));
    QCOMPARE(a.window->relayStatus(), QStringLiteral("Relay: none"));
    QVERIFY(a.window->welcomePage()->useRelayButton()->isVisible());
    QVERIFY(!a.window->welcomePage()->relayFieldVisible());
    shot(a.window.get(), "welcome-without-relay");
    // The login asks Twitch for what EventSub needs too.
    QTest::mouseClick(a.window->welcomePage()->loginButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(a.window->loginDialog() != nullptr, 5000);
    QWebEnginePage *page = a.window->loginDialog()->browser()->page();
    QTRY_VERIFY_WITH_TIMEOUT(page->url().path().endsWith("/oauth2/authorize"), 15000);
    const QString scopes = QUrlQuery(page->url()).queryItemValue("scope", QUrl::FullyDecoded);
    for (const char *scope : {"bits:read", "channel:read:subscriptions", "moderator:read:followers",
                              "user:read:follows", "user:read:moderated_channels"})
        QVERIFY2(scopes.split(' ').contains(scope), qPrintable(scopes));
    a.window->loginDialog()->reject();
    QTRY_VERIFY_WITH_TIMEOUT(a.window->loginDialog() == nullptr, 5000);

    // A relay is still one field away, and today's flow takes over once it answers.
    QTest::mouseClick(a.window->welcomePage()->useRelayButton(), Qt::LeftButton);
    QVERIFY(a.window->welcomePage()->relayFieldVisible());
    auto *field = a.window->welcomePage()->findChild<QLineEdit *>();
    QVERIFY(field);
    field->setText(m_relay->url().toString());
    QTest::keyClick(field, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(a.window->services() && a.window->services()->hasRelay(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(a.window->welcomePage()->loginButton()->isEnabled(), 10000);
    QCOMPARE(a.settings->relayUrl(), m_relay->url());
    QCOMPARE(a.window->relayStatus(), QStringLiteral("Relay: idle"));
    QVERIFY(!a.window->welcomePage()->useRelayButton()->isVisible());

    // Without a client id nobody names the Twitch application: a relay is needed, and the page says how to
    // do without one.
    App b(m_sim->url(), QUrl(), [](App &app) { app.clientId.clear(); });
    QTRY_VERIFY_WITH_TIMEOUT(b.window->welcomePage()->message().contains("TWITCH_CLIENT_ID"), 10000);
    QVERIFY(!b.window->welcomePage()->loginButton()->isEnabled());
    QVERIFY(b.window->welcomePage()->relayFieldVisible());
}

std::unique_ptr<App> TestUi::broadcasterWithoutRelay(const QString &scopes) {
    const QString token = userToken(kBroadcaster, scopes);
    auto a = std::make_unique<App>(m_sim->url(), QUrl(), [&](App &app) {
        app.tokens.save(token, qApp, [](bool) {});
        app.settings->setFavoriteStreamer({kBroadcaster, "lumenwave", "LumenWave"});
    });
    if (!QTest::qWaitFor([&] { return a->window->page() == ui::MainWindow::Page::Stream; }, 15000))
        qWarning("the app did not reach the stream page; welcome says: %s",
                 qPrintable(a->window->welcomePage()->message()));
    return a;
}

void TestUi::broadcasterWithoutRelayGetsEventSub() {
    const QDateTime start = QDateTime::currentDateTimeUtc().addSecs(-5);
    auto a =
        broadcasterWithoutRelay("moderator:read:followers user:read:follows user:read:moderated_channels "
                                "bits:read channel:read:subscriptions");
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Stream);
    app::Services &s = *a->window->services();
    QVERIFY(!s.hasRelay());
    QCOMPARE(a->window->relayStatus(), QStringLiteral("Relay: none"));
    // Twitch sends nothing for a subscription before it is enabled on the session.
    auto enabled = [&](const QStringList &types) {
        for (const QString &type : types)
            if (!s.eventSub.enabledTypes().contains(type))
                return false;
        return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT(
        enabled({"channel.follow", "channel.cheer", "channel.subscription.gift", "channel.raid"}), 15000);
    QTRY_COMPARE_WITH_TIMEOUT(a->window->eventSubStatus(), QStringLiteral("EventSub: live"), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(a->window->chatStatus(), QStringLiteral("Chat: #lumenwave"), 10000);
    QVERIFY(!a->window->streamPage()->banner()->loginVisible());

    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", kViewer}});
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1004"},
             {"amount", 321}});
    trigger({{"type", "channel.subscription.gift"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1005"},
             {"amount", 5}});
    trigger({{"type", "channel.raid"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1006"},
             {"amount", 77}});
    // A last cheer: the session delivers in order, so once it is shown a second copy of any of the above
    // would have been too.
    trigger({{"type", "channel.cheer"},
             {"broadcaster_user_id", kBroadcaster},
             {"user_id", "1007"},
             {"amount", 999}});
    QAbstractItemModel *view = a->window->streamPage()->feed()->view()->model();
    auto shown = [&](const QString &kind, const QString &login, int amount) {
        int n = 0;
        for (int row = 0; row < view->rowCount(); ++row) {
            const QModelIndex i = view->index(row, 0);
            n += i.data(app::FeedModel::KindRole).toString() == kind &&
                         i.data(app::FeedModel::UserLoginRole).toString() == login &&
                         (amount < 0 || i.data(app::FeedModel::AmountRole).toInt() == amount) &&
                         i.data(app::FeedModel::OccurredAtRole).toDateTime() >= start
                     ? 1
                     : 0;
        }
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(shown("cheer", "emberlynx", 999), 1, 10000);
    QCOMPARE(shown("follow", "ironquill", -1), 1);
    QCOMPARE(shown("cheer", "nightjarfm", 321), 1);
    QCOMPARE(shown("giftbomb", "tidepool_tv", 5), 1);
    QCOMPARE(shown("raid", "quartzfox", 77), 1);
    int recent = 0; // and nothing else new: no second copy from another source
    for (int row = 0; row < view->rowCount(); ++row) {
        const QModelIndex i = view->index(row, 0);
        if (i.data(app::FeedModel::OccurredAtRole).toDateTime() >= start) {
            ++recent;
            QCOMPARE(i.data(app::FeedModel::SourceRole).toString(), QStringLiteral("eventsub"));
        }
    }
    QCOMPARE(recent, 5);
    QCOMPARE(s.relay.state(), app::RelayClient::State::Stopped); // nothing tried to reach a relay
    shot(a->window.get(), "eventsub-without-relay");

    // Twitch revokes the cheers: the feed says so.
    QString cheerSubscription;
    const auto subs =
        QJsonDocument::fromJson(httpGet(m_sim->url().resolved(QUrl("/sim/eventsub/subscriptions"))).body)
            .object()
            .value("data")
            .toArray();
    for (const QJsonValue v : subs)
        if (v.toObject().value("type").toString() == "channel.cheer" &&
            v.toObject().value("status").toString() == "enabled" &&
            v.toObject().value("transport").toObject().value("session_id").toString() ==
                s.eventSub.sessionId())
            cheerSubscription = v.toObject().value("id").toString();
    QVERIFY(!cheerSubscription.isEmpty());
    QCOMPARE(httpPost(m_sim->url().resolved(QUrl("/sim/revoke")),
                      QJsonDocument(QJsonObject{{"subscription_id", cheerSubscription},
                                                {"status", "authorization_revoked"}})
                          .toJson())
                 .status,
             200);
    ui::SourceBanner *banner = a->window->streamPage()->banner();
    QTRY_VERIFY_WITH_TIMEOUT(banner->noticesVisible(), 10000);
    QVERIFY2(banner->notices().join(' ').contains("cheers") &&
                 banner->notices().join(' ').contains("authorization_revoked"),
             qPrintable(banner->notices().join(' ')));
    QTest::mouseClick(banner->dismissButton(), Qt::LeftButton);
    QVERIFY(!banner->noticesVisible());
    QVERIFY(banner->isHidden());
}

void TestUi::olderLoginIsOfferedTheEventSubScopes() {
    // Logged in before EventSub came: follows, raids and live changes need nothing more; cheers and subs
    // need a new login, which the banner offers.
    auto a =
        broadcasterWithoutRelay("moderator:read:followers user:read:follows user:read:moderated_channels");
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Stream);
    app::Services &s = *a->window->services();
    ui::SourceBanner *banner = a->window->streamPage()->banner();
    QTRY_VERIFY_WITH_TIMEOUT(banner->loginVisible(), 10000);
    QVERIFY2(banner->loginText().contains("cheers") && banner->loginText().contains("subscriptions"),
             qPrintable(banner->loginText()));
    QTRY_VERIFY_WITH_TIMEOUT(s.eventSub.enabledTypes().contains("channel.follow") &&
                                 s.eventSub.enabledTypes().contains("channel.raid"),
                             15000);
    QVERIFY(!s.eventSub.enabledTypes().contains("channel.cheer"));
    shot(a->window.get(), "eventsub-needs-login");

    // The button opens Twitch's login asking for what EventSub needs (browserLoginAuthorizes goes through
    // that page; here its outcome comes as the dialog would hand it over).
    QTest::mouseClick(banner->loginButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(a->window->loginDialog() != nullptr, 5000);
    QWebEnginePage *page = a->window->loginDialog()->browser()->page();
    QTRY_VERIFY_WITH_TIMEOUT(page->url().path().endsWith("/oauth2/authorize"), 15000);
    const QStringList asked = QUrlQuery(page->url()).queryItemValue("scope", QUrl::FullyDecoded).split(' ');
    QVERIFY2(asked.contains("bits:read") && asked.contains("channel:read:subscriptions"),
             qPrintable(asked.join(' ')));
    a->window->loginDialog()->reject();
    s.auth.signIn(userToken(kBroadcaster, asked.join(' ')));
    QTRY_VERIFY_WITH_TIMEOUT(s.auth.account().scopes.contains("bits:read"), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(!banner->loginVisible(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(s.eventSub.enabledTypes().contains("channel.cheer") &&
                                 s.eventSub.enabledTypes().contains("channel.subscription.gift"),
                             15000);
    QCOMPARE(a->window->page(), ui::MainWindow::Page::Stream);
}

int main(int argc, char *argv[]) {
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    TestUi test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_ui.moc"
