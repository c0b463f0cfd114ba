#pragma once

// A POST to id.twitch.tv with an application/x-www-form-urlencoded body, every value fully
// percent-encoded ('+', '/', '=' included: tokens and refresh tokens may hold them).

#include <QList>
#include <QNetworkAccessManager>
#include <QPair>
#include <QString>
#include <QUrl>

class QNetworkReply;

namespace streams::app {

using OAuthForm = QList<QPair<QString, QString>>;

QNetworkReply *postOAuthForm(QNetworkAccessManager &network, const QUrl &authBase, const QString &path,
                             const OAuthForm &form);

} // namespace streams::app
