// relay-bench: drives streams-relay processes from outside (their command line, environment, HTTP routes
// and wire protocol v1 only, so it measures today's relay and any rewrite alike) with twitch-sim for tokens
// and subscriptions, and prints the figures issues 10 and 11 set targets for, each next to its target. Every
// intake webhook goes to a broadcaster with subscribed clients and counts only once they have it; CPU is the
// whole relay process's. A measurement, not a test: it fails only when it cannot measure.
//
//   relay-bench [--clients N] [--idle-clients N[,M...]] [--seconds S] [--runs N] [--subscribers N]
//               [--fanout-runs N] [--fanout-resets] [--only fanout|intake|delivery] [--durability fsync|os]
//               [--relays N] [--postgres] [--relay PATH] [--relay-env NAME=VALUE]... [--quick]
//
// By default one relay on SQLite. --postgres starts a PostgreSQL and a Redis of the bench's own (the test
// suites' servers, tests/support/dbservers.h) and runs the relays on them; --relays N (implies --postgres)
// starts N relays on one database and one Redis and spreads the clients and webhook connections over them
// round-robin. It then also prints the CPU of PostgreSQL's and Redis's processes, PostgreSQL's commits and
// Redis's commands per webhook.
//
// It exits 1 when a relay crashed, did not exit cleanly on SIGTERM or wrote a sanitizer's report to its
// stderr, and with --fanout-resets when a client that stayed connected missed a fan-out event.

#include "benchsupport.h"
#include "engines.h"
#include "relayrun.h"
#include "serverprocess.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <sys/resource.h>

using namespace streams::bench;
using streams::test::ServerProcess;

int main(int argc, char *argv[]) {
    rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Measures a streams-relay process from outside: memory per idle client, fan-out, intake (webhooks "
        "stored, acknowledged and delivered to a subscribed client) and the relay's CPU per delivered "
        "webhook at several numbers of idle clients, acknowledgement and delivery latency. With --postgres "
        "or "
        "--relays N: N relays on a PostgreSQL and a Redis the bench starts, clients and webhooks spread over "
        "them, and also PostgreSQL's and Redis's CPU, commits/s and commands/s per webhook (on a small "
        "machine more relays show the shared engines' overhead, not more throughput).");
    parser.addHelpOption();
    const QCommandLineOption clientsOpt("clients", "Idle clients for fan-out and memory.", "N", "10000");
    const QCommandLineOption idleOpt(
        "idle-clients",
        "Idle clients during intake, one number or several (1000,10000): with several, intake is measured at "
        "each and the relay's CPU per webhook compared. Default: a tenth of --clients and --clients.",
        "N[,M]");
    const QCommandLineOption secondsOpt("seconds", "Length of each timed phase.", "S", "5");
    const QCommandLineOption runsOpt(
        "runs", "Repeat everything N times (a fresh relay each) and print ranges.", "N", "1");
    const QCommandLineOption subscribersOpt(
        "subscribers", "Clients subscribed to the intake broadcaster (default: one per relay).", "N");
    const QCommandLineOption quickOpt("quick", "Small numbers: checks that the benchmark itself works.");
    const QCommandLineOption durabilityOpt("durability", "The relay's STREAMS_RELAY_DURABILITY: fsync or os.",
                                           "MODE", "fsync");
    // 15: on a 2-vCPU machine single fan-outs swing by ±20 %; the median of 15 moves by a few per cent.
    const QCommandLineOption fanoutRunsOpt("fanout-runs", "How many times the fan-out is measured.", "N",
                                           "15");
    const QCommandLineOption fanoutResetsOpt(
        "fanout-resets",
        "In each fan-out run, reset (RST) half of the idle clients as the event starts to arrive, while the "
        "relay is still writing it; every client that stays connected must receive it (exit status 1 if one "
        "does not).");
    const QCommandLineOption onlyOpt("only", "Run one phase (for profiling it): fanout, intake or delivery.",
                                     "PHASE");
    const QCommandLineOption relayOpt("relay", "The relay program to measure.", "PATH",
                                      QStringLiteral(STREAMS_RELAY_PATH));
    const QCommandLineOption relayEnvOpt("relay-env", "An environment setting for the relay (repeatable).",
                                         "NAME=VALUE");
    const QCommandLineOption relaysOpt("relays",
                                       "Relay processes on one PostgreSQL database and one Redis (more than "
                                       "one implies --postgres); clients "
                                       "and webhook connections are spread over them round-robin.",
                                       "N", "1");
    const QCommandLineOption postgresOpt(
        "postgres", "Start a PostgreSQL and a Redis of the bench's own and run the relays on them "
                    "(STREAMS_RELAY_DATABASE_URL, STREAMS_RELAY_REDIS_URL); default: SQLite.");
    parser.addOptions({clientsOpt, idleOpt, secondsOpt, runsOpt, subscribersOpt, quickOpt, durabilityOpt,
                       fanoutRunsOpt, fanoutResetsOpt, onlyOpt, relayOpt, relayEnvOpt, relaysOpt,
                       postgresOpt});
    parser.process(app);

    RunOptions o;
    o.quick = parser.isSet(quickOpt);
    o.clients = o.quick ? 200 : parser.value(clientsOpt).toInt();
    o.seconds = o.quick ? 1 : parser.value(secondsOpt).toInt();
    const int runs = o.quick ? 1 : qMax(1, parser.value(runsOpt).toInt());
    o.relays = parser.value(relaysOpt).toInt();
    if (o.relays < 1 || o.relays > 16) {
        std::fprintf(stderr, "relay-bench: --relays takes 1 to 16\n");
        return 2;
    }
    o.postgres = o.relays > 1 || parser.isSet(postgresOpt);
    o.subscribers =
        qBound(1, parser.isSet(subscribersOpt) ? parser.value(subscribersOpt).toInt() : o.relays, 50);
    o.fanoutRuns = o.quick ? 1 : qMax(1, parser.value(fanoutRunsOpt).toInt());
    o.fanoutResets = parser.isSet(fanoutResetsOpt);
    o.broadcasters = o.quick ? 10 : 100;
    o.only = parser.value(onlyOpt);
    o.durability = parser.value(durabilityOpt);
    o.relayPath = parser.value(relayOpt);
    o.relayEnv = parser.values(relayEnvOpt);
    if (parser.isSet(idleOpt) && !o.quick) {
        for (const QString &part : parser.value(idleOpt).split(',')) {
            bool ok = false;
            const int n = part.trimmed().toInt(&ok);
            if (!ok || n < 0) {
                std::fprintf(stderr, "relay-bench: --idle-clients takes whole numbers: %s\n",
                             qPrintable(parser.value(idleOpt)));
                return 2;
            }
            o.idleLevels.push_back(n);
        }
    } else {
        o.idleLevels = {o.clients / 10, o.clients};
    }
    std::sort(o.idleLevels.begin(), o.idleLevels.end());
    o.idleLevels.erase(std::unique(o.idleLevels.begin(), o.idleLevels.end()), o.idleLevels.end());
    o.clients = std::max(o.clients, o.idleLevels.back());
    if (o.clients < 1 || o.seconds < 1) {
        std::fprintf(stderr, "relay-bench: --clients and --seconds must be at least 1\n");
        return 2;
    }
    if (!o.only.isEmpty() && o.only != u"fanout" && o.only != u"intake" && o.only != u"delivery") {
        std::fprintf(stderr, "relay-bench: --only takes fanout, intake or delivery\n");
        return 2;
    }
    for (const QString &setting : o.relayEnv)
        if (!setting.contains('=')) {
            std::fprintf(stderr, "relay-bench: --relay-env takes NAME=VALUE, got %s\n", qPrintable(setting));
            return 2;
        }

    QTemporaryDir dir;
    // A world with enough broadcasters: 2000 is the fan-out room, 2001 takes the intake, all take deliveries.
    QJsonArray users;
    for (int i = 0; i < o.broadcasters; ++i) {
        const QString id = QString::number(kFirstBroadcaster + i);
        users.append(QJsonObject{{"id", id},
                                 {"login", "bench" + id},
                                 {"display_name", "Bench" + id},
                                 {"profile_image", "lumenwave.svg"},
                                 {"stream", QJsonObject{{"live", false}}}});
    }
    QFile world(dir.filePath("world.json"));
    if (!world.open(QIODevice::WriteOnly)) {
        std::fprintf(stderr, "relay-bench: cannot write %s\n", qPrintable(world.fileName()));
        return 1;
    }
    world.write(QJsonDocument(QJsonObject{{"users", users}}).toJson());
    world.close();
    ServerProcess sim(QStringLiteral(TWITCH_SIM_PATH), {"--world", world.fileName()});
    if (!sim.start()) {
        std::fprintf(stderr, "relay-bench: twitch-sim did not start\n");
        return 1;
    }
    SharedEngines engines;
    if (o.postgres) {
        QString why;
        if (!engines.start(&why)) {
            std::fprintf(stderr, "relay-bench: %s\n", qPrintable(why));
            return 1;
        }
    }
    std::vector<QString> tokens;
    for (int i = 0; i < o.broadcasters; ++i) {
        QUrl url = sim.url().resolved(QUrl(QStringLiteral("/sim/users/%1/token").arg(kFirstBroadcaster + i)));
        url.setQuery("scopes=moderator%3Aread%3Afollowers");
        tokens.push_back(QJsonDocument::fromJson(streams::test::httpPost(url, {}).body)
                             .object()
                             .value("access_token")
                             .toString());
    }

    QStringList levels;
    for (const int n : o.idleLevels)
        levels << grouped(n);
    std::printf(
        "relay-bench: %s, %s idle clients (intake at %s), %d s phases, %d subscriber(s), durability %s, "
        "%d run(s), %d cores, Qt %s\n",
        qPrintable(o.relayPath), qPrintable(grouped(o.clients)),
        qPrintable(levels.join(QStringLiteral(" and "))), o.seconds, o.subscribers, qPrintable(o.durability),
        runs, QThread::idealThreadCount(), qVersion());
    if (o.postgres) {
        std::printf("%d relay(s) on PostgreSQL %s (postmaster pid %lld) and Redis (%s, pid %lld), a fresh "
                    "database each run\n",
                    o.relays, qPrintable(engines.postgresVersion()), engines.postmasterPid(),
                    qPrintable(engines.redisUrl().toString()), engines.redisPid());
        if (o.relays > 1)
            std::printf(
                "NOTE: the %d relays, PostgreSQL, Redis, twitch-sim and this load generator all share "
                "these %d cores: on a 2-vCPU machine more relays show the overhead of the shared "
                "engines (the cost per webhook), not more throughput. More relays add throughput only "
                "when each gets cores of its own.\n",
                o.relays, QThread::idealThreadCount());
    } else {
        std::printf("event log: SQLite in the relay's data directory\n");
    }
    std::fflush(stdout);

    Figures figures;
    if (o.postgres)
        figures.setNameWidth(o.relays > 1 ? 90 : 78); // the engines' figures have longer names
    qint64 undelivered = 0;
    qint64 disordered = 0;
    qint64 missedAfterResets = 0;
    bool relayFaulted = false;
    for (int i = 0; i < runs; ++i) {
        std::printf("\nRun %d of %d\n", i + 1, runs);
        RelayRun run(o, sim, tokens, dir.filePath(QStringLiteral("relay-%1").arg(i)), figures,
                     o.postgres ? &engines : nullptr, QStringLiteral("relaybench_%1").arg(i));
        const bool ok = run.exec();
        undelivered += run.undelivered();
        disordered += run.disordered();
        missedAfterResets += run.missedAfterResets();
        relayFaulted = relayFaulted || run.relayFaulted();
        if (!ok) {
            std::fprintf(stderr, "relay-bench: run %d could not measure; stopping\n", i + 1);
            return 1;
        }
    }
    if (runs > 1)
        figures.printRanges(runs);
    if (undelivered > 0)
        std::printf("\nrelay-bench: %s deliveries of acknowledged webhooks NEVER ARRIVED (see above)\n",
                    qPrintable(grouped(undelivered)));
    else
        std::printf("\nrelay-bench: every acknowledged webhook reached every client subscribed to it\n");
    if (disordered > 0)
        std::printf("relay-bench: %s EVENTS CAME TWICE OR OUT OF seq ORDER TO A CLIENT (see above)\n",
                    qPrintable(grouped(disordered)));
    else
        std::printf("relay-bench: no client received an event twice or out of seq order\n");
    if (o.fanoutResets && missedAfterResets > 0)
        std::printf("relay-bench: %s FAN-OUT EVENTS NEVER REACHED CLIENTS THAT STAYED CONNECTED WHILE OTHERS "
                    "WERE RESET\n",
                    qPrintable(grouped(missedAfterResets)));
    else if (o.fanoutResets && o.wants("fanout"))
        std::printf("relay-bench: every client that stayed connected while others were reset received every "
                    "fan-out event\n");
    if (relayFaulted)
        std::printf("relay-bench: THE RELAY CRASHED, DID NOT EXIT CLEANLY OR REPORTED A SANITIZER FINDING "
                    "(see above)\n");
    sim.terminate();
    return (o.fanoutResets && missedAfterResets > 0) || relayFaulted ? 1 : 0;
}
