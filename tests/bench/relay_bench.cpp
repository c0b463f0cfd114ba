// relay-bench: drives a real streams-relay (and twitch-sim for tokens and subscriptions) on 127.0.0.1 and
// prints the figures issue 3 sets targets for. A measurement, not a test: it prints, it does not judge.
//
//   relay-bench [--clients N] [--seconds S] [--durability fsync|os] [--fanout-runs N] [--fanout-only]
//   [--quick]

#include "eventsub/webhook.h"
#include "serverprocess.h"
#include "wsfleet.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QMutex>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

using namespace streams::test;

namespace {

const QByteArray kSecret = "bench-webhook-secret-0123456789";
const QString kClientId = QStringLiteral("simclient0000000000000000000001");

qint64 nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Waits in the event loop (blocking in poll, not spinning: the relay needs the CPU).
void spinFor(int ms) {
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

bool spinUntil(const std::function<bool()> &done, int timeoutMs) {
    if (done())
        return true;
    QEventLoop loop;
    QTimer check;
    check.setTimerType(Qt::PreciseTimer);
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    check.start(2);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return done();
}

double percentile(std::vector<qint64> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const std::size_t i = std::min(v.size() - 1, std::size_t(p * double(v.size())));
    return double(v[i]) / 1e6;
}

qint64 rssKiB(qint64 pid) {
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    return -1;
}

// CPU time used so far (user + system) by each of the relay's threads, by name ("hub-0", "hub-1"... count
// as "hub"), and by this process.
struct CpuSample {
    QMap<QString, qint64> relayThreadsUs;
    qint64 selfUs = 0;
};

qint64 statCpuUs(const QByteArray &stat, QString *name = nullptr) {
    // pid (comm) state ppid ... field 14 utime, 15 stime, in clock ticks; comm may hold spaces.
    const qsizetype open = stat.indexOf('(');
    const qsizetype close = stat.lastIndexOf(')');
    if (open < 0 || close < 0)
        return 0;
    if (name)
        *name = QString::fromUtf8(stat.mid(open + 1, close - open - 1));
    const QList<QByteArray> fields = stat.mid(close + 2).split(' '); // fields[0] is field 3 (state)
    if (fields.size() < 13)
        return 0;
    const qint64 ticks = fields[11].toLongLong() + fields[12].toLongLong();
    return ticks * 1000000 / ::sysconf(_SC_CLK_TCK);
}

CpuSample sampleCpu(qint64 relayPid) {
    CpuSample sample;
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(relayPid));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(tasks.filePath(tid + QStringLiteral("/stat")));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        QString name;
        const qint64 us = statCpuUs(f.readAll(), &name);
        if (name.startsWith(QLatin1String("hub-")))
            name = QStringLiteral("WebSocket threads");
        else if (name == u"streams-relay")
            name = QStringLiteral("intake thread");
        sample.relayThreadsUs[name] += us;
    }
    QFile self(QStringLiteral("/proc/self/stat"));
    if (self.open(QIODevice::ReadOnly))
        sample.selfUs = statCpuUs(self.readAll());
    return sample;
}

// One signed webhook request, as Twitch sends it.
QByteArray webhookRequest(const QString &broadcasterId, bool online, quint64 unique) {
    const QByteArray id = "bench-" + QByteArray::number(unique);
    const QByteArray ts = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
    QJsonObject event{{"broadcaster_user_id", broadcasterId},
                      {"broadcaster_user_login", "b" + broadcasterId},
                      {"broadcaster_user_name", "B" + broadcasterId}};
    QString type;
    if (online) {
        type = QStringLiteral("stream.online");
        event.insert("id", QString::number(unique));
        event.insert("type", "live");
        event.insert("started_at", QString::fromLatin1(ts));
    } else {
        type = QStringLiteral("channel.follow");
        event.insert("user_id", QString::number(900000 + unique));
        event.insert("user_login", "f" + QString::number(unique));
        event.insert("user_name", "F" + QString::number(unique));
        event.insert("followed_at", QString::fromLatin1(ts));
    }
    const QByteArray body =
        QJsonDocument(
            QJsonObject{{"subscription",
                         QJsonObject{{"id", "bench"},
                                     {"type", type},
                                     {"version", online ? "1" : "2"},
                                     {"status", "enabled"},
                                     {"condition", QJsonObject{{"broadcaster_user_id", broadcasterId}}}}},
                        {"event", event}})
            .toJson(QJsonDocument::Compact);
    return "POST /eventsub HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
           "application/json\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\nTwitch-Eventsub-Message-Id: " + id +
           "\r\nTwitch-Eventsub-Message-Retry: 0\r\nTwitch-Eventsub-Message-Type: notification"
           "\r\nTwitch-Eventsub-Message-Timestamp: " +
           ts + "\r\nTwitch-Eventsub-Message-Signature: " +
           streams::relay::webhookSignature(kSecret, id, ts, body) +
           "\r\nTwitch-Eventsub-Subscription-Type: " + type.toLatin1() + "\r\n\r\n" + body;
}

// Keep-alive webhook senders: closed loop (as fast as answers come) or paced (a fixed schedule).
class WebhookLoad {
public:
    WebhookLoad(const QUrl &relay, int connections) {
        for (int i = 0; i < connections; ++i) {
            auto c = std::make_unique<Conn>();
            c->socket.connectToHost(relay.host(), quint16(relay.port()));
            QObject::connect(&c->socket, &QTcpSocket::readyRead, [this, conn = c.get()] { onRead(*conn); });
            m_conns.push_back(std::move(c));
        }
        spinUntil(
            [this] {
                return std::all_of(m_conns.begin(), m_conns.end(), [](auto &c) {
                    return c->socket.state() == QAbstractSocket::ConnectedState;
                });
            },
            10000);
    }

    // Returns answered requests in `seconds` with every connection always busy.
    qint64 closedLoop(int seconds, const std::function<QByteArray()> &next) {
        m_next = next;
        m_answered = 0;
        m_failed = 0;
        m_open = true;
        for (auto &c : m_conns)
            send(*c, nowNs());
        spinFor(seconds * 1000);
        m_open = false;
        spinUntil(
            [this] { return std::none_of(m_conns.begin(), m_conns.end(), [](auto &c) { return c->busy; }); },
            10000);
        return m_answered;
    }

    // Sends `rate` requests per second for `seconds`; latency counts from the scheduled time.
    std::vector<qint64> paced(int rate, int seconds, const std::function<QByteArray()> &next,
                              std::function<void(qint64 scheduledNs)> onSend = {}) {
        m_next = next;
        m_latencies.clear();
        m_open = false;
        const qint64 start = nowNs();
        const qint64 interval = 1000000000LL / rate;
        const qint64 total = qint64(rate) * seconds;
        qint64 scheduled = 0;
        auto idle = [this] {
            return std::none_of(m_conns.begin(), m_conns.end(),
                                [](auto &c) { return c->busy || !c->queue.empty(); });
        };
        // A 1 ms tick releases what is due; an answer releases the next queued request at once.
        m_onIdleConn = [this](Conn &c) {
            if (!c.queue.empty()) {
                const qint64 at = c.queue.front();
                c.queue.pop_front();
                send(c, at);
            }
        };
        QEventLoop loop;
        QTimer tick;
        tick.setTimerType(Qt::PreciseTimer);
        QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
            const qint64 now = nowNs();
            while (scheduled < total && start + scheduled * interval <= now) {
                Conn &c = *m_conns[std::size_t(scheduled % qint64(m_conns.size()))];
                const qint64 at = start + scheduled * interval;
                c.queue.push_back(at);
                if (onSend)
                    onSend(at);
                ++scheduled;
                if (!c.busy)
                    m_onIdleConn(c);
            }
            if ((scheduled >= total && idle()) || now - start > qint64(seconds + 20) * 1000000000LL)
                loop.quit();
        });
        tick.start(1);
        loop.exec();
        m_onIdleConn = nullptr;
        return m_latencies;
    }
    qint64 failed() const { return m_failed; }

private:
    struct Conn {
        QTcpSocket socket;
        QByteArray buffer;
        bool busy = false;
        qint64 sentAt = 0;
        std::deque<qint64> queue;
    };
    void send(Conn &c, qint64 scheduled) {
        c.busy = true;
        c.sentAt = scheduled;
        c.socket.write(m_next());
    }
    void onRead(Conn &c) {
        c.buffer += c.socket.readAll();
        for (;;) {
            const qsizetype end = c.buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QByteArray head = c.buffer.left(end).toLower();
            qsizetype length = 0;
            const qsizetype cl = head.indexOf("content-length:");
            if (cl >= 0)
                length = head.mid(cl + 15, head.indexOf('\r', cl) - cl - 15).trimmed().toLongLong();
            if (c.buffer.size() < end + 4 + length)
                return;
            const bool ok = head.startsWith("http/1.1 2");
            c.buffer.remove(0, end + 4 + length);
            c.busy = false;
            ok ? ++m_answered : ++m_failed;
            m_latencies.push_back(nowNs() - c.sentAt);
            if (m_open)
                send(c, nowNs());
            else if (m_onIdleConn)
                m_onIdleConn(c);
        }
    }

    std::vector<std::unique_ptr<Conn>> m_conns;
    std::function<QByteArray()> m_next;
    std::function<void(Conn &)> m_onIdleConn;
    qint64 m_answered = 0;
    qint64 m_failed = 0;
    bool m_open = false;
    std::vector<qint64> m_latencies;
};

void report(const char *figure, const QString &value, const char *target) {
    std::printf("%-58s %-22s target %s\n", figure, qPrintable(value), target);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char *argv[]) {
    rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    qputenv("QT_NO_GLIB", "1"); // as the relay: the glib dispatcher is linear in the number of sockets
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption clientsOpt("clients", "Idle clients for intake, fan-out and memory.", "N",
                                        "10000");
    const QCommandLineOption secondsOpt("seconds", "Length of each timed phase.", "S", "5");
    const QCommandLineOption quickOpt("quick", "Small numbers: checks that the benchmark itself works.");
    const QCommandLineOption durabilityOpt("durability", "The relay's STREAMS_RELAY_DURABILITY: fsync or os.",
                                           "MODE", "fsync");
    const QCommandLineOption fanoutRunsOpt("fanout-runs", "How many times the fan-out is measured.", "N",
                                           "5");
    const QCommandLineOption onlyOpt("only", "Run one phase (for profiling it): fanout, intake or delivery.",
                                     "PHASE");
    parser.addOptions({clientsOpt, secondsOpt, quickOpt, durabilityOpt, fanoutRunsOpt, onlyOpt});
    parser.process(app);
    const bool quick = parser.isSet(quickOpt);
    const int clients = quick ? 200 : parser.value(clientsOpt).toInt();
    const int seconds = quick ? 1 : parser.value(secondsOpt).toInt();
    const int broadcasters = quick ? 10 : 100;
    const int fanoutRuns = quick ? 1 : qMax(1, parser.value(fanoutRunsOpt).toInt());
    const QString only = parser.value(onlyOpt);
    if (!only.isEmpty() && only != u"fanout" && only != u"intake" && only != u"delivery") {
        std::fprintf(stderr, "relay-bench: --only takes fanout, intake or delivery\n");
        return 2;
    }
    auto runs = [&](const char *phase) { return only.isEmpty() || only == QLatin1String(phase); };
    const int perBroadcaster = 10;

    QTemporaryDir dir;
    // A world with enough broadcasters.
    QJsonArray users;
    for (int i = 0; i < broadcasters; ++i) {
        const QString id = QString::number(2000 + i);
        users.append(QJsonObject{{"id", id},
                                 {"login", "bench" + id},
                                 {"display_name", "Bench" + id},
                                 {"profile_image", "lumenwave.svg"},
                                 {"stream", QJsonObject{{"live", false}}}});
    }
    QFile world(dir.filePath("world.json"));
    world.open(QIODevice::WriteOnly);
    world.write(QJsonDocument(QJsonObject{{"users", users}}).toJson());
    world.close();

    ServerProcess sim(QStringLiteral(TWITCH_SIM_PATH), {"--world", world.fileName()});
    if (!sim.start()) {
        std::fprintf(stderr, "relay-bench: twitch-sim did not start\n");
        return 1;
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TWITCH_AUTH_URL", sim.url().toString() + "/oauth2");
    env.insert("TWITCH_HELIX_URL", sim.url().toString() + "/helix");
    env.insert("TWITCH_CLIENT_ID", kClientId);
    env.insert("TWITCH_CLIENT_SECRET", "simsecret0000000000000000000001");
    env.insert("STREAMS_RELAY_WEBHOOK_SECRET", QString::fromLatin1(kSecret));
    env.insert("STREAMS_RELAY_DATA_DIR", dir.filePath("relay"));
    env.insert("STREAMS_RELAY_MAX_CONNECTIONS_PER_IP", "100000");
    env.insert("STREAMS_RELAY_DURABILITY", parser.value(durabilityOpt));
    env.insert("QT_LOGGING_RULES", "streams.relay.hub.info=false;streams.relay.webhook.info=false");
    ServerProcess relay(QStringLiteral(STREAMS_RELAY_PATH), {"--listen", "127.0.0.1:0"}, env);
    if (!relay.start() ||
        !spinUntil([&] { return httpGet(relay.url().resolved(QUrl("/readyz"))).status == 200; }, 15000)) {
        std::fprintf(stderr, "relay-bench: relay did not become ready: %s\n", relay.errors().constData());
        return 1;
    }
    const qint64 relayPid = relay.process().processId();

    std::vector<QString> tokens;
    for (int i = 0; i < broadcasters; ++i) {
        QUrl url = sim.url().resolved(QUrl(QStringLiteral("/sim/users/%1/token").arg(2000 + i)));
        url.setQuery("scopes=moderator%3Aread%3Afollowers");
        tokens.push_back(
            QJsonDocument::fromJson(httpPost(url, {}).body).object().value("access_token").toString());
    }
    std::printf("relay-bench: %d clients, %d s phases, durability %s, relay pid %lld, Qt %s\n", clients,
                seconds, qPrintable(parser.value(durabilityOpt)), relayPid, qVersion());
    std::fflush(stdout);

    // Memory and fan-out: `clients` authenticated clients in one room.
    const qint64 rssBefore = rssKiB(relayPid);
    streams::bench::WsFleet idle(relay.url());
    QElapsedTimer connectTimer;
    connectTimer.start();
    if (!idle.open(
            clients, [&](int i) { return tokens[std::size_t(i) % tokens.size()]; },
            [](int) { return QStringLiteral("2000"); })) {
        std::fprintf(stderr, "relay-bench: only %d of %d clients got subscribed\n", idle.ready(), clients);
        return 1;
    }
    spinFor(1000);
    const qint64 rssAfter = rssKiB(relayPid);
    std::printf("  %d clients connected and subscribed in %.1f s\n", clients,
                connectTimer.elapsed() / 1000.0);
    report("memory: resident growth per idle authenticated client",
           QString::asprintf("%.1f KiB", double(rssAfter - rssBefore) / clients), "<= 25 KiB");

    if (runs("fanout")) {
        // The same measurement a few times (a fresh event each time): one run can catch a stray stall.
        std::atomic<int> received{0};
        std::atomic<qint64> first{0};
        std::atomic<qint64> last{0};
        idle.onEvent([&](const QByteArray &, qint64 at) {
            if (received++ == 0)
                first = at;
            last = at;
        });
        WebhookLoad one(relay.url(), 1);
        quint64 unique = 1;
        std::vector<qint64> lastTimes;
        std::vector<qint64> firstTimes;
        for (int run = 0; run < fanoutRuns; ++run) {
            received = 0;
            const qint64 sent = nowNs();
            one.closedLoop(0, [&] { return webhookRequest("2000", true, unique++); });
            if (!spinUntil([&] { return received >= clients; }, 30000)) {
                std::printf("  fan-out run %d: only %d of %d clients received the event\n", run + 1,
                            received.load(), clients);
                break;
            }
            lastTimes.push_back(last.load() - sent);
            firstTimes.push_back(first.load() - sent);
            spinFor(300);
        }
        // The relay's own view: webhook received -> frame handed to the socket, from its latency histogram.
        const QByteArray metrics = httpGet(relay.url().resolved(QUrl("/metrics"))).body;
        QString relaySide = QStringLiteral("?");
        qint64 total = 0;
        for (const QByteArray &line : metrics.split('\n'))
            if (line.startsWith("streams_relay_delivery_latency_seconds_count "))
                total = line.mid(line.indexOf(' ') + 1).toLongLong();
        for (const QByteArray &line : metrics.split('\n'))
            if (line.startsWith("streams_relay_delivery_latency_seconds_bucket{le=\"") &&
                !line.contains("+Inf") && line.mid(line.lastIndexOf(' ') + 1).toLongLong() >= total) {
                const qsizetype q = line.indexOf('"') + 1;
                relaySide = QString::number(line.mid(q, line.indexOf('"', q) - q).toDouble() * 1000) + " ms";
                break;
            }
        report("fan-out, relay side: every frame handed over within", relaySide, "(histogram bucket)");
        if (int(lastTimes.size()) == fanoutRuns) {
            report(qPrintable(QStringLiteral("fan-out: one online event to all, last received, median of %1")
                                  .arg(fanoutRuns)),
                   QString::asprintf("%.1f ms", percentile(lastTimes, 0.5)), "<= 150 ms");
            std::printf("  (worst run %.1f ms; the first client had it after %.1f ms, median)\n",
                        percentile(lastTimes, 1.0), percentile(firstTimes, 0.5));
        }
        idle.onEvent({});
    }

    // Intake with the idle clients still connected (events go to other broadcasters' empty rooms). A side
    // thread watches the write-ahead log: under a steady stream of commits it must stay bounded.
    if (runs("intake")) {
        quint64 unique = 1000000;
        std::atomic<bool> intakeDone{false};
        std::atomic<qint64> largestWal{0};
        std::thread walWatch([&] {
            const QString wal = dir.filePath("relay/relay.sqlite3-wal");
            while (!intakeDone) {
                largestWal = qMax(largestWal.load(), QFileInfo(wal).size());
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        });
        // Requests are signed before the clock starts (a load generator on the same 2 cores should take
        // as little of them as it can); past the prepared ones they are made as they go.
        auto nextFollow = [&] {
            ++unique;
            return webhookRequest(QString::number(2001 + int(unique % quint64(broadcasters - 1))), false,
                                  unique);
        };
        auto prepared = [&](qsizetype n) {
            auto pool = std::make_shared<std::vector<QByteArray>>();
            pool->reserve(std::size_t(n));
            for (qsizetype i = 0; i < n; ++i)
                pool->push_back(nextFollow());
            return [pool, at = std::size_t(0), &nextFollow]() mutable {
                return at < pool->size() ? std::move((*pool)[at++]) : nextFollow();
            };
        };
        {
            WebhookLoad load(relay.url(), 32);
            auto pool = prepared(qsizetype(seconds) * 30000);
            const CpuSample before = sampleCpu(relayPid);
            const qint64 answered = load.closedLoop(seconds, pool);
            const CpuSample after = sampleCpu(relayPid);
            report("intake: stored webhooks/s, 32 keep-alive connections",
                   QString::asprintf("%.0f /s", double(answered) / seconds), ">= 20,000/s");
            // Where the CPU went, per stored webhook: what bounds the rate on this machine.
            if (answered > 0) {
                auto perEvent = [&](qint64 us) { return double(us) / double(answered); };
                double relayTotal = 0;
                QStringList parts;
                for (auto it = after.relayThreadsUs.cbegin(); it != after.relayThreadsUs.cend(); ++it) {
                    const double us = perEvent(it.value() - before.relayThreadsUs.value(it.key()));
                    relayTotal += us;
                    if (us >= 0.5)
                        parts << QStringLiteral("%1 %2").arg(it.key()).arg(us, 0, 'f', 0);
                }
                const double generator = perEvent(after.selfUs - before.selfUs);
                const int cores = QThread::idealThreadCount();
                std::printf("  CPU per stored webhook: relay %.0f us (%s), load generator %.0f us;\n"
                            "  %d cores fit at most ~%.0f /s with the generator here, ~%.0f /s without it\n",
                            relayTotal, qPrintable(parts.join(QStringLiteral(", "))), generator, cores,
                            cores * 1e6 / (relayTotal + generator), cores * 1e6 / relayTotal);
            }
            if (load.failed() > 0)
                std::printf("  (%lld requests were not answered 2xx)\n", load.failed());
            const int rate = quick ? 500 : 5000;
            const auto latencies = load.paced(rate, seconds, prepared(qsizetype(rate) * seconds));
            report(
                qPrintable(QStringLiteral("intake: acknowledgement latency at %1/s, p50 / p99").arg(rate)),
                QString::asprintf("%.2f / %.2f ms", percentile(latencies, 0.5), percentile(latencies, 0.99)),
                "p99 <= 10 ms");
        }
        intakeDone = true;
        walWatch.join();
        report("storage: largest write-ahead log during intake",
               QString::asprintf("%.0f MiB", double(largestWal.load()) / (1024 * 1024)),
               "bounded (~64 MiB + a burst)");
    }
    idle.closeAll();

    // Delivery: 10 clients for each broadcaster, 1,000 webhooks/s spread over them.
    if (runs("delivery")) {
        streams::bench::WsFleet fleet(relay.url());
        if (!fleet.open(
                broadcasters * perBroadcaster, [&](int i) { return tokens[std::size_t(i / perBroadcaster)]; },
                [&](int i) { return QString::number(2000 + i / perBroadcaster); })) {
            std::fprintf(stderr, "relay-bench: delivery fleet did not subscribe\n");
            return 1;
        }
        const int rate = quick ? 200 : 1000;
        const quint64 base = 5000000;
        std::vector<std::atomic<qint64>> sentAt(std::size_t(rate) * std::size_t(seconds) + 16);
        QMutex mutex;
        std::vector<qint64> latencies;
        fleet.onEvent([&](const QByteArray &frame, qint64 at) {
            const QJsonObject event = QJsonDocument::fromJson(frame).object();
            const quint64 n = event.value("data").toObject().value("id").toString().toULongLong();
            if (n <= base || n - base >= sentAt.size())
                return;
            QMutexLocker lock(&mutex);
            latencies.push_back(at - sentAt[n - base].load());
        });
        WebhookLoad load(relay.url(), 8);
        quint64 n = base;
        load.paced(rate, seconds, [&] {
            ++n;
            if (n - base < sentAt.size())
                sentAt[n - base] = nowNs();
            return webhookRequest(QString::number(2000 + int(n % quint64(broadcasters))), true, n);
        });
        const qint64 expected = qint64(rate) * seconds * perBroadcaster;
        spinUntil(
            [&] {
                QMutexLocker lock(&mutex);
                return qint64(latencies.size()) >= expected;
            },
            10000);
        QMutexLocker lock(&mutex);
        report(qPrintable(QStringLiteral("delivery: %1 webhooks/s, %2 x %3 clients, p50 / p99")
                              .arg(rate)
                              .arg(broadcasters)
                              .arg(perBroadcaster)),
               QString::asprintf("%.2f / %.2f ms", percentile(latencies, 0.5), percentile(latencies, 0.99)),
               "p99 <= 25 ms");
        std::printf("  %zu of %lld deliveries received\n", latencies.size(), expected);
        lock.unlock();
        fleet.closeAll();
    }
    relay.terminate();
    sim.terminate();
    return 0;
}
