// The retry delays every reconnecting client and every retried Twitch call uses (platform/backoff.h), with a
// scripted random source in place of QRandomGenerator.

#include "platform/backoff.h"

#include <QTest>

using namespace std::chrono_literals;
using streams::Backoff;

namespace {

// Hands out scripted draws and remembers the bound each was asked for.
struct ScriptedRandom {
    QList<quint32> draws;
    QList<quint32> bounds;
    Backoff::Random source() {
        return [this](quint32 bound) {
            bounds.append(bound);
            return draws.isEmpty() ? 0 : draws.takeFirst();
        };
    }
};

QList<qint64> take(Backoff &backoff, int n) {
    QList<qint64> out;
    for (int i = 0; i < n; ++i)
        out.append(backoff.next().count());
    return out;
}

} // namespace

class TestBackoff : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void doublesUpToTheCap() {
        Backoff backoff({1s, 60s});
        QCOMPARE(backoff.failures(), 0);
        QCOMPARE(take(backoff, 9),
                 QList<qint64>({1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000}));
        QCOMPARE(backoff.failures(), 9);
    }

    void aCapBetweenTwoDoublings() {
        Backoff backoff({5s, 60s}); // the main window's relay check
        QCOMPARE(take(backoff, 6), QList<qint64>({5000, 10000, 20000, 40000, 60000, 60000}));
    }

    void resetStartsOver() {
        Backoff backoff({200ms, 1s});
        QCOMPARE(take(backoff, 4), QList<qint64>({200, 400, 800, 1000}));
        backoff.reset();
        QCOMPARE(backoff.failures(), 0);
        QCOMPARE(take(backoff, 2), QList<qint64>({200, 400}));
    }

    void jitterAddsAtMostItsShare() {
        ScriptedRandom random;
        // The largest draw, none, one in between, and one out of range (held to the bound).
        random.draws = {250, 0, 300, 999999};
        Backoff backoff({1s, 60s, 25}, random.source());
        QCOMPARE(take(backoff, 4), QList<qint64>({1250, 2000, 4300, 10000}));
        QCOMPARE(random.bounds, QList<quint32>({250, 500, 1000, 2000}));
    }

    void jitterOnTheCappedDelay() {
        ScriptedRandom random;
        random.draws = {0, 0, 15000};
        Backoff backoff({30s, 60s, 25}, random.source());
        QCOMPARE(take(backoff, 3), QList<qint64>({30000, 60000, 75000}));
        QCOMPARE(random.bounds, QList<quint32>({7500, 15000, 15000}));
    }

    void noJitterAsksForNoRandomNumber() {
        ScriptedRandom random;
        Backoff backoff({1s, 4s}, random.source());
        take(backoff, 5);
        QVERIFY(random.bounds.isEmpty());
    }

    void realRandomStaysInRange() {
        Backoff backoff({1s, 8s, 25});
        for (int round = 0; round < 200; ++round) {
            backoff.reset();
            for (const qint64 base : {1000, 2000, 4000, 8000, 8000}) {
                const qint64 delay = backoff.next().count();
                QVERIFY2(delay >= base && delay <= base + base / 4, qPrintable(QString::number(delay)));
            }
        }
    }

    void baseIsThePlainSequence() {
        const Backoff::Policy policy{500ms, 4s};
        QCOMPARE(policy.base(0).count(), 500);
        QCOMPARE(policy.base(1).count(), 1000);
        QCOMPARE(policy.base(3).count(), 4000);
        QCOMPARE(policy.base(4).count(), 4000);
        QCOMPARE(policy.base(100000).count(), 4000); // no overflow however long it has failed
    }
};

QTEST_GUILESS_MAIN(TestBackoff)
#include "tst_backoff.moc"
