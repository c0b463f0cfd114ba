#include "protocol/timestamp.h"

namespace streams::protocol {
namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
qint64 daysFromCivil(qint64 y, unsigned m, unsigned d) {
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + qint64(doe) - 719468;
}

bool leapYear(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

class Reader {
public:
    explicit Reader(QByteArrayView text)
        : m_text(text) {}
    // `count` decimal digits as a number; -1 when they are not all there.
    int digits(int count) {
        int value = 0;
        for (int i = 0; i < count; ++i) {
            if (m_pos >= m_text.size() || m_text[m_pos] < '0' || m_text[m_pos] > '9')
                return -1;
            value = value * 10 + (m_text[m_pos++] - '0');
        }
        return value;
    }
    bool take(char c) {
        if (m_pos < m_text.size() &&
            (m_text[m_pos] == c || (c >= 'A' && c <= 'Z' && m_text[m_pos] == c + 32))) {
            ++m_pos;
            return true;
        }
        return false;
    }
    bool atDigit() const { return m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9'; }
    bool atEnd() const { return m_pos == m_text.size(); }

private:
    QByteArrayView m_text;
    qsizetype m_pos = 0;
};

} // namespace

std::optional<qint64> parseRfc3339Ms(QByteArrayView text) {
    static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    Reader r(text);
    const int year = r.digits(4);
    if (year < 0 || !r.take('-'))
        return std::nullopt;
    const int month = r.digits(2);
    if (month < 1 || month > 12 || !r.take('-'))
        return std::nullopt;
    const int day = r.digits(2);
    if (day < 1 || day > kMonthDays[month - 1] + (month == 2 && leapYear(year) ? 1 : 0) || !r.take('T'))
        return std::nullopt;
    const int hour = r.digits(2);
    if (hour < 0 || hour > 23 || !r.take(':'))
        return std::nullopt;
    const int minute = r.digits(2);
    if (minute < 0 || minute > 59 || !r.take(':'))
        return std::nullopt;
    const int second = r.digits(2);
    if (second < 0 || second > 59)
        return std::nullopt;
    int millis = 0;
    if (r.take('.')) {
        int fractionDigits = 0;
        while (r.atDigit()) {
            const int digit = r.digits(1);
            if (fractionDigits < 3)
                millis = millis * 10 + digit;
            if (++fractionDigits > 9)
                return std::nullopt;
        }
        if (fractionDigits == 0)
            return std::nullopt;
        for (int i = fractionDigits; i < 3; ++i)
            millis *= 10;
    }
    int offsetMinutes = 0;
    if (!r.take('Z')) {
        const bool plus = r.take('+');
        if (!plus && !r.take('-'))
            return std::nullopt;
        const int offsetHours = r.digits(2);
        if (offsetHours < 0 || offsetHours > 23 || !r.take(':'))
            return std::nullopt;
        const int offsetMins = r.digits(2);
        if (offsetMins < 0 || offsetMins > 59)
            return std::nullopt;
        offsetMinutes = (plus ? 1 : -1) * (offsetHours * 60 + offsetMins);
    }
    if (!r.atEnd())
        return std::nullopt;
    const qint64 seconds = daysFromCivil(year, unsigned(month), unsigned(day)) * 86400 + hour * 3600 +
                           minute * 60 + second - qint64(offsetMinutes) * 60;
    return seconds * 1000 + millis;
}

std::optional<QDateTime> parseRfc3339(QByteArrayView text) {
    const auto ms = parseRfc3339Ms(text);
    if (!ms)
        return std::nullopt;
    // UTC as a time spec, not a zone: ISO strings end in Z, as Twitch writes them.
    return QDateTime::fromMSecsSinceEpoch(*ms, Qt::UTC);
}

} // namespace streams::protocol
