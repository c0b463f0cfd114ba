#pragma once

#include "twitch/tokenstore.h"

namespace streams::app {

// The token in the OS keychain through QtKeychain (no insecure fallback to files). When no keychain
// answers, the token is kept in memory for this run and limitation() says so. A QObject so that the
// keychain's answers find it (or nothing, once it is gone).
class KeychainTokenStore : public QObject, public TokenStore {
public:
    KeychainTokenStore(QString service, QString key)
        : m_service(std::move(service))
        , m_key(std::move(key)) {}
    // The login of a profile folder: one keychain entry per profile, so several accounts live side by side;
    // streams-viewer and streams-events open the same one.
    static QString serviceName() { return QStringLiteral("Streams & Events Viewer"); }
    static QString accountForProfile(const QString &profileDir);
    void load(QObject *context, std::function<void(QString token)> done) override;
    void save(const QString &token, QObject *context, std::function<void(bool kept)> done) override;
    void clear() override;
    QString limitation() const override { return m_limitation; }

private:
    void fallBack(const QString &why);

    QString m_service;
    QString m_key;
    QString m_memory; // used only without a keychain
    QString m_limitation;
};

} // namespace streams::app
