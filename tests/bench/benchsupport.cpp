#include "benchsupport.h"

#include <cstring>

#include <QDir>
#include <QFile>
#include <QLocale>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sys/resource.h>
#include <unistd.h>

namespace streams::bench {

qint64 monotonicNs() {
    timespec ts = {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::optional<QByteArrayView> topLevelMember(QByteArrayView json, QByteArrayView key) {
    const qsizetype n = json.size();
    qsizetype i = 0;
    auto skipSpace = [&] {
        while (i < n && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r'))
            ++i;
    };
    // With json[i] at the opening quote: the characters up to the closing one, i past it.
    // memchr() jumps to each quote (the fleet scans every frame of a 10,000-client fan-out with this, on
    // the machine it measures); a quote after an odd run of backslashes is escaped.
    auto string = [&]() -> std::optional<QByteArrayView> {
        const qsizetype start = ++i;
        while (i < n) {
            const void *quote = std::memchr(json.data() + i, '"', std::size_t(n - i));
            if (!quote)
                return std::nullopt;
            const qsizetype at = static_cast<const char *>(quote) - json.data();
            qsizetype backslashes = 0;
            while (at - backslashes - 1 >= start && json[at - backslashes - 1] == '\\')
                ++backslashes;
            i = at + 1;
            if (backslashes % 2 == 0)
                return json.sliced(start, at - start);
        }
        return std::nullopt;
    };
    skipSpace();
    if (i >= n || json[i] != '{')
        return std::nullopt;
    ++i;
    for (;;) {
        skipSpace();
        if (i < n && json[i] == ',') {
            ++i;
            skipSpace();
        }
        if (i >= n || json[i] != '"')
            return std::nullopt; // the end of the object, or not JSON
        const auto name = string();
        skipSpace();
        if (!name || i >= n || json[i] != ':')
            return std::nullopt;
        ++i;
        skipSpace();
        if (i >= n)
            return std::nullopt;
        const bool wanted = *name == key;
        if (json[i] == '"') {
            const auto value = string();
            if (!value)
                return std::nullopt;
            if (wanted)
                return value;
        } else if (json[i] == '{' || json[i] == '[') {
            int depth = 0;
            do {
                if (json[i] == '"') {
                    if (!string())
                        return std::nullopt;
                    continue;
                }
                if (json[i] == '{' || json[i] == '[')
                    ++depth;
                else if (json[i] == '}' || json[i] == ']')
                    --depth;
                ++i;
            } while (i < n && depth > 0);
            if (wanted)
                return std::nullopt; // only scalar members are asked for
        } else {
            const qsizetype start = i;
            while (i < n && json[i] != ',' && json[i] != '}' && json[i] != ' ' && json[i] != '\n' &&
                   json[i] != '\t' && json[i] != '\r')
                ++i;
            if (wanted)
                return json.sliced(start, i - start);
        }
    }
}

namespace {

// utime and stime (fields 14 and 15) of a /proc stat line; the name in parentheses may hold spaces.
std::optional<CpuSplit> statCpu(const QByteArray &stat, QString *name = nullptr) {
    const qsizetype open = stat.indexOf('(');
    const qsizetype close = stat.lastIndexOf(')');
    if (open < 0 || close < 0)
        return std::nullopt;
    if (name)
        *name = QString::fromUtf8(stat.mid(open + 1, close - open - 1));
    const QList<QByteArray> fields = stat.mid(close + 2).split(' '); // fields[0] is field 3 (state)
    if (fields.size() < 13)
        return std::nullopt;
    const qint64 tick = ::sysconf(_SC_CLK_TCK);
    return CpuSplit{fields[11].toLongLong() * 1000000 / tick, fields[12].toLongLong() * 1000000 / tick};
}

std::optional<qint64> statCpuUs(const QByteArray &stat, QString *name = nullptr) {
    const auto cpu = statCpu(stat, name);
    return cpu ? std::optional<qint64>(cpu->totalUs()) : std::nullopt;
}

} // namespace

std::optional<CpuSplit> processCpuSplitUs(qint64 pid) {
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    return statCpu(f.readAll());
}

std::optional<qint64> processCpuUs(qint64 pid) {
    const auto cpu = processCpuSplitUs(pid);
    return cpu ? std::optional<qint64>(cpu->totalUs()) : std::nullopt;
}

qint64 ownCpuUs() {
    rusage usage = {};
    ::getrusage(RUSAGE_SELF, &usage);
    return (qint64(usage.ru_utime.tv_sec) + usage.ru_stime.tv_sec) * 1000000 + usage.ru_utime.tv_usec +
           usage.ru_stime.tv_usec;
}

QMap<QString, qint64> threadCpuUs(qint64 pid) {
    QMap<QString, qint64> byName;
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(pid));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(tasks.filePath(tid + QStringLiteral("/stat")));
        QString name;
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const auto us = statCpuUs(f.readAll(), &name);
        name.removeIf([](QChar c) { return c.isDigit(); });
        while (name.endsWith(u'-') || name.endsWith(u'_'))
            name.chop(1);
        if (us)
            byName[name] += *us;
    }
    return byName;
}

qint64 machineBusyUs() {
    QFile f(QStringLiteral("/proc/stat"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    // cpu  user nice system idle iowait irq softirq steal ...
    const QList<QByteArray> fields = f.readLine().simplified().split(' ');
    if (fields.size() < 9)
        return 0;
    qint64 ticks = 0;
    for (const int i : {1, 2, 3, 6, 7, 8})
        ticks += fields[i].toLongLong();
    return ticks * 1000000 / ::sysconf(_SC_CLK_TCK);
}

qint64 residentKiB(qint64 pid) {
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    return -1;
}

QByteArray sanitizerReport(const QByteArray &stderrText) {
    const QList<QByteArray> lines = stderrText.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QByteArray &line = lines[i];
        if ((line.startsWith("==") && line.contains("Sanitizer")) || line.contains("runtime error: ") ||
            (line.startsWith("SUMMARY: ") && line.contains("Sanitizer")))
            return lines.mid(i, 300).join('\n');
    }
    return {};
}

QString grouped(qint64 n) {
    return QLocale(QLocale::English).toString(n);
}

double percentileMs(std::vector<qint64> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const std::size_t i = std::min(values.size() - 1, std::size_t(p * double(values.size())));
    return double(values[i]) / 1e6;
}

QString Figures::number(double value, int decimals) {
    return QLocale(QLocale::English).toString(value, 'f', decimals);
}

bool Figures::meets(const Target &target, double value) {
    switch (target.goal) {
    case Goal::AtMost:
        return value <= target.limit;
    case Goal::AtLeast:
        return value >= target.limit;
    case Goal::WithinPercent:
        return std::abs(value) <= target.limit;
    case Goal::Report:
        break;
    }
    return true;
}

QString Figures::shown(const Figure &f, double value) {
    const bool sign = f.target.goal == Goal::WithinPercent && value > 0;
    return (sign ? QStringLiteral("+") : QString()) + number(value, f.decimals);
}

void Figures::print(const QString &name, const QString &value, const Target &target,
                    const QString &verdict) const {
    // Padded as QStrings: the range's dash and "µ" are one column each but more than one byte.
    const QString line = name.leftJustified(m_nameWidth) + u' ' + value.rightJustified(20) +
                         QStringLiteral("   target ") +
                         (target.text.isEmpty() ? QStringLiteral("-") : target.text) + verdict;
    std::printf("%s\n", line.toUtf8().constData());
    std::fflush(stdout);
}

void Figures::add(const QString &name, double value, const QString &unit, int decimals,
                  const Target &target) {
    if (!m_figures.contains(name))
        m_order << name;
    Figure &f = m_figures[name];
    f.unit = unit;
    f.decimals = decimals;
    f.target = target;
    f.values.push_back(value);
    const QString verdict = target.goal == Goal::Report ? QString()
                            : meets(target, value)      ? QStringLiteral("  meets")
                                                        : QStringLiteral("  MISSES");
    print(name, shown(f, value) + unit, target, verdict);
}

void Figures::printRanges(int runs) const {
    std::printf("\nRanges over %d runs (min \u2013 max):\n", runs);
    for (const QString &name : m_order) {
        const Figure &f = m_figures[name];
        const auto [low, high] = std::minmax_element(f.values.begin(), f.values.end());
        const auto missed =
            std::count_if(f.values.begin(), f.values.end(), [&](double v) { return !meets(f.target, v); });
        QString verdict;
        if (f.target.goal != Goal::Report)
            verdict = missed == 0 ? QStringLiteral("  meets in every run")
                                  : QStringLiteral("  MISSES in %1 of %2").arg(missed).arg(f.values.size());
        if (int(f.values.size()) < runs)
            verdict += QStringLiteral(" (measured in %1 of %2 runs)").arg(f.values.size()).arg(runs);
        print(name, shown(f, *low) + QStringLiteral(" \u2013 ") + shown(f, *high) + f.unit, f.target,
              verdict);
    }
}

} // namespace streams::bench
