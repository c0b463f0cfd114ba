#include "twitch/keychaintokenstore.h"

#include <QLoggingCategory>
#include <qt6keychain/keychain.h>

Q_LOGGING_CATEGORY(lcKeychain, "streams.app.keychain")

namespace streams::app {

void KeychainTokenStore::fallBack(const QString &why) {
    if (!m_limitation.isEmpty())
        return;
    m_limitation =
        QObject::tr("No keychain is available (%1): you stay logged in only until the app closes.").arg(why);
    qCWarning(lcKeychain).noquote() << m_limitation;
}

void KeychainTokenStore::load(std::function<void(QString)> done) {
    if (!m_limitation.isEmpty()) {
        done(m_memory);
        return;
    }
    auto *job = new QKeychain::ReadPasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(m_key);
    QObject::connect(job, &QKeychain::Job::finished, job, [this, job, done = std::move(done)] {
        switch (job->error()) {
        case QKeychain::NoError:
            done(job->textData());
            return;
        case QKeychain::EntryNotFound:
            done({});
            return;
        default:
            fallBack(job->errorString());
            done(m_memory);
        }
    });
    job->start();
}

void KeychainTokenStore::save(const QString &token, std::function<void(bool)> done) {
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
    QObject::connect(job, &QKeychain::Job::finished, job, [this, job, done = std::move(done)] {
        if (job->error() == QKeychain::NoError) {
            m_memory.clear(); // the keychain has it
            done(true);
            return;
        }
        fallBack(job->errorString());
        done(false);
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
