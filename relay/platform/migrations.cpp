#include "platform/migrations.h"

#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>

namespace streams {
namespace {

// SQLite compiles the first statement of a text and ignores the rest, so a second statement in a step
// would be dropped without a word: find one. Semicolons in literals, quoted names and comments do not
// count, nor those between a trigger's BEGIN and END.
bool hasSecondStatement(const QString &sql) {
    static const QRegularExpression trigger(
        QStringLiteral("^\\s*CREATE\\s+(TEMP\\s+|TEMPORARY\\s+)?TRIGGER\\b"),
        QRegularExpression::CaseInsensitiveOption);
    if (trigger.match(sql).hasMatch())
        return false;
    bool ended = false; // a ';' was seen outside quotes and comments
    for (qsizetype i = 0; i < sql.size(); ++i) {
        const QChar c = sql[i];
        if (c == u'\'' || c == u'"' || c == u'`' || c == u'[') {
            const QChar close = c == u'[' ? QChar(u']') : c;
            i = sql.indexOf(close, i + 1);
            if (i < 0)
                return false; // unterminated: SQLite reports it
            if (ended)
                return true;
        } else if (c == u'$' && sql.mid(i, 2) == QLatin1String("$$")) {
            // PostgreSQL's dollar quoting (a function's body)
            i = sql.indexOf(QStringLiteral("$$"), i + 2);
            if (i < 0)
                return false;
            ++i;
            if (ended)
                return true;
        } else if (c == u'-' && sql.mid(i, 2) == QLatin1String("--")) {
            i = sql.indexOf(u'\n', i);
            if (i < 0)
                break;
        } else if (c == u'/' && sql.mid(i, 2) == QLatin1String("/*")) {
            i = sql.indexOf(QStringLiteral("*/"), i + 2);
            if (i < 0)
                break;
            ++i;
        } else if (c == u';') {
            ended = true;
        } else if (ended && !c.isSpace()) {
            return true;
        }
    }
    return false;
}

QString describe(const QSqlError &error, const QString &sql) {
    return QStringLiteral("%1 (%2)").arg(error.text(), sql.simplified().left(60));
}

} // namespace

bool isPostgres(const QSqlDatabase &db) {
    return db.driverName() == QLatin1String("QPSQL");
}

std::optional<int> schemaVersion(const QSqlDatabase &db) {
    QSqlQuery q(db);
    if (isPostgres(db)) {
        // PostgreSQL has no user_version: a one-row table holds it.
        if (!q.exec(QStringLiteral("SELECT to_regclass('streams_schema') IS NOT NULL")) || !q.next())
            return std::nullopt;
        if (!q.value(0).toBool())
            return 0;
        if (!q.exec(QStringLiteral("SELECT version FROM streams_schema")))
            return std::nullopt;
        return q.next() ? q.value(0).toInt() : 0;
    }
    if (!q.exec(QStringLiteral("PRAGMA user_version")) || !q.next())
        return std::nullopt;
    return q.value(0).toInt();
}

std::optional<MigrationError> migrateSchema(QSqlDatabase &db, const QList<MigrationStep> &steps) {
    int known = 0;
    for (const MigrationStep &step : steps) {
        // The list is the program's own: a mistake in it is a bug, reported before anything is written.
        QString mistake;
        if (step.version != known && step.version != known + 1)
            mistake = QStringLiteral("migration steps out of order: version %1 after %2")
                          .arg(step.version)
                          .arg(known);
        else if (hasSecondStatement(step.sql))
            mistake = QStringLiteral("a migration step holds more than one statement (%1)")
                          .arg(step.sql.simplified().left(60));
        if (!mistake.isEmpty())
            return MigrationError{MigrationError::Kind::Failed, 0, 0, mistake};
        known = step.version;
    }
    const std::optional<int> found = schemaVersion(db);
    if (!found)
        return MigrationError{
            MigrationError::Kind::Failed, 0, known,
            QStringLiteral("cannot read the schema version: %1").arg(db.lastError().text())};
    if (*found > known)
        return MigrationError{MigrationError::Kind::NewerSchema, *found, known, {}};

    auto it = steps.cbegin();
    while (it != steps.cend() && it->version <= *found)
        ++it;
    while (it != steps.cend()) {
        const int version = it->version;
        if (!db.transaction())
            return MigrationError{
                MigrationError::Kind::Failed, *found, known,
                QStringLiteral("cannot start a transaction: %1").arg(db.lastError().text())};
        QString failure;
        if (isPostgres(db)) {
            // Several relays may start at once on one database: one migrates, the others wait for it and
            // then find the version already there.
            QSqlQuery lock(db);
            if (!lock.exec(QStringLiteral("SELECT pg_advisory_xact_lock(7262010311)")) ||
                !lock.exec(
                    QStringLiteral("CREATE TABLE IF NOT EXISTS streams_schema(version INTEGER NOT NULL)")))
                failure = describe(lock.lastError(), QStringLiteral("schema lock"));
            const std::optional<int> now = failure.isEmpty() ? schemaVersion(db) : std::nullopt;
            if (failure.isEmpty() && !now)
                failure = QStringLiteral("cannot read the schema version: %1").arg(db.lastError().text());
            if (now && *now > known) {
                db.rollback();
                return MigrationError{MigrationError::Kind::NewerSchema, *now, known, {}};
            }
            if (now && *now >= version) { // another relay did it meanwhile
                db.commit();
                while (it != steps.cend() && it->version <= *now)
                    ++it;
                continue;
            }
        }
        for (; failure.isEmpty() && it != steps.cend() && it->version == version; ++it) {
            QSqlQuery q(db);
            if (it->values.isEmpty()) {
                // Not prepared: Qt would read ':' and '?' in a PostgreSQL function body as placeholders.
                if (!q.exec(it->sql))
                    failure = describe(q.lastError(), it->sql);
                continue;
            }
            if (!q.prepare(it->sql)) {
                failure = describe(q.lastError(), it->sql);
                break;
            }
            for (const QVariant &value : it->values)
                q.addBindValue(value);
            if (!q.exec())
                failure = describe(q.lastError(), it->sql);
        }
        if (failure.isEmpty()) {
            QSqlQuery q(db);
            const QString sql = isPostgres(db) ? QStringLiteral("DELETE FROM streams_schema")
                                               : QStringLiteral("PRAGMA user_version = %1").arg(version);
            if (!q.exec(sql))
                failure = describe(q.lastError(), sql);
            const QString set = QStringLiteral("INSERT INTO streams_schema(version) VALUES(%1)").arg(version);
            if (failure.isEmpty() && isPostgres(db) && !q.exec(set))
                failure = describe(q.lastError(), set);
        }
        if (failure.isEmpty() && !db.commit())
            failure = QStringLiteral("cannot commit version %1: %2").arg(version).arg(db.lastError().text());
        if (!failure.isEmpty()) {
            db.rollback();
            return MigrationError{MigrationError::Kind::Failed, *found, known, failure};
        }
    }
    return std::nullopt;
}

} // namespace streams
