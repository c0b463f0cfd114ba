#pragma once

// The app's settings, typed, in the profile folder (settings.ini). Never a token: those live in the keychain.

#include <QByteArray>
#include <QSettings>
#include <QString>
#include <QUrl>

#include <memory>

namespace streams::app {

class Settings {
public:
    enum class Theme { System, Light, Dark };
    struct Streamer {
        QString id;
        QString login;
        QString displayName;
        bool isEmpty() const { return id.isEmpty(); }
    };

    explicit Settings(const QString &profileDirectory);

    Streamer favoriteStreamer() const;
    void setFavoriteStreamer(const Streamer &streamer);

    QUrl relayUrl() const; // empty until chosen
    void setRelayUrl(const QUrl &url);

    Theme theme() const;
    void setTheme(Theme theme);
    static QString themeName(Theme theme);

    bool notificationsEnabled() const;
    void setNotificationsEnabled(bool on);
    bool doNotDisturb() const;
    void setDoNotDisturb(bool on);

    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray &state);
    QByteArray splitterState() const;
    void setSplitterState(const QByteArray &state);

    void sync() { m_settings->sync(); }
    QString path() const { return m_settings->fileName(); }

private:
    std::unique_ptr<QSettings> m_settings;
};

} // namespace streams::app
