#include "twitch/implicitgrant.h"

#include <QHash>
#include <QRandomGenerator>

namespace streams::app {
namespace {

// application/x-www-form-urlencoded pairs: '+' is a space (Twitch's scope lists use it).
QHash<QString, QString> formPairs(const QString &encoded) {
    QHash<QString, QString> out;
    for (const QString &pair : encoded.split(QLatin1Char('&'), Qt::SkipEmptyParts)) {
        const qsizetype eq = pair.indexOf(QLatin1Char('='));
        auto decode = [](QString s) {
            s.replace(QLatin1Char('+'), QLatin1Char(' '));
            return QUrl::fromPercentEncoding(s.toUtf8());
        };
        out.insert(decode(eq < 0 ? pair : pair.left(eq)), eq < 0 ? QString() : decode(pair.mid(eq + 1)));
    }
    return out;
}

QString normalizedPath(const QUrl &url) {
    return url.path().isEmpty() ? QStringLiteral("/") : url.path();
}

} // namespace

ImplicitGrant::ImplicitGrant(QUrl authBase, QString clientId, QUrl redirectUri, QStringList scopes,
                             bool forceVerify)
    : m_authBase(std::move(authBase))
    , m_clientId(std::move(clientId))
    , m_redirectUri(std::move(redirectUri))
    , m_scopes(std::move(scopes))
    , m_forceVerify(forceVerify) {
    quint32 words[4];
    QRandomGenerator::system()->fillRange(words);
    for (quint32 w : words)
        m_state += QString::number(w, 16).rightJustified(8, QLatin1Char('0'));
}

QUrl ImplicitGrant::authorizeUrl() const {
    QUrl url = m_authBase;
    url.setPath(url.path() + QStringLiteral("/authorize"));
    // Every value percent-encoded, as Twitch's docs show (redirect_uri=http%3A%2F%2Flocalhost…, scope
    // a%3Ab%20c).
    QList<QPair<QString, QString>> items{{QStringLiteral("response_type"), QStringLiteral("token")},
                                         {QStringLiteral("client_id"), m_clientId},
                                         {QStringLiteral("redirect_uri"), m_redirectUri.toString()},
                                         {QStringLiteral("scope"), m_scopes.join(QLatin1Char(' '))},
                                         {QStringLiteral("state"), m_state}};
    if (m_forceVerify)
        items.append({QStringLiteral("force_verify"), QStringLiteral("true")});
    QStringList parts;
    for (const auto &[key, value] : items)
        parts.append(key + QLatin1Char('=') + QString::fromLatin1(QUrl::toPercentEncoding(value)));
    url.setQuery(parts.join(QLatin1Char('&')), QUrl::StrictMode);
    return url;
}

ImplicitGrant::Verdict ImplicitGrant::inspect(const QUrl &navigation) const {
    Verdict v;
    if (navigation.scheme() != m_redirectUri.scheme() || navigation.host() != m_redirectUri.host() ||
        navigation.port(-1) != m_redirectUri.port(-1) ||
        normalizedPath(navigation) != normalizedPath(m_redirectUri))
        return v; // a page of the login flow itself
    const auto query = formPairs(navigation.query(QUrl::FullyEncoded));
    const auto fragment = formPairs(navigation.fragment(QUrl::FullyEncoded));
    v.outcome = Outcome::Failure;
    const QString state = fragment.contains(QStringLiteral("state")) ? fragment.value(QStringLiteral("state"))
                                                                     : query.value(QStringLiteral("state"));
    if (state != m_state) {
        v.error = QStringLiteral("state_mismatch");
        v.description =
            QStringLiteral("The login answer did not belong to this login attempt. Please try again.");
        return v;
    }
    if (query.contains(QStringLiteral("error"))) {
        v.error = query.value(QStringLiteral("error"));
        v.description = query.value(QStringLiteral("error_description"));
        if (v.error == u"access_denied")
            v.description = QStringLiteral("You declined access on Twitch. Log in again when you are ready.");
        else if (v.description.isEmpty())
            v.description = QStringLiteral("Twitch refused the login (%1).").arg(v.error);
        return v;
    }
    const QString token = fragment.value(QStringLiteral("access_token"));
    if (token.isEmpty()) {
        v.error = QStringLiteral("missing_token");
        v.description = QStringLiteral("Twitch sent no token back. Please try again.");
        return v;
    }
    v.outcome = Outcome::Success;
    v.token = token;
    v.scopes = fragment.value(QStringLiteral("scope")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    v.error.clear();
    return v;
}

} // namespace streams::app
