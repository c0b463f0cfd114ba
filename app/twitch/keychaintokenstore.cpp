#include "twitch/keychaintokenstore.h"

#include <QCryptographicHash>

#include <QLoggingCategory>
#include <QPointer>
#include <qt6keychain/keychain.h>

Q_LOGGING_CATEGORY(lcKeychain, "streams.app.keychain")

namespace streams::app {

QString KeychainTokenStore::accountForProfile(const QString &profileDir) {
    return QStringLiteral("twitch-login-") +
           QString::fromLatin1(
               QCryptographicHash::hash(profileDir.toUtf8(), QCryptographicHash::Sha256).toHex().left(16));
}

void KeychainTokenStore::fallBack(const QString &why) {
    if (!m_limitation.isEmpty())
        return;
    m_limitation =
        QObject::tr("No keychain is available (%1): you stay logged in only until the app closes.").arg(why);
    qCWarning(lcKeychain).noquote() << m_limitation;
}

void KeychainTokenStore::load(QObject *context, std::function<void(QString)> done) {
    Q_ASSERT(context);
    if (!m_limitation.isEmpty()) {
        done(m_memory);
        return;
    }
    auto *job = new QKeychain::ReadPasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(m_key);
    // The store's own bookkeeping while the store exists; the answer only while whoever asked does.
    QPointer<QObject> caller(context);
    connect(job, &QKeychain::Job::finished, this, [this, job, caller, done = std::move(done)] {
        QString token;
        switch (job->error()) {
        case QKeychain::NoError:
            token = job->textData();
            break;
        case QKeychain::EntryNotFound:
            break;
        default:
            fallBack(job->errorString());
            token = m_memory;
        }
        if (caller)
            done(token);
    });
    job->start();
}

void KeychainTokenStore::save(const QString &token, QObject *context, std::function<void(bool)> done) {
    Q_ASSERT(context);
    m_memory = token;
    if (!m_limitation.isEmpty()) {
        done(false);
        return;
    }
    auto *job = new QKeychain::WritePasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(m_key);
    job->setInsecureFallback(false); // never a plain file
    job->setTextData(token);
    QPointer<QObject> caller(context);
    connect(job, &QKeychain::Job::finished, this, [this, job, caller, done = std::move(done)] {
        const bool kept = job->error() == QKeychain::NoError;
        if (kept)
            m_memory.clear(); // the keychain has it
        else
            fallBack(job->errorString());
        if (caller)
            done(kept);
    });
    job->start();
}

void KeychainTokenStore::clear() {
    m_memory.clear();
    if (!m_limitation.isEmpty())
        return;
    auto *job = new QKeychain::DeletePasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(m_key);
    job->start();
}

} // namespace streams::app
