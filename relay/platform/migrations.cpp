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

std::optional<int> schemaVersion(const QSqlDatabase &db) {
    QSqlQuery q(db);
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
        for (; it != steps.cend() && it->version == version && failure.isEmpty(); ++it) {
            QSqlQuery q(db);
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
            const QString sql = QStringLiteral("PRAGMA user_version = %1").arg(version);
            if (!q.exec(sql))
                failure = describe(q.lastError(), sql);
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
