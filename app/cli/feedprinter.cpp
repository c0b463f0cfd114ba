#include "cli/feedprinter.h"

#include "feed/feedmodel.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace streams::cli {

namespace {

// A JSON string (quoted and escaped), or null when empty.
QByteArray jsonString(const QString &text, bool nullWhenEmpty = true) {
    if (text.isEmpty() && nullWhenEmpty)
        return QByteArrayLiteral("null");
    const QByteArray array = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2); // ["…"] without its brackets
}

} // namespace

QByteArray toJsonLine(const app::FeedEvent &e) {
    // Written field by field so that the keys come in the documented order.
    QByteArray line;
    line.reserve(256);
    line += "{\"kind\":" + jsonString(e.kind, false);
    line += ",\"occurred_at\":" + (e.occurredAt.isValid()
                                       ? jsonString(e.occurredAt.toUTC().toString(Qt::ISODateWithMs))
                                       : QByteArrayLiteral("null"));
    if (e.userId.isEmpty() && e.userLogin.isEmpty() && e.userName.isEmpty())
        line += ",\"user\":null";
    else
        line += ",\"user\":{\"id\":" + jsonString(e.userId) + ",\"login\":" + jsonString(e.userLogin) +
                ",\"name\":" + jsonString(e.userName) + '}';
    line += ",\"amount\":" + QByteArray::number(e.amount);
    line += ",\"tier\":" + jsonString(e.tier);
    line += ",\"message\":" + jsonString(e.message);
    line += ",\"source\":" + jsonString(e.source, false);
    line += ",\"id\":" + jsonString(e.key, false);
    line += "}\n";
    return line;
}

FeedPrinter::FeedPrinter(const app::FeedModel &model, QDateTime since, std::FILE *out, QObject *parent)
    : QObject(parent)
    , m_model(model)
    , m_since(std::move(since))
    , m_out(out) {
    connect(&m_model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &, int first, int last) { printRows(first, last); });
    // A reset (a channel opened, older events merged in) shows everything again: print what is new in it.
    connect(&m_model, &QAbstractItemModel::modelReset, this, [this] {
        if (m_model.rowCount() > 0)
            printRows(0, m_model.rowCount() - 1);
    });
}

bool FeedPrinter::admit(const app::FeedEvent &e) {
    if (m_printed.contains(e.key) || (e.occurredAt.isValid() && e.occurredAt < m_since))
        return false;
    m_printed.insert(e.key);
    return true;
}

void FeedPrinter::print(const QList<app::FeedEvent> &events) {
    QList<app::FeedEvent> admitted;
    for (const app::FeedEvent &e : events)
        if (admit(e))
            admitted.append(e);
    write(std::move(admitted));
}

void FeedPrinter::printRows(int first, int last) {
    QList<app::FeedEvent> events;
    for (int row = last; row >= first; --row) // row 0 is the newest: oldest first, ties in the model's order
        if (admit(m_model.at(row)))
            events.append(m_model.at(row));
    write(std::move(events));
    // The model only ever gets events the store had not seen, so a key that has left the model does not come
    // back: the keys still shown are all that must be remembered.
    if (m_printed.size() > kMaxRemembered) {
        QSet<QString> shown;
        for (int row = 0; row < m_model.rowCount(); ++row)
            shown.insert(m_model.at(row).key);
        m_printed = std::move(shown);
    }
}

void FeedPrinter::write(QList<app::FeedEvent> events) {
    if (events.isEmpty() || m_closed)
        return;
    std::stable_sort(events.begin(), events.end(), [](const app::FeedEvent &a, const app::FeedEvent &b) {
        return a.occurredAt < b.occurredAt;
    });
    QByteArray out;
    for (const app::FeedEvent &e : std::as_const(events))
        out += toJsonLine(e);
    if (std::fwrite(out.constData(), 1, size_t(out.size()), m_out) != size_t(out.size()) ||
        std::fflush(m_out) != 0) {
        m_closed = true;
        Q_EMIT outputClosed();
    }
}

} // namespace streams::cli
