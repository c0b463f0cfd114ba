#include "twitch/chatevents.h"
#include "twitch/ircmessage.h"

#include <QFile>
#include <QTest>

using namespace streams::app;

namespace {

QStringList docLines() {
    QFile f(QStringLiteral(GOLDEN_DIR "/irc-doc-examples.txt"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing golden file");
    return QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

ChatEvent only(ChatEventAssembler &a, const QString &line) {
    const auto m = parseIrcLine(line);
    if (!m)
        qFatal("unparsable golden line");
    const auto events = a.feed(*m);
    if (events.size() != 1)
        qFatal("expected one event, got %d", int(events.size()));
    return events.front();
}

QString subgiftLine(int n, const QString &bombId) {
    return QStringLiteral(
               "@display-name=Gifter;id=gift-%1;login=gifter;msg-id=subgift;msg-param-community-gift-id=%2;"
               "msg-param-recipient-display-name=R%1;msg-param-recipient-id=9%1;"
               "msg-param-recipient-user-name=r%1;msg-param-sub-plan=1000;room-id=1001;tmi-sent-ts=1;"
               "user-id=77 :tmi.twitch.tv USERNOTICE #lumenwave")
        .arg(n)
        .arg(bombId);
}

} // namespace

class TestChat : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesTagsPrefixCommandParams();
    void unescapesTagValues_data();
    void unescapesTagValues();
    void splitsFramesIntoLines();
    void cheerFromDocs();
    void resubFromDocs();
    void subgiftFromDocs();
    void raidFromDocs();
    void giftBombIsOneEvent();
    void plainChatAndOtherNoticesAreNotEvents();
    void hostileLinesNeverCrash();
};

void TestChat::parsesTagsPrefixCommandParams() {
    const auto m = parseIrcLine(docLines().at(0));
    QVERIFY(m);
    QCOMPARE(m->command, QStringLiteral("PRIVMSG"));
    QCOMPARE(m->prefix, QStringLiteral("ronni!ronni@ronni.tmi.twitch.tv"));
    QCOMPARE(m->nick(), QStringLiteral("ronni"));
    QCOMPARE(m->params, QStringList({"#ronni", "cheer100"}));
    QCOMPARE(m->tag("bits"), QStringLiteral("100"));
    QCOMPARE(m->tag("badges"), QStringLiteral("staff/1,bits/1000"));
    QVERIFY(m->tags.contains("color"));
    QCOMPARE(m->tag("color"), QString());

    const auto ping = parseIrcLine(u"PING :tmi.twitch.tv\r\n");
    QVERIFY(ping);
    QCOMPARE(ping->command, QStringLiteral("PING"));
    QCOMPARE(ping->trailing(), QStringLiteral("tmi.twitch.tv"));
    const auto welcome = parseIrcLine(u":tmi.twitch.tv 001 justinfan123 :Welcome, GLHF!");
    QVERIFY(welcome);
    QCOMPARE(welcome->command, QStringLiteral("001"));
    QCOMPARE(welcome->params, QStringList({"justinfan123", "Welcome, GLHF!"}));
}

void TestChat::unescapesTagValues_data() {
    QTest::addColumn<QString>("raw");
    QTest::addColumn<QString>("expected");
    QTest::newRow("space") << "a\\sb"
                           << "a b";
    QTest::newRow("semicolon") << "a\\:b"
                               << "a;b";
    QTest::newRow("backslash") << "a\\\\b"
                               << "a\\b";
    QTest::newRow("cr lf") << "a\\r\\nb"
                           << "a\r\nb";
    QTest::newRow("unknown escape drops backslash") << "a\\xb"
                                                    << "axb";
    QTest::newRow("trailing lone backslash") << "ab\\"
                                             << "ab";
    QTest::newRow("nothing to do") << "plain"
                                   << "plain";
}

void TestChat::unescapesTagValues() {
    QFETCH(QString, raw);
    QFETCH(QString, expected);
    QCOMPARE(unescapeTagValue(raw), expected);
    // Unescaping happens after splitting: an escaped ';' does not end the tag.
    const auto m = parseIrcLine(QStringLiteral("@k=%1;z=1 :x PRIVMSG #c :hi").arg(raw));
    QVERIFY(m);
    QCOMPARE(m->tag("k"), expected);
    QCOMPARE(m->tag("z"), QStringLiteral("1"));
}

void TestChat::splitsFramesIntoLines() {
    const QStringList lines =
        splitIrcLines(QStringLiteral("PING :tmi.twitch.tv\r\n:a PRIVMSG #b :c\r\n\r\n"));
    QCOMPARE(lines, QStringList({"PING :tmi.twitch.tv", ":a PRIVMSG #b :c"}));
}

void TestChat::cheerFromDocs() {
    ChatEventAssembler a;
    const ChatEvent e = only(a, docLines().at(0));
    QCOMPARE(e.kind, QStringLiteral("cheer"));
    QCOMPARE(e.amount, 100);
    QCOMPARE(e.user.login, QStringLiteral("ronni"));
    QCOMPARE(e.user.id, QStringLiteral("12345678"));
    QCOMPARE(e.channelId, QStringLiteral("12345678"));
    QCOMPARE(e.id, QStringLiteral("b34ccfc7-4977-403a-8a94-33c6bac34fb8"));
    QCOMPARE(e.message, QStringLiteral("cheer100"));
    QCOMPARE(e.at.toMSecsSinceEpoch(), 1507246572675);
}

void TestChat::resubFromDocs() {
    ChatEventAssembler a;
    const ChatEvent e = only(a, docLines().at(1));
    QCOMPARE(e.kind, QStringLiteral("resub"));
    QCOMPARE(e.amount, 6);
    QCOMPARE(e.tier, QStringLiteral("Prime"));
    QCOMPARE(e.message, QStringLiteral("Great stream -- keep it up!"));
    QCOMPARE(e.systemMessage, QStringLiteral("ronni has subscribed for 6 months!"));
    QCOMPARE(e.user.id, QStringLiteral("87654321"));
}

void TestChat::subgiftFromDocs() {
    ChatEventAssembler a;
    const ChatEvent e = only(a, docLines().at(2));
    QCOMPARE(e.kind, QStringLiteral("subgift"));
    QCOMPARE(e.user.name, QStringLiteral("TWW2"));
    QCOMPARE(e.recipient.login,
             QStringLiteral("mr_woodchuck")); // msg-param-recipient-name, as in the example
    QCOMPARE(e.recipient.name, QStringLiteral("Mr_Woodchuck"));
    QCOMPARE(e.recipient.id, QStringLiteral("55554444"));
    QCOMPARE(e.tier, QStringLiteral("1000"));
    QCOMPARE(e.channelId, QStringLiteral("19571752"));
}

void TestChat::raidFromDocs() {
    ChatEventAssembler a;
    const ChatEvent e = only(a, docLines().at(3));
    QCOMPARE(e.kind, QStringLiteral("raid"));
    QCOMPARE(e.amount, 15); // msg-param-viewerCount
    QCOMPARE(e.user.login, QStringLiteral("testchannel"));
    QCOMPARE(e.user.name, QStringLiteral("TestChannel"));
    QCOMPARE(e.systemMessage, QStringLiteral("15 raiders from TestChannel have joined\n!"));
}

void TestChat::giftBombIsOneEvent() {
    ChatEventAssembler a;
    const QString bomb = QStringLiteral(
        "@display-name=Gifter;id=bomb-1;login=gifter;msg-id=submysterygift;msg-param-mass-gift-count=5;"
        "msg-param-community-gift-id=1234567;msg-param-sub-plan=1000;room-id=1001;tmi-sent-ts=1;user-id=77 "
        ":tmi.twitch.tv USERNOTICE #lumenwave");
    const ChatEvent e = only(a, bomb);
    QCOMPARE(e.kind, QStringLiteral("giftbomb"));
    QCOMPARE(e.amount, 5);
    QCOMPARE(a.pendingGiftBombs(), 1);
    int emitted = 0;
    for (int i = 0; i < 5; ++i)
        emitted += int(a.feed(*parseIrcLine(subgiftLine(i, "1234567"))).size());
    QCOMPARE(emitted, 0); // the five gifts are the bomb's, already counted
    QCOMPARE(a.pendingGiftBombs(), 0);
    // A later single gift (another community id, or none) is its own event.
    QCOMPARE(a.feed(*parseIrcLine(subgiftLine(9, "7654321"))).size(), std::size_t(1));
}

void TestChat::plainChatAndOtherNoticesAreNotEvents() {
    ChatEventAssembler a;
    QVERIFY(a.feed(*parseIrcLine(u"@id=x;room-id=1 :a!a@a PRIVMSG #c :hello")).empty());
    QVERIFY(a.feed(*parseIrcLine(u"@id=x;bits=0;room-id=1 :a!a@a PRIVMSG #c :cheer0")).empty());
    QVERIFY(a.feed(*parseIrcLine(u"@msg-id=announcement;id=y :tmi.twitch.tv USERNOTICE #c :hi")).empty());
    QVERIFY(a.feed(*parseIrcLine(u"@msg-id=some-future-thing;id=z :tmi.twitch.tv USERNOTICE #c")).empty());
    QVERIFY(a.feed(*parseIrcLine(u"PING :tmi.twitch.tv")).empty());
}

void TestChat::hostileLinesNeverCrash() {
    QVERIFY(!parseIrcLine(u""));
    QVERIFY(!parseIrcLine(u"@"));
    QVERIFY(!parseIrcLine(u"@a=b"));
    QVERIFY(!parseIrcLine(u":prefix-only"));
    QVERIFY(!parseIrcLine(u"   "));
    QVERIFY(!parseIrcLine(QString(kMaxIrcLine + 1, QLatin1Char('a'))));
    // Every prefix and many single-character corruptions of the documented lines.
    ChatEventAssembler a;
    int parsed = 0;
    for (const QString &line : docLines()) {
        for (qsizetype i = 0; i < line.size(); ++i) {
            if (const auto m = parseIrcLine(line.left(i))) {
                a.feed(*m);
                ++parsed;
            }
            for (QChar c :
                 {QChar(u'\\'), QChar(u';'), QChar(u'='), QChar(u' '), QChar(u':'), QChar(u'@'), QChar(0)}) {
                QString mutated = line;
                mutated[i] = c;
                if (const auto m = parseIrcLine(mutated))
                    a.feed(*m);
            }
        }
    }
    QVERIFY(parsed > 0);
    QVERIFY(a.pendingGiftBombs() <= 256);
}

QTEST_GUILESS_MAIN(TestChat)
#include "tst_chat.moc"
