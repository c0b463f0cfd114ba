// feed-bench: 10,000 events a second for 5 s through the local store, the feed model and the real feed view
// (FeedPanel: filter chips, list, delegate painting, pill), as the relay client delivers them; prints
// throughput and the longest event-loop stall (target: ≤ 16 ms, none lost). Run it with a display, or with
// QT_QPA_PLATFORM=offscreen.

#include "feed/feedmodel.h"
#include "feedpanel.h"
#include "store/localstore.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QListView>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

using namespace streams::app;

int main(int argc, char *argv[]) {
    QApplication app(argc, argv);
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    const int perSecond = 10000;
    const int seconds = quick ? 1 : 5;
    QTemporaryDir dir;
    auto opened = LocalStore::open(dir.path());
    if (!opened.store) {
        std::fprintf(stderr, "feed-bench: %s\n", qPrintable(opened.error));
        return 1;
    }
    LocalStore &store = *opened.store;
    FeedModel model(nullptr, perSecond * seconds);
    // The view as the stream page has it, shown, so every update is laid out and painted.
    streams::ui::FeedPanel panel(model);
    panel.resize(480, 800);
    panel.show();
    int paints = 0;
    struct PaintCounter : QObject {
        int *count;
        explicit PaintCounter(int *c)
            : count(c) {}
        bool eventFilter(QObject *, QEvent *e) override {
            if (e->type() == QEvent::Paint)
                ++*count;
            return false;
        }
    } paintCounter(&paints);
    panel.view()->viewport()->installEventFilter(&paintCounter);
    int modelSignals = 0;
    QObject::connect(&model, &QAbstractItemModel::rowsInserted, [&] { ++modelSignals; });
    QObject::connect(&model, &QAbstractItemModel::modelReset, [&] { ++modelSignals; });

    // The stall probe: a 1 ms timer; the longest gap between its ticks is the worst freeze a window would
    // see.
    QElapsedTimer probeClock;
    qint64 lastTick = 0, worstStallUs = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 now = probeClock.nsecsElapsed() / 1000;
        if (lastTick > 0)
            worstStallUs = qMax(worstStallUs, now - lastTick);
        lastTick = now;
    });

    // Producer: every millisecond, the events due by now, written in one transaction with the cursor on the
    // store's thread (as RelayClient does with the frames of one burst), then handed to the model.
    int produced = 0, stored = 0;
    qint64 worstInsertUs = 0;
    const int total = perSecond * seconds;
    QElapsedTimer clock;
    QTimer producer;
    producer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&producer, &QTimer::timeout, [&] {
        const int due = qMin(total, int(clock.elapsed() * perSecond / 1000));
        QList<FeedEvent> incoming;
        for (; produced < due; ++produced) {
            FeedEvent e;
            e.key = QStringLiteral("bench:%1").arg(produced);
            e.broadcasterId = QStringLiteral("1001");
            e.kind = QStringLiteral("follow");
            e.userId = QString::number(100000 + produced);
            e.userLogin = QStringLiteral("bot%1").arg(produced);
            e.userName = e.userLogin;
            e.occurredAt = QDateTime::currentDateTimeUtc();
            e.source = QStringLiteral("relay");
            incoming.append(e);
        }
        const qint64 submittedUs = clock.nsecsElapsed() / 1000;
        store.write(incoming,
                    LocalStore::CursorUpdate{QStringLiteral("1001"), RelayCursor{"bench", produced}}, &app,
                    [&, submittedUs](const QList<FeedEvent> &added) {
                        worstInsertUs = qMax(worstInsertUs, clock.nsecsElapsed() / 1000 - submittedUs);
                        stored += int(added.size());
                        model.add(added);
                        if (stored >= total)
                            QTimer::singleShot(200, &app, &QApplication::quit);
                    });
        if (produced >= total)
            producer.stop();
    });
    probeClock.start();
    clock.start();
    probe.start(1);
    producer.start(1);
    app.exec();
    model.flush();
    const double elapsed = clock.elapsed() / 1000.0;
    std::printf("feed-bench: %d events in %.2f s (%.0f/s) through store and model\n", produced, elapsed,
                produced / elapsed);
    std::printf("%-50s %-14s target %s\n", "rows in the model / stored / produced",
                qPrintable(QStringLiteral("%1 / %2 / %3").arg(model.rowCount()).arg(stored).arg(produced)),
                "all equal (nothing dropped)");
    std::printf("%-50s %-14s target %s\n", "model update signals", qPrintable(QString::number(modelSignals)),
                "a few per second, never one per event");
    std::printf("%-50s %-14s target %s\n", "feed view repaints", qPrintable(QString::number(paints)),
                "(the real view was drawn)");
    std::printf("%-50s %-14s target %s\n", "longest event-loop stall",
                qPrintable(QString::asprintf("%.1f ms", worstStallUs / 1000.0)), "<= 16 ms");
    std::printf("%-50s %-14s target %s\n", "longest wait from arrival to stored (store thread)",
                qPrintable(QString::asprintf("%.1f ms", worstInsertUs / 1000.0)), "(off the event loop)");
    return model.rowCount() == produced && stored == produced && paints > 0 ? 0 : 1;
}
