#include "storage/pgwriter.h"

#include <libpq-fe.h>

#include <QtEndian>

#include <array>
#include <cstdlib>

namespace streams::relay {
namespace {

// A transaction's pipeline is sent whole before its results are read; libpq (blocking) could wait on a full
// socket in both directions if it were unbounded, so a large group is split into transactions of this many.
constexpr std::size_t kMaxPipeline = 512;
constexpr unsigned kTextOid = 25, kInt8Oid = 20, kByteaOid = 17;

QString messageOf(pg_conn *conn) {
    return QString::fromUtf8(PQerrorMessage(conn)).simplified(); // one line for the log
}

// Qt-style `?` placeholders to PostgreSQL's $1, $2, … (outside quoted text).
QByteArray numberedPlaceholders(const QString &sql) {
    QByteArray out;
    const QByteArray in = sql.toUtf8();
    int n = 0;
    bool quoted = false;
    for (const char c : in) {
        if (c == '\'')
            quoted = !quoted;
        if (c == '?' && !quoted)
            out += '$' + QByteArray::number(++n);
        else
            out += c;
    }
    return out;
}

} // namespace

std::unique_ptr<PgWriter> PgWriter::open(const StorageTarget &target, QString *error) {
    std::unique_ptr<PgWriter> w(new PgWriter);
    w->m_conninfo = target.libpqConnectionString();
    w->m_describe = target.describe();
    if (!w->connected()) {
        *error = w->m_error;
        return nullptr;
    }
    return w;
}

PgWriter::~PgWriter() {
    if (m_conn)
        PQfinish(m_conn);
}

bool PgWriter::connected() {
    if (m_conn && PQstatus(m_conn) == CONNECTION_OK)
        return true;
    m_prepared = false;
    if (m_conn)
        PQreset(m_conn);
    else
        m_conn = PQconnectdb(m_conninfo.c_str());
    if (PQstatus(m_conn) != CONNECTION_OK) {
        m_error = QStringLiteral("cannot reach database %1: %2").arg(m_describe, messageOf(m_conn));
        return false;
    }
    PQsetNoticeProcessor(
        m_conn, [](void *, const char *) {}, nullptr); // notices are not errors: not logged
    if (!m_prepared) {
        const std::array<unsigned, 7> types{kTextOid, kTextOid,  kTextOid, kTextOid,
                                            kInt8Oid, kByteaOid, kByteaOid};
        PGresult *r = PQprepare(m_conn, "streams_append", "SELECT streams_append($1, $2, $3, $4, $5, $6, $7)",
                                7, types.data());
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            m_error = QStringLiteral("database %1: %2").arg(m_describe, messageOf(m_conn));
        PQclear(r);
        if (!ok)
            return false;
        m_prepared = true;
    }
    return true;
}

bool PgWriter::exec(const QString &sql, const QVariantList &bindings) {
    std::vector<QByteArray> values;
    values.reserve(std::size_t(bindings.size()));
    std::vector<const char *> pointers;
    for (const QVariant &v : bindings) {
        values.push_back(v.isNull() ? QByteArray() : v.toString().toUtf8());
        pointers.push_back(v.isNull() ? nullptr : values.back().constData());
    }
    PGresult *r = PQexecParams(m_conn, numberedPlaceholders(sql).constData(), int(pointers.size()), nullptr,
                               pointers.data(), nullptr, nullptr, 0);
    const ExecStatusType status = PQresultStatus(r);
    PQclear(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        m_error = messageOf(m_conn);
        return false;
    }
    return true;
}

std::vector<std::optional<qint64>> PgWriter::append(const std::vector<LogAppend> &group,
                                                    const BookkeepingWrites &writes, qint64 receivedAt) {
    std::vector<std::optional<qint64>> results(group.size());
    if (!connected()) {
        qCWarning(lcStore).noquote() << m_error;
        return results;
    }
    // Bookkeeping on its own: in PostgreSQL a failed statement would abort the events' transaction.
    for (const auto &[sql, bindings] : writes)
        if (!exec(sql, bindings))
            qCWarning(lcStore).noquote() << "write failed:" << m_error;
    std::array<char, 8> when{};
    qToBigEndian(receivedAt, when.data());
    const std::string receivedBytes(when.data(), when.size());
    for (std::size_t first = 0; first < group.size(); first += kMaxPipeline)
        if (!appendChunk(group, first, std::min(kMaxPipeline, group.size() - first), receivedBytes, results))
            qCWarning(lcStore).noquote() << "cannot store events:" << m_error;
    return results;
}

bool PgWriter::appendChunk(const std::vector<LogAppend> &group, std::size_t first, std::size_t count,
                           const std::string &receivedAt, std::vector<std::optional<qint64>> &results) {
    if (!PQenterPipelineMode(m_conn)) {
        m_error = messageOf(m_conn);
        return false;
    }
    bool sent = PQsendQueryParams(m_conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) != 0;
    // Every parameter in binary: text's binary form is its bytes, so string_views need no terminator.
    const std::array<int, 7> formats{1, 1, 1, 1, 1, 1, 1};
    for (std::size_t i = first; sent && i < first + count; ++i) {
        const LogAppend &a = group[i];
        const std::array<std::string_view, 7> fields{a.messageId, a.broadcasterId, a.broadcasterId, a.kind,
                                                     receivedAt,  a.frameHead,     a.frameTail};
        std::array<const char *, 7> values{};
        std::array<int, 7> lengths{};
        for (std::size_t f = 0; f < fields.size(); ++f) {
            values[f] = fields[f].data() ? fields[f].data() : "";
            lengths[f] = int(fields[f].size());
        }
        values[1] = a.hasEvent && !a.dedupKey.empty() ? a.dedupKey.data() : nullptr;
        lengths[1] = int(a.dedupKey.size());
        if (!a.hasEvent)
            values[2] = values[3] = values[5] = values[6] = nullptr;
        sent = PQsendQueryPrepared(m_conn, "streams_append", 7, values.data(), lengths.data(), formats.data(),
                                   0) != 0;
    }
    sent = sent && PQsendQueryParams(m_conn, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) != 0 &&
           PQpipelineSync(m_conn) != 0;
    if (!sent)
        m_error = messageOf(m_conn);

    // One result per query (then a null that ends it), then the sync's.
    std::vector<qint64> seqs;
    seqs.reserve(count);
    bool ok = sent;
    for (std::size_t query = 0; sent && query < count + 2; ++query) {
        PGresult *r = PQgetResult(m_conn);
        if (!r) {
            ok = false;
            m_error = messageOf(m_conn);
            break;
        }
        const ExecStatusType status = PQresultStatus(r);
        if (status == PGRES_TUPLES_OK && query > 0 && query <= count && PQntuples(r) == 1)
            seqs.push_back(std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10));
        else if (status != PGRES_COMMAND_OK) {
            if (ok && status != PGRES_PIPELINE_ABORTED)
                m_error = QString::fromUtf8(PQresultErrorMessage(r)).simplified();
            ok = false;
        }
        PQclear(r);
        PQclear(PQgetResult(m_conn)); // the null after each query's result
    }
    // Up to the sync's result (what is left of an interrupted read first), then leave pipeline mode. Two
    // nulls in a row: nothing more comes (the connection is gone).
    for (int nulls = 0; sent && nulls < 2;) {
        PGresult *r = PQgetResult(m_conn);
        if (!r) {
            ++nulls;
            continue;
        }
        nulls = 0;
        const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync)
            break;
    }
    if (!sent || !PQexitPipelineMode(m_conn)) {
        // Half sent or half read: start afresh with a new connection (nothing half done is committed).
        PQfinish(m_conn);
        m_conn = nullptr;
        m_prepared = false;
        return false;
    }
    if (PQtransactionStatus(m_conn) == PQTRANS_INERROR || PQtransactionStatus(m_conn) == PQTRANS_INTRANS)
        PQclear(PQexec(m_conn, "ROLLBACK"));
    if (!ok || seqs.size() != count)
        return false;
    for (std::size_t i = 0; i < count; ++i)
        results[first + i] = seqs[i];
    return true;
}

} // namespace streams::relay
