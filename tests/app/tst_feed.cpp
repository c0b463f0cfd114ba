// The local store (real SQLite files) and the feed model (batching, order, filters, relative times).

#include "feed/feedexport.h"
#include "feed/feedmodel.h"
#include "store/localstore.h"
#include "store/settings.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
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
    void unreadArrivalsAreMarkedAndKept();
    void exportWritesTheChosenEventsAsCsvAndJson();
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

void TestFeed::unreadArrivalsAreMarkedAndKept() {
    FeedModel model;
    QSignalSpy markedUnread(&model, &FeedModel::markedUnread);
    QSignalSpy markedRead(&model, &FeedModel::markedRead);
    QSignalSpy allRead(&model, &FeedModel::markedAllRead);
    model.setEvents({makeEvent("a", "follow", 10), makeEvent("b", "follow", 20)}, {"b", "gone"});
    QCOMPARE(model.unreadCount(), 1); // what the store kept as unread, of the rows shown
    QVERIFY(model.index(0).data(FeedModel::UnreadRole).toBool());
    QVERIFY(!model.index(1).data(FeedModel::UnreadRole).toBool());
    model.add({makeEvent("c", "follow", 30)}); // the user is looking
    model.flush();
    QCOMPARE(model.unreadCount(), 1);
    model.setArrivalsUnread(true); // the window lost the focus, or the user reads further down
    model.add({makeEvent("e", "cheer", 50), makeEvent("d", "follow", 40)});
    model.flush();
    QCOMPARE(model.unreadCount(), 3);
    QCOMPARE(markedUnread.count(), 1);
    QCOMPARE(markedUnread.at(0).at(0).toStringList(), (QStringList{"e", "d"}));
    QVERIFY(model.index(0).data(FeedModel::UnreadRole).toBool());  // e
    QVERIFY(!model.index(2).data(FeedModel::UnreadRole).toBool()); // c
    QVERIFY(model.index(0).data(Qt::AccessibleTextRole).toString().endsWith(", unread"));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.markRead({"d", "c"});
    QCOMPARE(model.unreadCount(), 2);
    QCOMPARE(markedRead.at(0).at(0).toStringList(), QStringList{"d"});
    QCOMPARE(changed.count(), 1);
    model.markAllRead();
    QCOMPARE(model.unreadCount(), 0);
    QCOMPARE(allRead.count(), 1);
    model.markAllRead(); // nothing left: nothing announced
    QCOMPARE(allRead.count(), 1);

    // The store keeps them per broadcaster, across a restart, and only for events it has.
    QTemporaryDir dir;
    auto drain = [](LocalStore &store) {
        bool done = false; // the marks are written in order behind every earlier write
        QObject context;
        store.write({}, std::nullopt, &context, [&](const QList<FeedEvent> &) { done = true; });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 5000));
    };
    {
        auto store = LocalStore::open(dir.path()).store;
        store->insert({makeEvent("a", "follow", 10), makeEvent("b", "follow", 20),
                       makeEvent("c", "follow", 30), makeEvent("x", "follow", 30, "1004")});
        store->markUnread("1001", {"a", "b", "not-stored"});
        store->markUnread("1004", {"x"});
        store->markRead({"a"});
        drain(*store);
        QCOMPARE(store->unreadKeys("1001"), (QSet<QString>{"b"}));
        store->markUnread("1001", {"c"});
    }
    auto store = LocalStore::open(dir.path()).store; // as after a restart
    QCOMPARE(store->unreadKeys("1001"), (QSet<QString>{"b", "c"}));
    store->markAllRead("1001");
    drain(*store);
    QVERIFY(store->unreadKeys("1001").isEmpty());
    QCOMPARE(store->unreadKeys("1004"), (QSet<QString>{"x"})); // another streamer's are theirs
    QVERIFY(store->forgetEverything());
    QVERIFY(store->unreadKeys("1004").isEmpty());
}

void TestFeed::exportWritesTheChosenEventsAsCsvAndJson() {
    QTemporaryDir dir;
    auto store = LocalStore::open(dir.path()).store;
    QList<FeedEvent> events;
    for (int i = 0; i < 1200; ++i) // more than one progress step
        events.append(makeEvent(QStringLiteral("f%1").arg(i), "follow", 1000000 + i));
    FeedEvent cheer = makeEvent("c1", "cheer", 1000100);
    cheer.amount = 500;
    cheer.userName = QStringLiteral("Zoë, \"the\" cheerer");
    cheer.message = QStringLiteral("=1+1 first line\nsecond");
    events.append(cheer);
    events.append(makeEvent("early", "cheer", 999999));          // before the period
    events.append(makeEvent("other", "cheer", 1000100, "1004")); // another streamer
    store->insert(events);

    auto run = [&](ExportFormat format, const QStringList &kinds, const QString &name) {
        FeedExport exporter;
        QSignalSpy finished(&exporter, &FeedExport::finished);
        QSignalSpy progress(&exporter, &FeedExport::progress);
        QSignalSpy started(&exporter, &FeedExport::started);
        const QString path = dir.filePath(name);
        exporter.start({store->path(),
                        {"1001", QDateTime::fromSecsSinceEpoch(1000000, QTimeZone::utc()),
                         QDateTime::fromSecsSinceEpoch(1000000 + 1199, QTimeZone::utc()), kinds},
                        format,
                        path});
        if (!finished.wait(10000))
            qFatal("the export did not finish");
        if (!finished.at(0).at(0).toBool())
            qWarning() << finished.at(0).at(2).toString();
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            qFatal("no exported file");
        return std::tuple{finished.at(0).at(1).toLongLong(), started.value(0).value(0).toLongLong(),
                          int(progress.count()), file.readAll()};
    };
    // CSV, cheers only: RFC 4180 quoting, UTC ISO 8601 times, a formula defused.
    auto [written, total, steps, csv] = run(ExportFormat::Csv, {"cheer"}, "cheers.csv");
    QCOMPARE(written, 1);
    QCOMPARE(total, 1);
    QCOMPARE(csv, QByteArray("time,kind,user_login,display_name,amount,message\r\n"
                             "1970-01-12T13:48:20.000Z,cheer,loginc1,\"Zo\xc3\xab, \"\"the\"\" cheerer\",500,"
                             "\"'=1+1 first line\nsecond\"\r\n"));
    // JSON, every kind, oldest first.
    auto [jsonWritten, jsonTotal, jsonSteps, json] = run(ExportFormat::Json, {}, "all.json");
    QCOMPARE(jsonWritten, 1201);
    QCOMPARE(jsonTotal, 1201);
    QVERIFY(jsonSteps >= 3); // 500, 1000, and the end
    QJsonParseError error;
    const QJsonArray rows = QJsonDocument::fromJson(json, &error).array();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(rows.size(), 1201);
    QCOMPARE(rows.first().toObject(), (QJsonObject{{"time", "1970-01-12T13:46:40.000Z"},
                                                   {"kind", "follow"},
                                                   {"user_login", "loginf0"},
                                                   {"display_name", "Namef0"},
                                                   {"amount", 1},
                                                   {"message", ""}}));
    QCOMPARE(rows.at(100)["kind"].toString(), QStringLiteral("cheer")); // the second of f100: by key
    QCOMPARE(rows.at(100)["message"].toString(), cheer.message);
    QCOMPARE(rows.last()["user_login"].toString(), QStringLiteral("loginf1199"));
    // Nothing in the period: a valid, empty file.
    FeedExport none;
    QSignalSpy finished(&none, &FeedExport::finished);
    none.start({store->path(),
                {"1001", QDateTime::fromSecsSinceEpoch(1), QDateTime::fromSecsSinceEpoch(2), {}},
                ExportFormat::Json,
                dir.filePath("none.json")});
    QVERIFY(finished.wait(10000));
    QVERIFY(finished.at(0).at(0).toBool());
    QFile empty(dir.filePath("none.json"));
    QVERIFY(empty.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(empty.readAll()).array().size(), 0);
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
