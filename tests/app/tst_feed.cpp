// The local store (real SQLite files) and the feed model (batching, order, filters, relative times).

#include "feed/feedmodel.h"
#include "store/localstore.h"
#include "store/settings.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace streams::app;

namespace {
FeedEvent makeEvent(const QString &key, const QString &kind, qint64 secs,
                    const QString &b = QStringLiteral("1001")) {
    FeedEvent e;
    e.key = key;
    e.broadcasterId = b;
    e.kind = kind;
    e.userId = QStringLiteral("u") + key;
    e.userLogin = QStringLiteral("login") + key;
    e.userName = QStringLiteral("Name") + key;
    e.amount = 1;
    e.occurredAt = QDateTime::fromSecsSinceEpoch(secs, QTimeZone::utc());
    e.source = QStringLiteral("relay");
    return e;
}
} // namespace

class TestFeed : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void followKeyIgnoresPrecision();
    void storeKeepsEachEventOnce();
    void storeRecentIsNewestFirstAndFiltered();
    void storeCursorRoundTrip();
    void corruptStoreIsMovedAsideAndReplaced();
    void tenThousandEventsAreOneInsert();
    void olderEventsMergeInOrder();
    void duplicatesNeverShowTwice();
    void filterByKind();
    void relativeTimes();
    void rowsAreCapped();
    void settingsAreTypedAndKept();
};

void TestFeed::followKeyIgnoresPrecision() {
    // Helix gives seconds, EventSub nanoseconds: the same follow has one key.
    QCOMPARE(followKey("1", "2", "2020-07-15T18:16:11Z"),
             followKey("1", "2", "2020-07-15T18:16:11.17106713Z"));
    QVERIFY(followKey("1", "2", "2020-07-15T18:16:11Z") != followKey("1", "2", "2020-07-15T18:16:12Z"));
    QCOMPARE(parseTimestamp("2021-02-19T23:47:00.8091512Z").toMSecsSinceEpoch() % 1000, 809);
}

void TestFeed::storeKeepsEachEventOnce() {
    QTemporaryDir dir;
    auto opened = LocalStore::open(dir.path());
    QVERIFY(opened.store);
    QVERIFY(opened.notice.isEmpty());
    const auto added = opened.store->insert({makeEvent("a", "follow", 100), makeEvent("b", "cheer", 200)});
    QCOMPARE(added.size(), 2);
    const auto again = opened.store->insert({makeEvent("a", "follow", 100), makeEvent("c", "raid", 300)});
    QCOMPARE(again.size(), 1);
    QCOMPARE(again[0].key, QStringLiteral("c"));
    // Survives a reopen: it is a real file.
    opened.store.reset();
    auto reopened = LocalStore::open(dir.path());
    QCOMPARE(reopened.store->recent("1001", 100).size(), 3);
}

void TestFeed::storeRecentIsNewestFirstAndFiltered() {
    QTemporaryDir dir;
    auto store = LocalStore::open(dir.path()).store;
    QList<FeedEvent> many;
    for (int i = 0; i < 25; ++i)
        many.append(makeEvent(QString::number(i), i % 2 ? "follow" : "cheer", 1000 + i));
    many.append(makeEvent("other", "follow", 5000, "1004"));
    store->insert(many);
    const auto follows = store->recent("1001", 10, {"follow"});
    QCOMPARE(follows.size(), 10);
    QCOMPARE(follows.first().key, QStringLiteral("23"));
    for (int i = 1; i < follows.size(); ++i)
        QVERIFY(follows[i - 1].occurredAt > follows[i].occurredAt);
    for (const FeedEvent &f : follows)
        QCOMPARE(f.kind, QStringLiteral("follow"));
    QCOMPARE(store->recent("1004", 10).size(), 1);
}

void TestFeed::storeCursorRoundTrip() {
    QTemporaryDir dir;
    auto store = LocalStore::open(dir.path()).store;
    QVERIFY(!store->cursor("1001"));
    QVERIFY(store->setCursor("1001", {"epoch-a", 41}));
    QVERIFY(store->setCursor("1001", {"epoch-a", 42}));
    QCOMPARE(store->cursor("1001")->seq, 42);
    QCOMPARE(store->cursor("1001")->epoch, QStringLiteral("epoch-a"));
}

void TestFeed::corruptStoreIsMovedAsideAndReplaced() {
    QTemporaryDir dir;
    QFile f(dir.filePath("events.sqlite3"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(4096, 'x'));
    f.close();
    auto opened = LocalStore::open(dir.path());
    QVERIFY(opened.store);
    QVERIFY(opened.notice.contains("could not be read"));
    QVERIFY(opened.notice.contains("damaged"));
    QCOMPARE(opened.store->insert({makeEvent("a", "follow", 1)}).size(), 1);
    const QStringList aside = QDir(dir.path()).entryList({"events.sqlite3.damaged-*"});
    QCOMPARE(aside.size(), 1);
    QFile kept(dir.filePath(aside.first()));
    QVERIFY(kept.open(QIODevice::ReadOnly));
    QCOMPARE(kept.readAll(), QByteArray(4096, 'x'));
}

void TestFeed::tenThousandEventsAreOneInsert() {
    FeedModel model(nullptr, 20000);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    for (int i = 0; i < 10000; ++i)
        model.add({makeEvent(QString::number(i), "follow", 1000 + i)});
    QCOMPARE(model.rowCount(), 0); // not yet: batched
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 10000, 2000);
    QCOMPARE(inserted.count() + reset.count(), 1);
    QCOMPARE(model.at(0).key, QStringLiteral("9999")); // newest first
    QCOMPARE(model.at(9999).key, QStringLiteral("0"));
}

void TestFeed::olderEventsMergeInOrder() {
    FeedModel model;
    model.setEvents({makeEvent("new", "follow", 500), makeEvent("mid", "follow", 300)});
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.add({makeEvent("old", "cheer", 100), makeEvent("newest", "follow", 600),
               makeEvent("between", "raid", 400)});
    model.flush();
    // A few older events go in at their places (a view keeps its place), the newer ones on top.
    QCOMPARE(reset.count(), 0);
    QList<QPair<int, int>> ranges;
    for (const QList<QVariant> &args : std::as_const(inserted))
        ranges.append({args.at(1).toInt(), args.at(2).toInt()});
    QCOMPARE(ranges, (QList<QPair<int, int>>{{2, 2}, {1, 1}, {0, 0}}));
    QStringList order;
    for (int i = 0; i < model.rowCount(); ++i)
        order << model.at(i).key;
    QCOMPARE(order, QStringList({"newest", "new", "between", "mid", "old"}));

    // A big replay of older events is one reset, still in order.
    QList<FeedEvent> replay;
    for (int i = 0; i < 250; ++i)
        replay.append(makeEvent(QStringLiteral("r%1").arg(i), "follow", 200 + i % 300));
    model.add(replay);
    model.flush();
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 255);
    for (int i = 1; i < model.rowCount(); ++i)
        QVERIFY(model.at(i - 1).occurredAt >= model.at(i).occurredAt);
}

void TestFeed::duplicatesNeverShowTwice() {
    FeedModel model;
    model.setEvents({makeEvent("a", "follow", 1)});
    model.add({makeEvent("a", "follow", 1), makeEvent("b", "follow", 2), makeEvent("b", "follow", 2)});
    model.flush();
    QCOMPARE(model.rowCount(), 2);
}

void TestFeed::filterByKind() {
    FeedModel model;
    model.setEvents({makeEvent("1", "follow", 1), makeEvent("2", "cheer", 2), makeEvent("3", "raid", 3),
                     makeEvent("4", "follow", 4)});
    FeedFilterModel filter;
    filter.setSourceModel(&model);
    QCOMPARE(filter.rowCount(), 4);
    filter.setKinds({"follow"});
    QCOMPARE(filter.rowCount(), 2);
    filter.setKinds({"cheer", "raid"});
    QCOMPARE(filter.rowCount(), 2);
    QCOMPARE(model.countByKind().value("follow"), 2);
    model.add({makeEvent("5", "cheer", 5)});
    model.flush();
    QCOMPARE(filter.rowCount(), 3); // the filter follows new rows
}

void TestFeed::relativeTimes() {
    const QDateTime now = QDateTime::fromSecsSinceEpoch(100000, QTimeZone::utc());
    QCOMPARE(relativeTime(now.addSecs(-3), now), QStringLiteral("just now"));
    QCOMPARE(relativeTime(now.addSecs(-42), now), QStringLiteral("42 s ago"));
    QCOMPARE(relativeTime(now.addSecs(-300), now), QStringLiteral("5 min ago"));
    QCOMPARE(relativeTime(now.addSecs(-3 * 3600), now), QStringLiteral("3 h ago"));
    QCOMPARE(relativeTime(now.addSecs(-2 * 86400), now), QStringLiteral("2 d ago"));
    QCOMPARE(relativeTime(now.addSecs(-7 * 86400 + 1), now), QStringLiteral("6 d ago"));
    // Beyond a week: the locale's date, in local time ("385 d ago" told nobody anything).
    const QDateTime longAgo = now.addDays(-385);
    QCOMPARE(relativeTime(longAgo, now),
             QLocale().toString(longAgo.toLocalTime().date(), QLocale::ShortFormat));
    QCOMPARE(relativeTime(now.addSecs(-7 * 86400), now),
             QLocale().toString(now.addSecs(-7 * 86400).toLocalTime().date(), QLocale::ShortFormat));
    FeedModel model;
    QDateTime clock = QDateTime::fromSecsSinceEpoch(1000, QTimeZone::utc());
    model.setClock([&clock] { return clock; });
    model.setEvents({makeEvent("a", "follow", 995)});
    QCOMPARE(model.index(0).data(FeedModel::RelativeTimeRole).toString(), QStringLiteral("just now"));
    clock = clock.addSecs(120); // time passes; nothing is re-queried
    QCOMPARE(model.index(0).data(FeedModel::RelativeTimeRole).toString(), QStringLiteral("2 min ago"));
    // The tooltip has the exact local time; the accessible text keeps the relative one.
    const QString exact =
        QLocale().toString(QDateTime::fromSecsSinceEpoch(995).toLocalTime(), QLocale::LongFormat);
    QCOMPARE(model.index(0).data(Qt::ToolTipRole).toString(), QStringLiteral("Namea followed\n") + exact);
    QVERIFY(model.index(0).data(Qt::AccessibleTextRole).toString().endsWith("2 min ago"));
}

void TestFeed::rowsAreCapped() {
    FeedModel model(nullptr, 100);
    QList<FeedEvent> many;
    for (int i = 0; i < 150; ++i)
        many.append(makeEvent(QString::number(i), "follow", i));
    model.add(many);
    model.flush();
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.at(0).key, QStringLiteral("149"));
}

void TestFeed::settingsAreTypedAndKept() {
    QTemporaryDir dir;
    {
        Settings fresh(dir.path());
        QVERIFY(fresh.favoriteStreamer().isEmpty());
        QVERIFY(fresh.relayUrl().isEmpty());
        QCOMPARE(fresh.theme(), Settings::Theme::System);
        QVERIFY(fresh.notificationsEnabled());
        QVERIFY(!fresh.doNotDisturb());
        fresh.setFavoriteStreamer({"1001", "lumenwave", "LumenWave"});
        fresh.setRelayUrl(QUrl("https://relay.example.com"));
        fresh.setTheme(Settings::Theme::Dark);
        fresh.setDoNotDisturb(true);
        fresh.setSplitterState(QByteArray("\x00\x01splitter", 10));
    }
    Settings again(dir.path()); // as after a restart
    QCOMPARE(again.favoriteStreamer().login, QStringLiteral("lumenwave"));
    QCOMPARE(again.relayUrl(), QUrl("https://relay.example.com"));
    QCOMPARE(again.theme(), Settings::Theme::Dark);
    QVERIFY(again.doNotDisturb());
    QCOMPARE(again.splitterState(), QByteArray("\x00\x01splitter", 10));
    QVERIFY(again.path().startsWith(dir.path()));
    QSettings raw(again.path(), QSettings::IniFormat);
    raw.setValue("appearance/theme", "chartreuse"); // a hand-edited file
    raw.sync();
    QCOMPARE(Settings(dir.path()).theme(), Settings::Theme::System);
}

QTEST_GUILESS_MAIN(TestFeed)
#include "tst_feed.moc"
