// The feed as a working tool (issue 13), offscreen with real widgets, twitch-sim and the relay as real
// processes: unread marks (while the window is not active or the user reads further down; "Mark all read",
// back at the top, the row's menu; kept across a restart with the same profile), the row's menu (copy the
// name, open the channel, replay as an alert, mark read), and exports read back from their files.

#include "exportdialog.h"
#include "feed/feedexport.h"
#include "feedpanel.h"
#include "mainwindow.h"
#include "notifier.h"
#include "services/services.h"
#include "streampage.h"
#include "uiapp.h"

#include <QAction>
#include <QClipboard>
#include <QDesktopServices>
#include <QJsonArray>
#include <QJsonObject>
#include <QListView>
#include <QMenu>
#include <QPointer>
#include <QProgressDialog>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTimeZone>
#include <QToolButton>

using namespace streams;
using namespace streams::test;

class TestFeedTools : public QObject, public UiHarness {
    Q_OBJECT
public Q_SLOTS:
    // QDesktopServices hands https URLs here while a test has it do so.
    void openUrl(const QUrl &url) { m_opened.append(url); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(startServers()); }
    void cleanupTestCase() { stopServers(); }
    void unreadWhileAwayKeptAcrossARestartAndRead();
    void rowMenuCopiesOpensReplaysAndMarksRead();
    void exportsTheFilteredPeriodToCsvAndJson();

private:
    // The stream page with everything in: relay connected, Helix's latest followers stored and shown.
    bool settled(App &a, int stored);
    QList<QUrl> m_opened;
};

namespace {

QString topLogin(ui::FeedPanel *feed) {
    return feed->view()->model()->index(0, 0).data(app::FeedModel::UserLoginRole).toString();
}

bool unreadAt(ui::FeedPanel *feed, int row) {
    return feed->view()->model()->index(row, 0).data(app::FeedModel::UnreadRole).toBool();
}

// Another window takes the focus (the user went to their streaming software); `back()` returns it.
struct Elsewhere {
    QWidget other;
    ui::MainWindow *window;
    explicit Elsewhere(ui::MainWindow *w)
        : window(w) {
        other.resize(200, 100);
        other.show();
        other.activateWindow();
        QVERIFY(QTest::qWaitFor([&] { return !window->isActiveWindow(); }, 5000));
    }
    void back() {
        window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(window));
    }
};

void drain(app::LocalStore &store) {
    bool done = false; // what was handed to the store before this is written when it is
    QObject context;
    store.write({}, std::nullopt, &context, [&](const QList<app::FeedEvent> &) { done = true; });
    QVERIFY(QTest::qWaitFor([&] { return done; }, 10000));
}

} // namespace

bool TestFeedTools::settled(App &a, int stored) {
    if (!QTest::qWaitFor(
            [&] { return a.window->services()->relay.state() == app::RelayClient::State::Connected; }, 10000))
        return false;
    const HttpResult followers = httpGet(
        m_sim->url().resolved(
            QUrl(QStringLiteral("/helix/channels/followers?first=10&broadcaster_id=") + kBroadcaster)),
        {{"Client-Id", kClientId.toUtf8()}, {"Authorization", "Bearer " + userToken(kBroadcaster).toUtf8()}});
    const qsizetype fromHelix =
        QJsonDocument::fromJson(followers.body).object().value("data").toArray().size();
    QListView *view = a.window->streamPage()->feed()->view();
    return QTest::qWaitFor([&] { return view->model()->rowCount() >= stored + fromHelix; }, 10000);
}

void TestFeedTools::unreadWhileAwayKeptAcrossARestartAndRead() {
    const QDateTime base = QDateTime::currentDateTimeUtc().addDays(-2);
    auto a = loggedIn(kBroadcaster, kBroadcaster, [&](App &app) {
        QList<app::FeedEvent> earlier;
        for (int i = 0; i < 80; ++i)
            earlier.append(follow(kBroadcaster, i, base.addSecs(i)));
        app.store->insert(earlier);
    });
    ui::FeedPanel *feed = a->window->streamPage()->feed();
    QVERIFY(settled(*a, 80));
    QVERIFY(QTest::qWaitForWindowActive(a->window.get()));
    QCOMPARE(a->window->services()->model.unreadCount(), 0); // what came while the user looked is read
    QCOMPARE(feed->unreadText(), QString());
    QVERIFY(feed->markAllReadButton()->isHidden());

    // The window is not active: a follow comes in, marked.
    {
        Elsewhere elsewhere(a->window.get());
        trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1005"}});
        QTRY_COMPARE_WITH_TIMEOUT(topLogin(feed), QStringLiteral("tidepool_tv"), 10000);
        QVERIFY(unreadAt(feed, 0));
        QVERIFY(!unreadAt(feed, 1));
        QCOMPARE(feed->unreadText(), QStringLiteral("1 unread"));
        elsewhere.back();
    }
    QVERIFY(!feed->markAllReadButton()->isHidden());
    QVERIFY(unreadAt(feed, 0)); // the user is back: it stays marked until read
    // The user reads further down: what arrives on top is marked too.
    QScrollBar *bar = feed->view()->verticalScrollBar();
    QTRY_VERIFY(bar->maximum() > 0);
    bar->setValue(bar->maximum() / 2);
    trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1008"}});
    QTRY_VERIFY_WITH_TIMEOUT(feed->pillVisible(), 10000);
    QCOMPARE(topLogin(feed), QStringLiteral("saltcircuit"));
    QVERIFY(unreadAt(feed, 0) && unreadAt(feed, 1));
    QCOMPARE(feed->unreadText(), QStringLiteral("2 unread"));
    shot(a->window.get(), "feed-unread");
    const QStringList unreadKeys{feed->view()->model()->index(0, 0).data(app::FeedModel::KeyRole).toString(),
                                 feed->view()->model()->index(1, 0).data(app::FeedModel::KeyRole).toString()};

    // Restart with the same profile: the marks are where they were.
    a->restart();
    QTRY_COMPARE_WITH_TIMEOUT(a->window->page(), ui::MainWindow::Page::Stream, 15000);
    feed = a->window->streamPage()->feed();
    QCOMPARE(feed->unreadText(), QStringLiteral("2 unread")); // at once, from the store
    QCOMPARE(topLogin(feed), QStringLiteral("saltcircuit"));
    QVERIFY(unreadAt(feed, 0) && unreadAt(feed, 1) && !unreadAt(feed, 2));
    QCOMPARE(a->store->unreadKeys(kBroadcaster), QSet<QString>(unreadKeys.begin(), unreadKeys.end()));
    QVERIFY(settled(*a, 80));

    // Back at the top after reading further down: read.
    QVERIFY(QTest::qWaitForWindowActive(a->window.get()));
    bar = feed->view()->verticalScrollBar();
    QTRY_VERIFY(bar->maximum() > 0);
    bar->setValue(bar->maximum() / 2);
    QCOMPARE(feed->unreadText(), QStringLiteral("2 unread"));
    bar->setValue(0);
    QCOMPARE(feed->unreadText(), QString());
    QVERIFY(!unreadAt(feed, 0) && !unreadAt(feed, 1));
    drain(*a->store);
    QVERIFY(a->store->unreadKeys(kBroadcaster).isEmpty());

    // "Mark all read".
    {
        Elsewhere elsewhere(a->window.get());
        trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1009"}});
        QTRY_COMPARE_WITH_TIMEOUT(feed->unreadText(), QStringLiteral("1 unread"), 10000);
        elsewhere.back();
    }
    QTest::mouseClick(feed->markAllReadButton(), Qt::LeftButton);
    QCOMPARE(feed->unreadText(), QString());
    QVERIFY(feed->markAllReadButton()->isHidden());
    QVERIFY(!unreadAt(feed, 0));
    drain(*a->store);
    QVERIFY(a->store->unreadKeys(kBroadcaster).isEmpty());
}

void TestFeedTools::rowMenuCopiesOpensReplaysAndMarksRead() {
    auto a = loggedIn(kBroadcaster, kBroadcaster);
    ui::FeedPanel *feed = a->window->streamPage()->feed();
    QVERIFY(settled(*a, 0));
    {
        Elsewhere elsewhere(a->window.get());
        trigger({{"type", "channel.follow"}, {"broadcaster_user_id", kBroadcaster}, {"user_id", "1006"}});
        QTRY_COMPARE_WITH_TIMEOUT(topLogin(feed), QStringLiteral("quartzfox"), 10000);
        elsewhere.back();
    }
    QVERIFY(unreadAt(feed, 0));
    const QModelIndex row = feed->view()->model()->index(0, 0);
    const QString key = row.data(app::FeedModel::KeyRole).toString();
    std::unique_ptr<QMenu> menu(feed->rowMenu(row));
    auto action = [&](const char *name) { return menu->findChild<QAction *>(QString::fromLatin1(name)); };
    QVERIFY(action("copyUserName") && action("openChannel") && action("replay") && action("markRead"));

    action("copyUserName")->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("QuartzFox"));

    QDesktopServices::setUrlHandler(QStringLiteral("https"), this, "openUrl");
    action("openChannel")->trigger();
    QDesktopServices::unsetUrlHandler(QStringLiteral("https"));
    QCOMPARE(m_opened, QList<QUrl>{QUrl("https://www.twitch.tv/quartzfox")});

    // Replay: the arrival animation and the notification again, also while "do not disturb" holds back
    // what arrives by itself (the user asked for this one).
    a->window->notifier()->setDoNotDisturb(true);
    QSignalSpy notified(a->window->notifier(), &ui::Notifier::notified);
    QTRY_VERIFY(!feed->animating(key)); // its arrival is over
    action("replay")->trigger();
    QVERIFY(feed->animating(key));
    QCOMPARE(notified.count(), 1);
    QCOMPARE(notified.at(0).at(0).toString(), QStringLiteral("New event"));
    QCOMPARE(notified.at(0).at(1).toString(), QStringLiteral("QuartzFox followed"));
    QTRY_VERIFY(!feed->animating(key)); // and it ends as an arrival does
    a->window->notifier()->setDoNotDisturb(false);

    QVERIFY(action("markRead")->isEnabled());
    action("markRead")->trigger();
    QVERIFY(!unreadAt(feed, 0));
    QCOMPARE(feed->unreadText(), QString());
    menu.reset(feed->rowMenu(row));
    QVERIFY(!action("markRead")->isEnabled()); // nothing left to mark
    drain(*a->store);
    QVERIFY(a->store->unreadKeys(kBroadcaster).isEmpty());

    // The menu opens where the user asks for it (right click, or the menu key on the current row).
    Q_EMIT feed->view()->customContextMenuRequested(feed->view()->visualRect(row).center());
    QMenu *shown = nullptr;
    QTRY_VERIFY((shown = feed->findChild<QMenu *>()) && shown->isVisible());
    QCOMPARE(shown->actions().size(), 4);
    shot(a->window.get(), "feed-row-menu");
    shown->close();
}

void TestFeedTools::exportsTheFilteredPeriodToCsvAndJson() {
    // A day of follows (one a minute) in March 2022, three cheers among them, and events around it.
    const QDateTime base(QDate(2022, 3, 1), QTime(12, 0), QTimeZone::utc());
    QList<app::FeedEvent> follows;
    QList<app::FeedEvent> cheers;
    auto a = loggedIn(kBroadcaster, kBroadcaster, [&](App &app) {
        QList<app::FeedEvent> events;
        for (int i = 0; i < 1500; ++i)
            follows.append(follow(kBroadcaster, i, base.addSecs(60 * i)));
        const QStringList messages{"Great stream!", "=cmd|' /C calc'!A0", "line one\nline two, \"quoted\""};
        for (int i = 0; i < 3; ++i) {
            app::FeedEvent c;
            c.key = QStringLiteral("chat:cheer%1").arg(i);
            c.broadcasterId = kBroadcaster;
            c.kind = "cheer";
            c.userId = QString::number(7000 + i);
            c.userLogin = QStringLiteral("cheerer%1").arg(i);
            c.userName = QStringLiteral("Chéerer %1").arg(i);
            c.amount = 100 * (i + 1);
            c.message = messages[i];
            c.occurredAt = base.addSecs(600 * i + 30);
            c.source = "chat";
            cheers.append(c);
        }
        events = follows + cheers;
        events.append(follow(kBroadcaster, 9001, base.addDays(-2)));        // before the period
        events.append(follow(kBroadcaster, 9002, base.addSecs(60 * 1500))); // just after it
        events.append(follow("1004", 9003, base.addSecs(90)));              // another streamer's
        app.store->insert(events);
    });
    ui::FeedPanel *feed = a->window->streamPage()->feed();
    QVERIFY(settled(*a, 200));
    QTemporaryDir out;
    QString suggested, filter, answer;
    a->window->setSaveFileChooser([&](QWidget *, const QString &, const QString &s, const QString &f) {
        suggested = s;
        filter = f;
        return answer;
    });
    int progressShown = 0; // large exports show their progress
    // Dialogs, not Show events: on Qt 6.8 one progress dialog gets two (on Qt 6.4 one).
    struct ShowCounter : QObject {
        int *count;
        QList<QPointer<QObject>> seen; // a deleted dialog's entry turns null, so its address may come back
        explicit ShowCounter(int *c)
            : count(c) {}
        bool eventFilter(QObject *o, QEvent *e) override {
            if (e->type() == QEvent::Show && qobject_cast<QProgressDialog *>(o) && !seen.contains(o)) {
                seen.append(o);
                ++*count;
            }
            return false;
        }
    } counter(&progressShown);
    qApp->installEventFilter(&counter);
    auto exportNow = [&](auto choose) {
        a->window->exportEvents();
        QPointer<ui::FeedExportFlow> flow = a->window->exportFlow();
        if (!flow)
            return QVariantList{};
        QSignalSpy finished(flow, &ui::FeedExportFlow::finished);
        if (!QTest::qWaitFor([&] { return flow && flow->dialog() && flow->dialog()->isVisible(); }, 5000))
            return QVariantList{};
        choose(flow->dialog());
        flow->dialog()->accept();
        if (finished.isEmpty() && !finished.wait(30000))
            return QVariantList{};
        return finished.at(0);
    };

    // Follows only (the chip), the day in question, as CSV.
    feed->chip("follow")->click();
    answer = out.filePath("follows.csv");
    const QVariantList csvDone = exportNow([&](ui::ExportDialog *dialog) {
        dialog->setCustomPeriod(base, base.addSecs(60 * 1499));
        dialog->setFormat(app::ExportFormat::Csv);
    });
    QCOMPARE(csvDone.value(0).value<ui::FeedExportFlow::Outcome>(), ui::FeedExportFlow::Outcome::Exported);
    QVERIFY2(csvDone.value(1).toString().contains("Exported 1500 events"),
             qPrintable(csvDone.value(1).toString()));
    QVERIFY(suggested.endsWith(QStringLiteral("lumenwave-events-%1.csv")
                                   .arg(QDate::currentDate().toString(QStringLiteral("yyyy-MM-dd")))));
    QCOMPARE(filter, QStringLiteral("CSV files (*.csv)"));
    QCOMPARE(progressShown, 1);
    QFile csv(answer);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QByteArray expected = "time,kind,user_login,display_name,amount,message\r\n";
    for (const app::FeedEvent &f : std::as_const(follows))
        expected += f.occurredAt.toUTC().toString("yyyy-MM-ddTHH:mm:ss.zzzZ").toUtf8() + ",follow," +
                    f.userLogin.toUtf8() + "," + f.userName.toUtf8() + ",0,\r\n";
    const QByteArray written = csv.readAll();
    QCOMPARE(written.count('\n'), 1501);
    QCOMPARE(written, expected);

    // Cheers only, everything there is, as JSON, to a name without an extension.
    feed->chip("follow")->click();
    feed->chip("cheer")->click();
    answer = out.filePath("cheers");
    const QVariantList jsonDone = exportNow([&](ui::ExportDialog *dialog) {
        dialog->setPeriod(ui::ExportDialog::Period::Everything);
        dialog->setFormat(app::ExportFormat::Json);
    });
    QCOMPARE(jsonDone.value(0).value<ui::FeedExportFlow::Outcome>(), ui::FeedExportFlow::Outcome::Exported);
    QCOMPARE(filter, QStringLiteral("JSON files (*.json)"));
    QCOMPARE(progressShown, 1); // three events: no progress dialog
    QFile json(out.filePath("cheers.json"));
    QVERIFY(json.open(QIODevice::ReadOnly));
    const QJsonArray rows = QJsonDocument::fromJson(json.readAll()).array();
    QCOMPARE(rows.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(rows[i].toObject(),
                 (QJsonObject{{"time", cheers[i].occurredAt.toString("yyyy-MM-ddTHH:mm:ss.zzzZ")},
                              {"kind", "cheer"},
                              {"user_login", cheers[i].userLogin},
                              {"display_name", cheers[i].userName},
                              {"amount", cheers[i].amount},
                              {"message", cheers[i].message}}));

    // Cancelled at the file dialog: nothing written, nothing said.
    answer.clear();
    const QVariantList cancelled = exportNow([](ui::ExportDialog *) {});
    QCOMPARE(cancelled.value(0).value<ui::FeedExportFlow::Outcome>(), ui::FeedExportFlow::Outcome::Cancelled);
    QCOMPARE(cancelled.value(1).toString(), QString());
    QCOMPARE(QDir(out.path()).entryList(QDir::Files).size(), 2);
    qApp->removeEventFilter(&counter);
}

int main(int argc, char *argv[]) {
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    TestFeedTools test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_feedtools.moc"
