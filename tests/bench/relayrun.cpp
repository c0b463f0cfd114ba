#include "relayrun.h"

#include "engines.h"
#include "idleclients.h"
#include "serverprocess.h"
#include "wsfleet.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <optional>
#include <thread>
#include <unordered_map>

namespace streams::bench {
namespace {

const QByteArray kSecret = "bench-webhook-secret-0123456789";
const QString kClientId = QStringLiteral("simclient0000000000000000000001");
const QString kFanoutBroadcaster = QString::number(kFirstBroadcaster); // the room of every idle client
const QString kIntakeBroadcaster =
    QString::number(kFirstBroadcaster + 1); // intake follows; own clients subscribed
constexpr int kPerBroadcaster = 10;         // delivery: clients per broadcaster
constexpr int kIntakeConnections = 32;
constexpr int kDeliveryConnections = 8;
constexpr qint64 kPreparedPerSecond = 25000; // intake requests signed before the clock starts

bool spinUntil(const std::function<bool()> &done, int timeoutMs, int checkMs = 2) {
    if (done())
        return true;
    QEventLoop loop;
    QTimer check;
    check.setTimerType(Qt::PreciseTimer);
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    check.start(checkMs);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return done();
}

// Waits in the event loop (blocking in poll, not spinning: the relay needs the CPU).
void spinFor(int ms) {
    spinUntil([] { return false; }, ms, ms);
}

// The same fan-out with no relay, on this machine and now: fanout-floor (beside this program) sends one
// message of `bytes` to `clients` loopback clients. Machines of the same kind differ by 2x in what the
// kernel needs for that, so the relay's figure means most next to this one. Nothing if it is missing.
std::optional<double> kernelFloorMs(int clients, int runs, int bytes) {
    const QString program = QCoreApplication::applicationDirPath() + QStringLiteral("/fanout-floor");
    if (!QFileInfo(program).isExecutable())
        return std::nullopt;
    QProcess floor;
    floor.start(program, {QStringLiteral("--clients"), QString::number(clients), QStringLiteral("--runs"),
                          QString::number(runs), QStringLiteral("--bytes"), QString::number(bytes)});
    if (!spinUntil([&] { return floor.state() == QProcess::NotRunning; }, 300000, 50) ||
        floor.exitStatus() != QProcess::NormalExit || floor.exitCode() != 0) {
        floor.kill();
        floor.waitForFinished();
        std::fprintf(stderr, "relay-bench: fanout-floor failed: %s\n",
                     floor.readAllStandardError().trimmed().constData());
        return std::nullopt;
    }
    static const QRegularExpression median(QStringLiteral("last receives: median ([0-9.]+) ms"));
    const QRegularExpressionMatch m = median.match(QString::fromUtf8(floor.readAllStandardOutput()));
    if (!m.hasMatch())
        return std::nullopt;
    return m.captured(1).toDouble();
}

// Runs `work` on a thread of its own while this one keeps serving Qt's events (the servers' output).
void offThread(const std::function<void()> &work) {
    std::atomic<bool> done{false};
    std::thread worker([&] {
        work();
        done = true;
    });
    spinUntil([&] { return done.load(); }, INT_MAX, 10);
    worker.join();
}

// Waits until `expected` deliveries are recorded, or none came for stallMs.
void awaitDeliveries(const DeliveryLedger &ledger, qint64 expected, int stallMs = 5000) {
    qint64 seen = -1;
    qint64 changedAt = monotonicNs();
    spinUntil(
        [&] {
            const qint64 now = ledger.recorded();
            if (now != seen) {
                seen = now;
                changedAt = monotonicNs();
            }
            return now >= expected || monotonicNs() - changedAt > qint64(stallMs) * 1000000;
        },
        INT_MAX);
}

} // namespace

RelayRun::RelayRun(const RunOptions &options, test::ServerProcess &sim, const std::vector<QString> &tokens,
                   const QString &dataDir, Figures &figures, SharedEngines *engines, const QString &database)
    : m_o(options)
    , m_sim(sim)
    , m_tokens(tokens)
    , m_dataDir(dataDir)
    , m_figures(figures)
    , m_engines(engines)
    , m_database(database) {}

RelayRun::~RelayRun() = default;

bool RelayRun::startRelay() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TWITCH_AUTH_URL", m_sim.url().toString() + "/oauth2");
    env.insert("TWITCH_HELIX_URL", m_sim.url().toString() + "/helix");
    env.insert("TWITCH_CLIENT_ID", kClientId);
    env.insert("TWITCH_CLIENT_SECRET", "simsecret0000000000000000000001");
    env.insert("STREAMS_RELAY_WEBHOOK_SECRET", QString::fromLatin1(kSecret));
    env.insert("STREAMS_RELAY_MAX_CONNECTIONS_PER_IP", "100000");
    env.insert("STREAMS_RELAY_DURABILITY", m_o.durability);
    env.insert("QT_LOGGING_RULES", "streams.relay.hub.info=false;streams.relay.webhook.info=false");
    if (m_engines) {
        QString why;
        const auto database = m_engines->newDatabase(m_database, &why);
        if (!database) {
            std::fprintf(stderr, "relay-bench: cannot create the database %s: %s\n", qPrintable(m_database),
                         qPrintable(why));
            return false;
        }
        env.insert("STREAMS_RELAY_DATABASE_URL", database->toString(QUrl::FullyEncoded));
        env.insert("STREAMS_RELAY_REDIS_URL", m_engines->redisUrl().toString(QUrl::FullyEncoded));
    }
    for (const QString &setting : m_o.relayEnv)
        env.insert(setting.section('=', 0, 0), setting.section('=', 1));
    // One after the other: the first runs the database's migrations (the others would wait for its lock).
    for (int k = 0; k < m_o.relays; ++k) {
        const QString dataDir = k == 0 ? m_dataDir : QStringLiteral("%1-%2").arg(m_dataDir).arg(k);
        env.insert("STREAMS_RELAY_DATA_DIR", dataDir);
        auto relay =
            std::make_unique<test::ServerProcess>(m_o.relayPath, QStringList{"--listen", "127.0.0.1:0"}, env);
        const bool started = relay->start();
        test::ServerProcess *r = relay.get();
        m_relays.push_back(std::move(relay));
        if (!started ||
            !spinUntil([&] { return test::httpGet(r->url().resolved(QUrl("/readyz"))).status == 200; }, 15000,
                       50)) {
            std::fprintf(stderr, "relay-bench: the relay did not become ready: %s\n",
                         r->errors().constData());
            return false;
        }
        m_pids.push_back(r->process().processId());
        m_urls.push_back(r->url());
        if (several())
            std::printf("  relay %d pid %lld on %s\n", k, m_pids.back(), qPrintable(r->url().toString()));
        else
            std::printf("  relay pid %lld on %s\n", m_pids.back(), qPrintable(r->url().toString()));
    }
    return true;
}

qint64 RelayRun::relaysCpuUs() const {
    qint64 us = 0;
    for (const qint64 pid : m_pids)
        us += processCpuUs(pid).value_or(0);
    return us;
}

qint64 RelayRun::relaysKernelCpuUs() const {
    qint64 us = 0;
    for (const qint64 pid : m_pids)
        us += processCpuSplitUs(pid).value_or(CpuSplit{}).systemUs;
    return us;
}

qint64 RelayRun::relaysResidentKiB() const {
    qint64 kib = 0;
    for (const qint64 pid : m_pids)
        kib += residentKiB(pid);
    return kib;
}

QMap<QString, qint64> RelayRun::relaysThreadCpuUs() const {
    QMap<QString, qint64> all;
    for (const qint64 pid : m_pids) {
        const QMap<QString, qint64> one = threadCpuUs(pid);
        for (auto it = one.cbegin(); it != one.cend(); ++it)
            all[it.key()] += it.value();
    }
    return all;
}

QString RelayRun::overRelays() const {
    return several() ? QStringLiteral(" over %1 relays").arg(m_o.relays) : QString();
}

RelayRun::EngineSample RelayRun::engineSample() const {
    EngineSample e;
    if (!m_engines)
        return e;
    e.postgresCpuUs = m_engines->postgresCpuUs();
    e.redisCpuUs = m_engines->redisCpuUs();
    if (const auto counts = m_engines->redisCounts()) {
        e.redisCommands = counts->commands;
        e.redisPublishes = counts->publishes;
    }
    return e;
}

RelayRun::Shares RelayRun::sharesNow() const {
    Shares s;
    s.atNs = monotonicNs();
    s.machineUs = machineBusyUs();
    s.relaysUs = relaysCpuUs();
    const EngineSample e = engineSample();
    s.enginesUs = e.postgresCpuUs + e.redisCpuUs;
    s.simUs = processCpuUs(m_sim.process().processId()).value_or(0);
    s.ownUs = ownCpuUs();
    return s;
}

void RelayRun::printShares(const Shares &since) const {
    const Shares now = sharesNow();
    const double capacity = double(now.atNs - since.atNs) / 1000.0 * QThread::idealThreadCount();
    auto share = [&](qint64 us) { return std::max(0.0, double(us) * 100 / capacity); };
    const qint64 relays = now.relaysUs - since.relaysUs;
    const qint64 engines = now.enginesUs - since.enginesUs;
    const qint64 others = (now.machineUs - since.machineUs) - relays - engines - (now.simUs - since.simUs) -
                          (now.ownUs - since.ownUs);
    std::printf(
        "  share of the cores meanwhile: %s %.0f %%%s, this process %.0f %%, other processes %.0f %%\n",
        several() ? "relays" : "relay", share(relays),
        m_engines ? qPrintable(QStringLiteral(", PostgreSQL + Redis %1 %").arg(share(engines), 0, 'f', 0))
                  : "",
        share(now.ownUs - since.ownUs), share(others));
}

void RelayRun::printSplit(const WebhookLoad::Result &r,
                          const std::function<std::vector<int>(quint64)> &recipients,
                          const std::function<int(int)> &relayOf, const char *phase) const {
    if (!several())
        return;
    const DeliveryLedger::Split s = m_ledger.split(r.acknowledged, r.acknowledgedBy, recipients, relayOf);
    std::printf(
        "  %s: copies to clients of the relay that stored the event %s of %s; to clients of the other "
        "relays (through Redis) %s of %s\n",
        phase, qPrintable(grouped(s.sameReceived)), qPrintable(grouped(s.sameExpected)),
        qPrintable(grouped(s.otherReceived)), qPrintable(grouped(s.otherExpected)));
}

bool RelayRun::exec() {
    if (!startRelay())
        return false;
    const bool measured = phases();
    stopRelay();
    return measured;
}

void RelayRun::stopRelay() {
    for (std::size_t k = 0; k < m_relays.size(); ++k) {
        test::ServerProcess &relay = *m_relays[k];
        const QByteArray which = several() ? "RELAY " + QByteArray::number(qulonglong(k)) : "RELAY";
        QProcess &process = relay.process();
        if (process.state() == QProcess::NotRunning) {
            std::printf("  THE %s EXITED DURING THE RUN (%s, code %d)\n", which.constData(),
                        process.exitStatus() == QProcess::CrashExit ? "crashed" : "exited",
                        process.exitCode());
            m_relayFaulted = true;
        } else if (relay.terminate(60000) != 0) { // a sanitized relay checks for leaks on its way out
            if (process.state() != QProcess::NotRunning) {
                std::printf("  THE %s DID NOT EXIT within 60 s of SIGTERM\n", which.constData());
                relay.kill();
            } else {
                std::printf("  THE %s DID NOT EXIT CLEANLY on SIGTERM (%s, code %d)\n", which.constData(),
                            process.exitStatus() == QProcess::CrashExit ? "crashed" : "exited",
                            process.exitCode());
            }
            m_relayFaulted = true;
        }
        const QByteArray errors = relay.errors();
        const QByteArray report = sanitizerReport(errors);
        if (!report.isEmpty()) {
            std::printf("  THE %s'S STDERR HAS A SANITIZER REPORT:\n%s\n", which.constData(),
                        report.constData());
            m_relayFaulted = true;
        } else {
            std::printf("  %s stopped; its stderr (%s lines) has no sanitizer report\n",
                        which.toLower().constData(), qPrintable(grouped(errors.count('\n'))));
        }
    }
}

bool RelayRun::phases() {
    const bool idlePhases = m_o.wants("fanout") || m_o.wants("intake");
    if (idlePhases) {
        // The intake broadcaster's own clients: every intake webhook is a follow they must receive.
        m_subscribers = std::make_unique<WsFleet>(m_urls, 0);
        const QString token = m_tokens[std::size_t(kIntakeBroadcaster.toInt() - kFirstBroadcaster)];
        if (!m_subscribers->open(
                m_o.subscribers, [&](int) { return token; }, [](int) { return kIntakeBroadcaster; })) {
            std::fprintf(stderr, "relay-bench: the intake subscribers did not get subscribed\n");
            return false;
        }
        if (m_subscribers->forbidden() > 0) {
            std::fprintf(stderr, "relay-bench: the relay refused follows to the broadcaster's own client\n");
            return false;
        }
        std::vector<int> bounds = m_o.idleLevels;
        bounds.push_back(m_o.clients);
        bounds.erase(std::remove(bounds.begin(), bounds.end(), 0), bounds.end());
        std::sort(bounds.begin(), bounds.end());
        bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
        m_idle = std::make_unique<IdleClients>(
            m_urls, bounds, [this](int i) { return m_tokens[std::size_t(i) % m_tokens.size()]; },
            kFanoutBroadcaster);
        if (!memory())
            return false;
    }
    if (m_o.wants("fanout") && !(m_o.fanoutResets ? fanoutWithResets() : fanout()))
        return false;
    if (m_o.wants("intake")) {
        for (const int idle : m_o.idleLevels)
            if (!intake(idle))
                return false;
        if (m_cpuPerWebhook.size() >= 2) {
            const auto low = m_cpuPerWebhook.begin();
            const auto high = std::prev(m_cpuPerWebhook.end());
            m_figures.add(
                QStringLiteral("%1 per delivered webhook, %2 vs %3 idle clients")
                    .arg(several() ? QStringLiteral("CPU of all relays") : QStringLiteral("relay CPU"),
                         grouped(high->first), grouped(low->first)),
                (high->second / low->second - 1) * 100, QStringLiteral(" %"), 1,
                Figures::withinPercent(20, QStringLiteral("within 20 %")));
        }
        if (!ackLatency())
            return false;
    }
    if (m_idle) {
        if (m_idle->lost() > 0 || m_subscribers->lost() > 0)
            std::printf("  THE RELAY CLOSED %d idle clients and %d intake subscribers during the run\n",
                        m_idle->lost(), m_subscribers->lost());
        m_idle->setCount(0);
        m_subscribers->onEvent({});
    }
    if (m_o.wants("delivery") && !delivery())
        return false;
    return true;
}

bool RelayRun::memory() {
    spinFor(500);
    const qint64 before = relaysResidentKiB();
    QElapsedTimer timer;
    timer.start();
    if (!m_idle->setCount(m_o.clients))
        return false;
    const double connectS = timer.elapsed() / 1000.0;
    spinFor(1000);
    const qint64 after = relaysResidentKiB();
    std::printf("  %s idle clients connected and subscribed in %.1f s\n", qPrintable(grouped(m_o.clients)),
                connectS);
    m_figures.add(several()
                      ? QStringLiteral("memory per idle authenticated client (RSS growth of the %1 relays)")
                            .arg(m_o.relays)
                      : QStringLiteral("memory per idle authenticated client (relay RSS growth)"),
                  double(after - before) / m_o.clients, QStringLiteral(" KiB"), 1,
                  Figures::atMost(8, QStringLiteral("≤ 8 KiB")));
    return true;
}

bool RelayRun::fanout() {
    // A fresh online event each time; the median hides one stray stall, the worst run shows it.
    std::atomic<quint64> expected{0};
    std::atomic<int> received{0};
    std::atomic<qint64> first{LLONG_MAX};
    std::atomic<qint64> last{0};
    std::atomic<int> frameBytes{0};
    // Several relays: which relays' clients had it (client i is on relay i % relays).
    std::vector<std::atomic<int>> receivedOn(std::size_t(m_o.relays));
    m_idle->onEvent([&](int client, QByteArrayView frame, qint64 at) {
        if (webhookNumber(topLevelMember(frame, "id").value_or(QByteArrayView())) != expected.load())
            return;
        ++received;
        frameBytes.store(int(frame.size()), std::memory_order_relaxed);
        ++receivedOn[std::size_t(client % m_o.relays)];
        for (qint64 f = first.load(); at < f && !first.compare_exchange_weak(f, at);) {
        }
        for (qint64 l = last.load(); at > l && !last.compare_exchange_weak(l, at);) {
        }
    });
    WebhookLoad one(m_urls.front(), 1); // relay 0 stores it
    std::vector<qint64> lastTimes;
    std::vector<qint64> firstTimes;
    bool complete = true;
    for (int run = 0; run < m_o.fanoutRuns; ++run) {
        received = 0;
        for (auto &k : receivedOn)
            k = 0;
        first = LLONG_MAX;
        last = 0;
        const quint64 n = ++m_unique;
        expected = n;
        WebhookLoad::Result sent;
        offThread([&] {
            sent = one.paced(
                1, 1, [&] { return signedWebhook(kSecret, kFanoutBroadcaster, WebhookKind::Online, n); });
        });
        if (sent.answered != 1) {
            std::fprintf(stderr, "relay-bench: the fan-out webhook was not acknowledged\n");
            return false;
        }
        if (!spinUntil([&] { return received >= m_o.clients; }, 30000)) {
            std::printf("  fan-out run %d: only %d of %s clients received the event\n", run + 1,
                        received.load(), qPrintable(grouped(m_o.clients)));
            for (int k = 0; several() && k < m_o.relays; ++k)
                std::printf("    clients of relay %d%s: %d of %d received it\n", k,
                            k == 0 ? " (which stored it)" : "", receivedOn[std::size_t(k)].load(),
                            m_o.clients / m_o.relays + (k < m_o.clients % m_o.relays ? 1 : 0));
            m_undelivered += m_o.clients - received;
            complete = false;
            if (received == 0)
                break;
        }
        lastTimes.push_back(last - sent.startNs);
        firstTimes.push_back(first - sent.startNs);
        spinFor(300);
    }
    m_idle->onEvent({});
    if (lastTimes.empty()) {
        std::fprintf(stderr, "relay-bench: the fan-out event reached no client\n");
        return false;
    }
    m_figures.add(QStringLiteral("fan-out: one event to %1 clients%3, last receives (median of %2)")
                      .arg(grouped(m_o.clients))
                      .arg(lastTimes.size())
                      .arg(overRelays()),
                  percentileMs(lastTimes, 0.5), QStringLiteral(" ms"), 1,
                  Figures::atMost(50, QStringLiteral("≤ 50 ms")));
    std::printf("  worst run %.1f ms; the first client had it after %.1f ms (median)%s\n",
                percentileMs(lastTimes, 1.0), percentileMs(firstTimes, 0.5),
                complete ? "" : "; SOME CLIENTS NEVER RECEIVED IT");
    // With the relay's clients idle (the relay at rest), so the two do not share the cores.
    if (const auto floorMs = kernelFloorMs(m_o.clients, m_o.fanoutRuns, frameBytes.load())) {
        m_figures.add(
            QStringLiteral("kernel floor: the same fan-out with no relay (median of %1)").arg(m_o.fanoutRuns),
            *floorMs, QStringLiteral(" ms"), 1, Figures::report());
        std::printf("  fanout-floor: one %d-byte send() per loopback client from 2 threads, nothing else\n",
                    frameBytes.load());
        m_figures.add(QStringLiteral("fan-out above the kernel floor"),
                      (percentileMs(lastTimes, 0.5) / *floorMs - 1) * 100, QStringLiteral(" %"), 1,
                      Figures::report());
    }
    return true;
}

// --fanout-resets: in each run, the odd half of the idle clients is reset (RST) as soon as the event starts
// to arrive (each client fleet resets its odd clients once it has read the event's first frame), so the
// relay meets dead sockets while it is still writing the event; every client of the even half stayed
// connected and must receive it exactly once. The reset half is connected again between runs.
bool RelayRun::fanoutWithResets() {
    const int n = m_o.clients;
    const int staying = (n + 1) / 2;
    // The last event number each client had.
    std::vector<std::atomic<quint64>> got(static_cast<std::size_t>(n));
    std::atomic<quint64> expected{0};
    std::atomic<int> stayingGot{0};
    std::atomic<int> duplicates{0};
    std::atomic<qint64> first{LLONG_MAX};
    std::atomic<qint64> last{0};
    m_idle->onEvent([&](int client, QByteArrayView frame, qint64 at) {
        const quint64 number = webhookNumber(topLevelMember(frame, "id").value_or(QByteArrayView()));
        if (number != expected.load() || client < 0 || client >= n)
            return;
        if (got[std::size_t(client)].exchange(number) == number) {
            ++duplicates;
            return;
        }
        for (qint64 f = first.load(); at < f && !first.compare_exchange_weak(f, at);) {
        }
        if (client % 2 != 0)
            return; // being reset: it may or may not have it
        ++stayingGot;
        for (qint64 l = last.load(); at > l && !last.compare_exchange_weak(l, at);) {
        }
    });
    WebhookLoad one(m_urls.front(), 1);
    std::vector<qint64> lastTimes;
    for (int run = 0; run < m_o.fanoutRuns; ++run) {
        if (run > 0 && !(m_idle->setCount(0) && m_idle->setCount(n)))
            return false;
        spinFor(300);
        stayingGot = 0;
        duplicates = 0;
        first = LLONG_MAX;
        last = 0;
        const quint64 number = ++m_unique;
        expected = number;
        m_idle->resetOddOnNextEvent();
        WebhookLoad::Result sent;
        offThread([&] {
            sent = one.paced(1, 1, [&] {
                return signedWebhook(kSecret, kFanoutBroadcaster, WebhookKind::Online, number);
            });
        });
        if (sent.answered != 1) {
            std::fprintf(stderr, "relay-bench: the fan-out webhook was not acknowledged\n");
            return false;
        }
        if (!spinUntil([&] { return m_idle->resets().done; }, 30000))
            std::printf("  FAN-OUT RUN %d: THE EVENT NEVER REACHED SOME CLIENT FLEETS (their half was not "
                        "reset)\n",
                        run + 1);
        // Done when every client that stayed has it, or when none has had it for 10 s.
        int seen = -1;
        qint64 changedAt = monotonicNs();
        spinUntil(
            [&] {
                if (stayingGot.load() != seen) {
                    seen = stayingGot.load();
                    changedAt = monotonicNs();
                }
                return seen >= staying || monotonicNs() - changedAt > 10000000000LL;
            },
            INT_MAX, 5);
        const WsFleet::Resets resets = m_idle->resets();
        std::vector<int> missing;
        for (int i = 0; i < n; i += 2)
            if (got[std::size_t(i)].load() != number)
                missing.push_back(i);
        int closedStaying = 0;
        for (const int i : m_idle->lostClients())
            closedStaying += i % 2 == 0 ? 1 : 0;
        auto afterSend = [&](qint64 ns) { return double(ns - sent.startNs) / 1e6; };
        std::printf("  fan-out run %d: %s clients reset %.1f - %.1f ms after the webhook was sent; %s of %s "
                    "that stayed received the event, the first client %.1f ms and the last that stayed "
                    "%.1f ms after it was sent\n",
                    run + 1, qPrintable(grouped(resets.count)), afterSend(resets.startNs),
                    afterSend(resets.endNs), qPrintable(grouped(stayingGot.load())),
                    qPrintable(grouped(staying)), first.load() == LLONG_MAX ? 0.0 : afterSend(first.load()),
                    last.load() == 0 ? 0.0 : afterSend(last.load()));
        if (!missing.empty()) {
            QStringList some;
            for (std::size_t k = 0; k < missing.size() && k < 10; ++k)
                some << QString::number(missing[k]);
            std::printf("  FAN-OUT RUN %d: %s OF %s CLIENTS THAT STAYED CONNECTED NEVER RECEIVED THE EVENT "
                        "(clients %s%s)\n",
                        run + 1, qPrintable(grouped(qint64(missing.size()))), qPrintable(grouped(staying)),
                        qPrintable(some.join(QStringLiteral(", "))), missing.size() > 10 ? ", ..." : "");
            m_missedAfterResets += qint64(missing.size());
        }
        if (closedStaying > 0)
            std::printf("  FAN-OUT RUN %d: THE RELAY CLOSED %d CLIENTS THAT WERE NOT RESET\n", run + 1,
                        closedStaying);
        if (duplicates > 0)
            std::printf("  FAN-OUT RUN %d: %d CLIENTS RECEIVED THE EVENT TWICE\n", run + 1,
                        duplicates.load());
        if (last.load() != 0)
            lastTimes.push_back(last.load() - sent.startNs);
    }
    m_idle->onEvent({});
    if (!lastTimes.empty())
        m_figures.add(QStringLiteral("fan-out to %1 clients with half of them reset meanwhile, the last that "
                                     "stayed receives (median of %2)")
                          .arg(grouped(n))
                          .arg(lastTimes.size()),
                      percentileMs(lastTimes, 0.5), QStringLiteral(" ms"), 1, Figures::report());
    if (m_missedAfterResets == 0)
        std::printf("  every client that stayed connected received every fan-out event (%d runs)\n",
                    m_o.fanoutRuns);
    return true;
}

WebhookLoad::Source RelayRun::prepared(qint64 count, WebhookKind kind,
                                       std::function<QString(quint64)> broadcasterFor) {
    auto pool = std::make_shared<std::vector<Webhook>>();
    pool->reserve(std::size_t(count));
    for (qint64 i = 0; i < count; ++i) {
        const quint64 n = ++m_unique;
        pool->push_back(signedWebhook(kSecret, broadcasterFor(n), kind, n));
    }
    // Past the prepared ones they are signed as they go (on the load generator's clock).
    return [this, pool, kind, broadcasterFor, at = std::size_t(0)]() mutable {
        if (at < pool->size())
            return std::move((*pool)[at++]);
        const quint64 n = ++m_unique;
        return signedWebhook(kSecret, broadcasterFor(n), kind, n);
    };
}

WebhookLoad::Source RelayRun::follows(qint64 count) {
    return prepared(count, WebhookKind::Follow, [](quint64) { return kIntakeBroadcaster; });
}

void RelayRun::watchSubscribers() {
    m_subscribers->onEvent(
        [this](int client, QByteArrayView frame, qint64 at) { record(client, frame, at); });
}

void RelayRun::record(int client, QByteArrayView frame, qint64 at) {
    if (const quint64 n = webhookNumber(topLevelMember(frame, "id").value_or(QByteArrayView())))
        m_ledger.record(n, client, at, topLevelMember(frame, "seq").value_or(QByteArrayView()).toLongLong());
}

void RelayRun::noteUndelivered(const DeliveryLedger::Tally &t, qint64 acknowledged, const char *phase) {
    if (t.missing > 0) {
        std::printf("  NOT DELIVERED (%s): %s of %s acknowledged webhooks never reached every client they "
                    "should (%s copies missing)\n",
                    phase, qPrintable(grouped(t.missing)), qPrintable(grouped(acknowledged)),
                    qPrintable(grouped(t.missingCopies)));
        m_undelivered += t.missingCopies;
    }
    if (t.duplicates > 0)
        std::printf("  DUPLICATES (%s): %s events received twice by one client\n", phase,
                    qPrintable(grouped(t.duplicates)));
    if (m_ledger.outOfOrder() > 0)
        std::printf("  OUT OF ORDER (%s): %s events came to a client with a seq not above its previous one\n",
                    phase, qPrintable(grouped(m_ledger.outOfOrder())));
    m_disordered += t.duplicates + m_ledger.outOfOrder();
}

bool RelayRun::intake(int idle) {
    if (!m_idle->setCount(idle))
        return false;
    spinFor(1000); // closes and handshakes settle
    const QString at = QStringLiteral("%1 idle clients%2").arg(grouped(idle), overRelays());
    {
        const qint64 cpu = relaysCpuUs();
        const EngineSample engines = engineSample();
        const qint64 t = monotonicNs();
        spinFor(1000);
        const double wall = double(monotonicNs() - t);
        std::printf("  %s at rest with %s: %.1f %% of a core\n", several() ? "relays" : "relay",
                    qPrintable(at), double(relaysCpuUs() - cpu) * 1e5 / wall);
        if (m_engines) {
            const EngineSample now = engineSample();
            std::printf("  PostgreSQL at rest: %.1f %% of a core, Redis %.1f %%\n",
                        double(now.postgresCpuUs - engines.postgresCpuUs) * 1e5 / wall,
                        double(now.redisCpuUs - engines.redisCpuUs) * 1e5 / wall);
        }
    }
    const WebhookLoad::Source next = follows(m_o.seconds * kPreparedPerSecond);
    m_ledger.clear();
    watchSubscribers();
    // Read through psql before the clock starts: it is not part of what is measured.
    const std::optional<qint64> commitsBefore =
        m_engines ? m_engines->commits(m_database) : std::optional<qint64>();

    // A side thread watches the write-ahead log: under a steady stream of commits it must stay bounded.
    std::atomic<bool> stop{false};
    std::atomic<qint64> largestWal{0};
    std::thread walWatch([&] {
        const QString wal = m_dataDir + QStringLiteral("/relay.sqlite3-wal");
        while (!stop) {
            largestWal = std::max(largestWal.load(), QFileInfo(wal).size());
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    const auto threadsBefore = relaysThreadCpuUs();
    const qint64 relayBefore = relaysCpuUs();
    const qint64 relayKernelBefore = relaysKernelCpuUs();
    const EngineSample enginesBefore = engineSample();
    const qint64 simBefore = processCpuUs(m_sim.process().processId()).value_or(0);
    const qint64 ownBefore = ownCpuUs();
    const qint64 machineBefore = machineBusyUs();
    const qint64 start = monotonicNs();
    WebhookLoad::Result r;
    WebhookLoad load(m_urls, kIntakeConnections);
    offThread([&] { r = load.closedLoop(qint64(m_o.seconds) * 1000000000LL, next); });
    awaitDeliveries(m_ledger, r.answered * m_o.subscribers);
    const qint64 wallUs = (monotonicNs() - start) / 1000;
    const qint64 relayUs = relaysCpuUs() - relayBefore;
    const qint64 relayKernelUs = relaysKernelCpuUs() - relayKernelBefore;
    const EngineSample enginesAfter = engineSample();
    const qint64 postgresUs = enginesAfter.postgresCpuUs - enginesBefore.postgresCpuUs;
    const qint64 redisUs = enginesAfter.redisCpuUs - enginesBefore.redisCpuUs;
    const qint64 simUs = processCpuUs(m_sim.process().processId()).value_or(0) - simBefore;
    const qint64 ownUs = ownCpuUs() - ownBefore;
    const qint64 othersUs = machineBusyUs() - machineBefore - relayUs - postgresUs - redisUs - simUs - ownUs;
    const auto threadsAfter = relaysThreadCpuUs();
    stop = true;
    walWatch.join();
    m_subscribers->onEvent({});

    const DeliveryLedger::Tally t = m_ledger.tally(r.acknowledged, m_o.subscribers);
    // With several relays and no fan-out between them, no webhook reaches every subscriber: the figures then
    // count what was stored and acknowledged, and say so.
    const bool partial = several() && t.missing > 0;
    if (t.complete == 0 && !(partial && m_ledger.recorded() > 0)) {
        std::fprintf(stderr,
                     "relay-bench: none of %lld acknowledged intake webhooks was delivered to the "
                     "subscribed client\n",
                     r.answered);
        return false;
    }
    const qint64 counted = partial ? r.answered : t.complete;
    const QString per = partial ? QStringLiteral("acknowledged webhook (DELIVERIES INCOMPLETE)")
                                : QStringLiteral("delivered webhook");
    const double seconds =
        double((partial ? r.lastAnswerNs : std::max(r.lastAnswerNs, t.lastNs)) - r.startNs) / 1e9;
    const int cores = QThread::idealThreadCount();
    const double perWebhook = double(relayUs) / double(counted);
    m_cpuPerWebhook[idle] = perWebhook;
    m_figures.add(partial ? QStringLiteral("intake, %1: stored + acknowledged, DELIVERIES INCOMPLETE").arg(at)
                          : QStringLiteral("intake, %1: stored + acknowledged + delivered").arg(at),
                  double(counted) / seconds, QStringLiteral(" /s"), 0,
                  Figures::atLeast(15000, QStringLiteral("≥ 15,000 /s")));
    m_figures.add(several() ? QStringLiteral("CPU of all %1 relays per %2, %3").arg(m_o.relays).arg(per, at)
                            : QStringLiteral("relay CPU per %1, %2").arg(per, at),
                  perWebhook, QStringLiteral(" µs"), 1, Figures::atMost(60, QStringLiteral("≤ 60 µs")));
    // The kernel's part (system time: sockets, the log's writes and fsyncs, wake-ups between threads) is
    // what a relay in any language pays for the same syscalls; the rest is the relay's own code.
    m_figures.add(QStringLiteral("… of which in the kernel on its behalf, %1").arg(at),
                  double(relayKernelUs) / double(counted), QStringLiteral(" µs"), 1, Figures::report());
    if (m_engines) {
        m_figures.add(QStringLiteral("PostgreSQL CPU (all processes) per %1, %2").arg(per, at),
                      double(postgresUs) / double(counted), QStringLiteral(" µs"), 1, Figures::report());
        m_figures.add(QStringLiteral("Redis CPU per %1, %2").arg(per, at), double(redisUs) / double(counted),
                      QStringLiteral(" µs"), 1, Figures::report());
        m_figures.add(QStringLiteral("relays + PostgreSQL + Redis CPU per %1, %2").arg(per, at),
                      double(relayUs + postgresUs + redisUs) / double(counted), QStringLiteral(" µs"), 1,
                      Figures::report());
    }
    m_figures.add(QStringLiteral("load generator (this process) CPU per webhook, %1").arg(at),
                  double(ownUs) / double(counted), QStringLiteral(" µs"), 1, Figures::report());
    m_figures.add(QStringLiteral("load generator share of the %1 cores, %2").arg(cores).arg(at),
                  double(ownUs) * 100 / (double(wallUs) * cores), QStringLiteral(" %"), 1, Figures::report());
    QStringList where;
    for (auto it = threadsAfter.cbegin(); it != threadsAfter.cend(); ++it) {
        const double us = double(it.value() - threadsBefore.value(it.key())) / double(counted);
        if (us >= 0.5)
            where << QStringLiteral("%1 %2").arg(it.key()).arg(us, 0, 'f', 0);
    }
    auto share = [&](qint64 us) { return double(us) * 100 / (double(wallUs) * cores); };
    const QString engines = m_engines ? QStringLiteral(", PostgreSQL %1 %, Redis %2 %")
                                            .arg(share(postgresUs), 0, 'f', 0)
                                            .arg(share(redisUs), 0, 'f', 0)
                                      : QString();
    std::printf(
        "  %s of %s acknowledged delivered in %.2f s to %d subscriber(s); share of the cores: %s "
        "%.0f %% (µs per webhook by live thread: %s)%s, twitch-sim %.1f %%, other processes %.0f %%\n",
        qPrintable(grouped(t.complete)), qPrintable(grouped(r.answered)), seconds, m_o.subscribers,
        several() ? "relays" : "relay", share(relayUs), qPrintable(where.join(QStringLiteral(", "))),
        qPrintable(engines), share(simUs), std::max(0.0, share(othersUs)));
    if (r.failed > 0)
        std::printf("  %s requests were not answered 2xx\n", qPrintable(grouped(r.failed)));
    noteUndelivered(t, r.answered, "intake");
    const int subscribers = m_o.subscribers;
    printSplit(
        r,
        [subscribers](quint64) {
            std::vector<int> all(std::size_t(subscribers), 0);
            for (int i = 0; i < subscribers; ++i)
                all[std::size_t(i)] = i;
            return all;
        },
        [this](int client) { return m_subscribers->relayOf(client); }, "intake");
    if (largestWal > 0)
        m_figures.add(QStringLiteral("largest write-ahead log during intake, %1").arg(at),
                      double(largestWal.load()) / (1024 * 1024), QStringLiteral(" MiB"), 0,
                      Figures::report(QStringLiteral("bounded (~64 MiB + a burst)")));
    if (m_engines) {
        const double redisCommands = double(enginesAfter.redisCommands - enginesBefore.redisCommands);
        const double publishes = double(enginesAfter.redisPublishes - enginesBefore.redisPublishes);
        m_figures.add(QStringLiteral("Redis commands, %1").arg(at), redisCommands / seconds,
                      QStringLiteral(" /s"), 0, Figures::report());
        m_figures.add(QStringLiteral("Redis commands per %1, %2").arg(per, at),
                      redisCommands / double(counted), QStringLiteral(""), 2, Figures::report());
        m_figures.add(QStringLiteral("Redis PUBLISH (messages) per %1, %2").arg(per, at),
                      publishes / double(counted), QStringLiteral(""), 2, Figures::report());
        // PostgreSQL publishes an idle backend's statistics 10 s late: wait for them before reading.
        std::printf("  waiting %d s for PostgreSQL's statistics (pg_stat_database)...\n",
                    SharedEngines::kStatsSettleMs / 1000);
        std::fflush(stdout);
        spinFor(SharedEngines::kStatsSettleMs);
        const std::optional<qint64> commitsAfter = m_engines->commits(m_database);
        if (commitsBefore && commitsAfter) {
            const double commits = double(*commitsAfter - *commitsBefore);
            m_figures.add(QStringLiteral("PostgreSQL commits, %1").arg(at), commits / seconds,
                          QStringLiteral(" /s"), 0, Figures::report());
            m_figures.add(QStringLiteral("PostgreSQL commits per %1, %2").arg(per, at),
                          commits / double(counted), QStringLiteral(""), 3, Figures::report());
        }
    }
    return true;
}

bool RelayRun::ackLatency() {
    const int rate = m_o.quick ? 500 : 5000;
    const qint64 total = qint64(rate) * m_o.seconds;
    const WebhookLoad::Source next = follows(total);
    m_ledger.clear();
    watchSubscribers();
    std::unordered_map<quint64, qint64> scheduled;
    scheduled.reserve(std::size_t(total));
    WebhookLoad::Result r;
    WebhookLoad load(m_urls, kIntakeConnections);
    const Shares before = sharesNow();
    offThread([&] { r = load.paced(rate, total, next, [&](quint64 n, qint64 at) { scheduled[n] = at; }); });
    awaitDeliveries(m_ledger, r.answered * m_o.subscribers);
    m_subscribers->onEvent({});
    const QString name = QStringLiteral("ack latency at %1/s%2, ").arg(grouped(rate), overRelays());
    m_figures.add(name + QStringLiteral("p50"), percentileMs(r.latenciesNs, 0.5), QStringLiteral(" ms"), 2,
                  Figures::report());
    m_figures.add(name + QStringLiteral("p99"), percentileMs(r.latenciesNs, 0.99), QStringLiteral(" ms"), 2,
                  Figures::atMost(10, QStringLiteral("≤ 10 ms")));
    const auto t = m_ledger.tally(r.acknowledged, m_o.subscribers, [&](quint64 n) { return scheduled[n]; });
    std::printf("  %s of %s answered 2xx; the subscriber had them after p50 %.2f / p99 %.2f ms\n",
                qPrintable(grouped(r.answered)), qPrintable(grouped(total)), percentileMs(t.latenciesNs, 0.5),
                percentileMs(t.latenciesNs, 0.99));
    printShares(before);
    noteUndelivered(t, r.answered, "ack latency");
    const int subscribers = m_o.subscribers;
    printSplit(
        r,
        [subscribers](quint64) {
            std::vector<int> all(std::size_t(subscribers), 0);
            for (int i = 0; i < subscribers; ++i)
                all[std::size_t(i)] = i;
            return all;
        },
        [this](int client) { return m_subscribers->relayOf(client); }, "ack latency");
    return true;
}

bool RelayRun::delivery() {
    const int clients = m_o.broadcasters * kPerBroadcaster;
    WsFleet fleet(m_urls, 0);
    if (!fleet.open(
            clients, [&](int i) { return m_tokens[std::size_t(i / kPerBroadcaster)]; },
            [&](int i) { return QString::number(kFirstBroadcaster + i / kPerBroadcaster); })) {
        std::fprintf(stderr, "relay-bench: only %d of %d delivery clients got subscribed\n", fleet.ready(),
                     clients);
        return false;
    }
    const int rate = m_o.quick ? 200 : 1000;
    const qint64 total = qint64(rate) * m_o.seconds;
    std::unordered_map<quint64, qint64> scheduled;
    scheduled.reserve(std::size_t(total));
    m_ledger.clear();
    fleet.onEvent([this](int client, QByteArrayView frame, qint64 at) { record(client, frame, at); });
    WebhookLoad load(m_urls, kDeliveryConnections);
    const WebhookLoad::Source next = prepared(total, WebhookKind::Online, [this](quint64 n) {
        return QString::number(kFirstBroadcaster + int(n % quint64(m_o.broadcasters)));
    });
    WebhookLoad::Result r;
    const Shares before = sharesNow();
    offThread([&] { r = load.paced(rate, total, next, [&](quint64 n, qint64 at) { scheduled[n] = at; }); });
    awaitDeliveries(m_ledger, r.answered * kPerBroadcaster);
    fleet.onEvent({});
    const auto t = m_ledger.tally(r.acknowledged, kPerBroadcaster, [&](quint64 n) { return scheduled[n]; });
    if (t.latenciesNs.empty()) {
        std::fprintf(stderr, "relay-bench: no delivery-phase event reached its clients\n");
        return false;
    }
    const QString name = QStringLiteral("delivery at %1/s over %2 x %3 clients%4, ")
                             .arg(grouped(rate))
                             .arg(m_o.broadcasters)
                             .arg(kPerBroadcaster)
                             .arg(overRelays());
    m_figures.add(name + QStringLiteral("p50"), percentileMs(t.latenciesNs, 0.5), QStringLiteral(" ms"), 2,
                  Figures::report());
    m_figures.add(name + QStringLiteral("p99"), percentileMs(t.latenciesNs, 0.99), QStringLiteral(" ms"), 2,
                  Figures::atMost(5, QStringLiteral("≤ 5 ms")));
    std::printf("  %s of %s deliveries received (%s webhooks answered 2xx)\n",
                qPrintable(grouped(qint64(t.latenciesNs.size()))),
                qPrintable(grouped(r.answered * kPerBroadcaster)), qPrintable(grouped(r.answered)));
    printShares(before);
    noteUndelivered(t, r.answered, "delivery");
    const int broadcasters = m_o.broadcasters;
    printSplit(
        r,
        [broadcasters](quint64 n) {
            // Online events of broadcaster kFirstBroadcaster + n % broadcasters: its kPerBroadcaster clients.
            const int first = int(n % quint64(broadcasters)) * kPerBroadcaster;
            std::vector<int> clients;
            for (int i = 0; i < kPerBroadcaster; ++i)
                clients.push_back(first + i);
            return clients;
        },
        [&fleet](int client) { return fleet.relayOf(client); }, "delivery");
    fleet.closeAll();
    return true;
}

} // namespace streams::bench
