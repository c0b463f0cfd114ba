#pragma once

// Above the feed, what the user should know about where its events come from: the features this channel
// could show but the login does not allow (with the button that logs in again to grant them), and the
// feed's sentences about its sources ("Twitch stopped sending this channel's cheers …"), until dismissed.

#include <QFrame>
#include <QStringList>

class QLabel;
class QPushButton;

namespace streams::ui {

class SourceBanner : public QFrame {
    Q_OBJECT
public:
    explicit SourceBanner(QWidget *parent = nullptr);

    // Features for people ("cheers", "subscriptions"); empty hides that part.
    void setFeaturesNeedingLogin(const QStringList &features);
    void addNotice(const QString &sentence);
    void clearNotices(); // another channel: its sentences do not apply

    QString loginText() const;
    bool loginVisible() const;
    QPushButton *loginButton() const { return m_login; }
    QStringList notices() const { return m_notices; }
    bool noticesVisible() const;
    QPushButton *dismissButton() const { return m_dismiss; }

Q_SIGNALS:
    void loginRequested();

private:
    void refresh();

    QWidget *m_loginRow;
    QLabel *m_loginText;
    QPushButton *m_login;
    QWidget *m_noticeRow;
    QLabel *m_noticeText;
    QPushButton *m_dismiss;
    QStringList m_notices;
};

} // namespace streams::ui
