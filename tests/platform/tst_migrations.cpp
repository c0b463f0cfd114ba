// Schema migrations (platform/migrations.h) on real SQLite files: a new database, one a version behind, one
// from a newer program, a step that fails halfway through its version, and step lists that are mistakes.

#include "platform/migrations.h"

#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using streams::MigrationError;
using streams::MigrationStep;

namespace {

const QList<MigrationStep> kVersion1 = {
    {1, QStringLiteral("CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT NOT NULL)")},
    {1, QStringLiteral("CREATE INDEX notes_by_text ON notes(text)")},
};
const QList<MigrationStep> kVersion2 =
    kVersion1 + QList<MigrationStep>{
                    {2, QStringLiteral("ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")},
                    {2,
                     QStringLiteral("INSERT INTO notes(text, pinned) VALUES(?, ?)"),
                     {QStringLiteral("welcome; read me"), 1}},
                };

} // namespace

class TestMigrations : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        m_connection = QUuid::createUuid().toString(QUuid::WithoutBraces);
        m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
        m_db.setDatabaseName(m_dir.filePath(m_connection + QStringLiteral(".sqlite3")));
        QVERIFY(m_db.open());
    }
    void cleanup() {
        m_db.close();
        m_db = {};
        QSqlDatabase::removeDatabase(m_connection);
    }

    void freshDatabase() {
        QCOMPARE(streams::schemaVersion(m_db), 0);
        QVERIFY(!streams::migrateSchema(m_db, kVersion2));
        QCOMPARE(streams::schemaVersion(m_db), 2);
        QCOMPARE(tables(), QStringList({"notes", "notes_by_text"}));
        QSqlQuery q(m_db);
        QVERIFY(q.exec("SELECT text, pinned FROM notes"));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("welcome; read me")); // bound, and not split on ';'
        QCOMPARE(q.value(1).toInt(), 1);
        // Once more: nothing to do, nothing run twice.
        QVERIFY(!streams::migrateSchema(m_db, kVersion2));
        QCOMPARE(count("notes"), 1);
    }

    void partlyMigrated() {
        QVERIFY(!streams::migrateSchema(m_db, kVersion1));
        QCOMPARE(streams::schemaVersion(m_db), 1);
        QSqlQuery q(m_db);
        QVERIFY(q.exec("INSERT INTO notes(text) VALUES('kept')"));
        // Version 1's steps would fail if run again (the table exists): only version 2's run.
        QVERIFY(!streams::migrateSchema(m_db, kVersion2));
        QCOMPARE(streams::schemaVersion(m_db), 2);
        QCOMPARE(count("notes"), 2);
        QVERIFY(q.exec("SELECT pinned FROM notes WHERE text = 'kept'") && q.next());
        QCOMPARE(q.value(0).toInt(), 0);
    }

    void newerThanKnownIsRefused() {
        QVERIFY(!streams::migrateSchema(m_db, kVersion2));
        QSqlQuery q(m_db);
        QVERIFY(q.exec("PRAGMA user_version = 7"));
        const auto failed = streams::migrateSchema(m_db, kVersion2);
        QVERIFY(failed);
        QCOMPARE(failed->kind, MigrationError::Kind::NewerSchema);
        QCOMPARE(failed->found, 7);
        QCOMPARE(failed->known, 2);
        QCOMPARE(streams::schemaVersion(m_db), 7); // untouched
        QCOMPARE(count("notes"), 1);
    }

    void aFailingStepRollsItsVersionBack() {
        const QList<MigrationStep> broken =
            kVersion1 + QList<MigrationStep>{
                            {2, QStringLiteral("CREATE TABLE tags(name TEXT PRIMARY KEY)")},
                            {2, QStringLiteral("INSERT INTO tags(name) VALUES('a')")},
                            {2, QStringLiteral("INSERT INTO no_such_table VALUES(1)")},
                            {3, QStringLiteral("CREATE TABLE never(x)")},
                        };
        const auto failed = streams::migrateSchema(m_db, broken);
        QVERIFY(failed);
        QCOMPARE(failed->kind, MigrationError::Kind::Failed);
        QVERIFY2(failed->detail.contains("no_such_table"), qPrintable(failed->detail));
        // Version 1 is complete and stays; nothing of version 2 (or 3) is left.
        QCOMPARE(streams::schemaVersion(m_db), 1);
        QCOMPARE(tables(), QStringList({"notes", "notes_by_text"}));
        QVERIFY(m_db.transaction()); // no transaction was left open
        QVERIFY(m_db.rollback());
        // The fixed program migrates the same file.
        QVERIFY(!streams::migrateSchema(m_db, kVersion2));
        QCOMPARE(streams::schemaVersion(m_db), 2);
    }

    void stepListMistakesAreRefusedBeforeAnythingRuns() {
        const QList<QList<MigrationStep>> mistakes = {
            {{1, "CREATE TABLE a(x)"}, {3, "CREATE TABLE b(x)"}}, // a version skipped
            {{2, "CREATE TABLE a(x)"}},                           // not starting at 1
            {{1, "CREATE TABLE a(x); CREATE TABLE b(x)"}},        // two statements
            {{1, "CREATE TABLE a(x);\n-- fine\n"}, {1, "CREATE TABLE b(x); DROP TABLE a"}}, // the second step
        };
        for (const auto &steps : mistakes) {
            const auto failed = streams::migrateSchema(m_db, steps);
            QVERIFY(failed);
            QCOMPARE(failed->kind, MigrationError::Kind::Failed);
            QCOMPARE(streams::schemaVersion(m_db), 0);
            QVERIFY(tables().isEmpty());
        }
    }

    void semicolonsThatEndNothing() {
        const QList<MigrationStep> steps = {
            {1, "CREATE TABLE \"odd;name\"(x TEXT DEFAULT 'a;b') -- trailing; comment"},
            {1, "/* leading; comment */ CREATE TABLE log(x)"},
            {1, "CREATE TRIGGER copy AFTER INSERT ON \"odd;name\" BEGIN INSERT INTO log VALUES(new.x); END"},
            {1, "INSERT INTO \"odd;name\" DEFAULT VALUES;"},
        };
        const auto failed = streams::migrateSchema(m_db, steps);
        QVERIFY2(!failed, failed ? qPrintable(failed->detail) : "");
        QSqlQuery q(m_db);
        QVERIFY(q.exec("SELECT x FROM log") && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("a;b"));
    }

private:
    QStringList tables() {
        QSqlQuery q(m_db);
        q.exec("SELECT name FROM sqlite_master ORDER BY name");
        QStringList names;
        while (q.next())
            names << q.value(0).toString();
        return names;
    }
    int count(const QString &table) {
        QSqlQuery q(m_db);
        return q.exec("SELECT count(*) FROM " + table) && q.next() ? q.value(0).toInt() : -1;
    }

    QTemporaryDir m_dir;
    QString m_connection;
    QSqlDatabase m_db;
};

QTEST_GUILESS_MAIN(TestMigrations)
#include "tst_migrations.moc"
