#pragma once

// Where the user's token is kept: the OS keychain (QtKeychain: Secret Service, Keychain, Credential
// Manager), never a plain file. Without a keychain the session lives in memory only, and says so once.

#include <QObject>
#include <QString>

#include <functional>

namespace streams::app {

class TokenStore {
public:
    virtual ~TokenStore() = default;
    // `done` may run later, on the caller's thread, and only while `context` (whoever asked) still exists.
    virtual void load(QObject *context, std::function<void(QString token)> done) = 0;
    virtual void save(const QString &token, QObject *context, std::function<void(bool kept)> done) = 0;
    virtual void clear() = 0;
    // Why tokens are not kept across restarts (empty when they are).
    virtual QString limitation() const { return {}; }
};

class MemoryTokenStore : public TokenStore {
public:
    void load(QObject *, std::function<void(QString)> done) override { done(m_token); }
    void save(const QString &token, QObject *, std::function<void(bool)> done) override {
        m_token = token;
        done(true);
    }
    void clear() override { m_token.clear(); }

private:
    QString m_token;
};

} // namespace streams::app
