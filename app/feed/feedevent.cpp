#include "feed/feedevent.h"

namespace streams::app {

QDateTime parseTimestamp(const QString &rfc3339) {
    QString text = rfc3339;
    // Qt reads at most milliseconds: drop the digits after them, keep the zone.
    const qsizetype dot = text.indexOf(QLatin1Char('.'));
    if (dot > 0) {
        qsizetype end = dot + 1;
        while (end < text.size() && text[end].isDigit())
            ++end;
        text = text.left(qMin(end, dot + 4)) + text.mid(end);
    }
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    return t.isValid() ? t.toUTC() : QDateTime();
}

QString followKey(const QString &broadcasterId, const QString &userId, const QString &followedAt) {
    const QDateTime t = parseTimestamp(followedAt);
    const QString seconds = t.isValid() ? QString::number(t.toSecsSinceEpoch()) : followedAt;
    return QStringLiteral("follow:%1:%2:%3").arg(broadcasterId, userId, seconds);
}

} // namespace streams::app
