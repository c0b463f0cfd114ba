#pragma once

// Small pieces relay-bench measures with: a monotonic clock shared by every thread of the bench, what a
// process has spent (from /proc, for the whole process), a reader for the top-level members of a JSON frame
// that does not care about member order or spacing, and the table of figures with their targets.

#include <QByteArray>
#include <QByteArrayView>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace streams::bench {

// CLOCK_MONOTONIC in nanoseconds: the load generator and the client fleets stamp with the same clock.
qint64 monotonicNs();

// The raw value of a top-level member of a JSON object: a string's characters without the quotes (escapes
// left as they are) or a number's text. Nested objects are skipped, so the "type" inside an event's "data"
// is never taken for the frame's own; nullopt when the member is missing or the text is not an object.
std::optional<QByteArrayView> topLevelMember(QByteArrayView json, QByteArrayView key);

// User + system CPU of a whole process, every thread it has had included (/proc/PID/stat), in µs.
std::optional<qint64> processCpuUs(qint64 pid);
// The same, split: time in the process's own code and libraries, and time in the kernel on its behalf.
struct CpuSplit {
    qint64 userUs = 0;
    qint64 systemUs = 0;
    qint64 totalUs() const { return userUs + systemUs; }
};
std::optional<CpuSplit> processCpuSplitUs(qint64 pid);
// The same for this process, at microsecond resolution (getrusage).
qint64 ownCpuUs();
// User + system CPU per thread name of a process, digits dropped ("io-0", "io-1" -> "io"): where it went.
QMap<QString, qint64> threadCpuUs(qint64 pid);
// CPU the whole machine has spent outside idle and I/O wait (/proc/stat), in µs: what other processes took
// shows whether the machine was quiet.
qint64 machineBusyUs();
// Resident memory of a process in KiB, or -1.
qint64 residentKiB(qint64 pid);

// A sanitizer's report (ASan, LSan, UBSan...) in what a process wrote to stderr, from its first line on and
// at most 300 lines; empty if there is none.
QByteArray sanitizerReport(const QByteArray &stderrText);

// 10000 -> "10,000".
QString grouped(qint64 n);

// The p-quantile (0..1) of durations in ns, in ms.
double percentileMs(std::vector<qint64> values, double p);

// Each figure is printed as it is measured, with its target and whether it meets it; over several runs the
// ranges are printed at the end. The bench prints and never fails on a figure.
class Figures {
public:
    enum class Goal { Report, AtMost, AtLeast, WithinPercent };
    struct Target {
        Goal goal = Goal::Report;
        double limit = 0;
        QString text; // what is printed as the target
    };
    static Target atMost(double limit, const QString &text) { return {Goal::AtMost, limit, text}; }
    static Target atLeast(double limit, const QString &text) { return {Goal::AtLeast, limit, text}; }
    // The value is a difference in percent; the target is its magnitude.
    static Target withinPercent(double limit, const QString &text) {
        return {Goal::WithinPercent, limit, text};
    }
    static Target report(const QString &text = {}) { return {Goal::Report, 0, text}; }

    void add(const QString &name, double value, const QString &unit, int decimals, const Target &target);
    // Columns the names are padded to (64 unless set).
    void setNameWidth(int columns) { m_nameWidth = columns; }
    void printRanges(int runs) const;

private:
    struct Figure {
        QString unit;
        int decimals = 0;
        Target target;
        std::vector<double> values;
    };
    static bool meets(const Target &target, double value);
    static QString number(double value, int decimals);
    static QString shown(const Figure &f, double value);
    void print(const QString &name, const QString &value, const Target &target, const QString &verdict) const;
    int m_nameWidth = 64;
    QStringList m_order;
    QMap<QString, Figure> m_figures;
};

} // namespace streams::bench
