#include "cli/options.h"

#include <QCommandLineParser>
#include <QDir>
#include <QRegularExpression>

namespace streams::cli {

namespace {

QString usage(const QString &what) {
    return what + QStringLiteral(" See streams-events --help.");
}

} // namespace

std::optional<std::chrono::seconds> parseDuration(const QString &text) {
    static const QRegularExpression whole(QStringLiteral("^(?:\\d+[smhd])+$"));
    static const QRegularExpression part(QStringLiteral("(\\d+)([smhd])"));
    if (!whole.match(text).hasMatch())
        return std::nullopt;
    qint64 seconds = 0;
    for (auto it = part.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        bool ok = false;
        const qint64 n = m.captured(1).toLongLong(&ok);
        const QChar unit = m.captured(2).at(0);
        const qint64 scale = unit == u's' ? 1 : unit == u'm' ? 60 : unit == u'h' ? 3600 : 86400;
        // Ten years is more history than any store keeps; beyond it a typo is likelier than a wish.
        if (!ok || n > 3650 * 86400 / scale)
            return std::nullopt;
        seconds += n * scale;
    }
    if (seconds > qint64(3650) * 86400)
        return std::nullopt;
    return std::chrono::seconds(seconds);
}

bool isTwitchLogin(const QString &text) {
    static const QRegularExpression login(QStringLiteral("^[A-Za-z0-9_]{1,25}$"));
    return login.match(text).hasMatch();
}

std::variant<Options, UsageError, ShowText> parseOptions(const QStringList &arguments) {
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.setApplicationDescription(
        QStringLiteral("Prints the live feed of a Twitch channel (follows, cheers, subs, gifts, raids, "
                       "online/offline) as one "
                       "JSON object a line, from the same sources as streams-viewer."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help and exit."));
    const QCommandLineOption version(QStringLiteral("version"), QStringLiteral("Show the version and exit."));
    const QCommandLineOption channel(QStringLiteral("channel"),
                                     QStringLiteral("The channel to watch (its Twitch login)."),
                                     QStringLiteral("LOGIN"));
    const QCommandLineOption profile(
        QStringLiteral("profile"),
        QStringLiteral("The profile folder (settings, event history, keychain entry) shared with "
                       "streams-viewer --profile DIR; default: streams-viewer's app-data folder."),
        QStringLiteral("DIR"));
    const QCommandLineOption relay(
        QStringLiteral("relay"), QStringLiteral("The relay's address for this run; default: the profile's."),
        QStringLiteral("URL"));
    const QCommandLineOption since(
        QStringLiteral("since"),
        QStringLiteral(
            "Also print the events of the last DURATION (e.g. 90s, 10m, 2h, 1d) from the history, "
            "the relay's replay and Twitch's latest followers; default: only what happens from now."),
        QStringLiteral("DURATION"));
    const QCommandLineOption login(
        QStringLiteral("login"),
        QStringLiteral("Log in first with a code (device flow): prints a code and an address, waits until "
                       "the code is entered there, keeps the login in the keychain, then runs."));
    const QCommandLineOption clientId(
        QStringLiteral("client-id"),
        QStringLiteral("The Twitch application to log in to when no relay names one (or TWITCH_CLIENT_ID)."),
        QStringLiteral("ID"));
    const QCommandLineOption verbose(QStringLiteral("verbose"),
                                     QStringLiteral("Also log what the sources are doing on stderr."));
    parser.addOptions({help, version, channel, profile, relay, since, login, clientId, verbose});

    if (!parser.parse(arguments))
        return UsageError{usage(parser.errorText())};
    if (parser.isSet(help))
        return ShowText{parser.helpText()};
    if (parser.isSet(version))
        return ShowText{QStringLiteral("streams-events %1\n").arg(QLatin1String(STREAMS_VERSION))};
    if (!parser.positionalArguments().isEmpty())
        return UsageError{
            usage(QStringLiteral("unexpected argument '%1'.").arg(parser.positionalArguments().first()))};
    for (const QCommandLineOption *single : {&channel, &profile, &relay, &since, &clientId})
        if (parser.values(*single).size() > 1)
            return UsageError{
                usage(QStringLiteral("--%1 given more than once.").arg(single->names().first()))};

    Options o;
    if (!parser.isSet(channel))
        return UsageError{usage(QStringLiteral("--channel is required."))};
    o.channel = parser.value(channel).trimmed();
    if (!isTwitchLogin(o.channel))
        return UsageError{
            usage(QStringLiteral("--channel must be a Twitch login (letters, digits, _), got '%1'.")
                      .arg(parser.value(channel)))};
    o.channel = o.channel.toLower();
    if (parser.isSet(profile)) {
        if (parser.value(profile).isEmpty())
            return UsageError{usage(QStringLiteral("--profile needs a folder."))};
        o.profile = QDir(parser.value(profile)).absolutePath();
    }
    if (parser.isSet(relay)) {
        const QUrl url = QUrl::fromUserInput(parser.value(relay));
        if (parser.value(relay).isEmpty() || !url.isValid() ||
            (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty())
            return UsageError{usage(QStringLiteral("--relay must be an http:// or https:// URL, got '%1'.")
                                        .arg(parser.value(relay)))};
        o.relay = url;
    }
    if (parser.isSet(since)) {
        const auto duration = parseDuration(parser.value(since));
        if (!duration)
            return UsageError{
                usage(QStringLiteral("--since must be a duration such as 90s, 10m, 2h or 1d, got "
                                     "'%1'.")
                          .arg(parser.value(since)))};
        o.since = *duration;
    }
    o.clientId = parser.isSet(clientId) ? parser.value(clientId) : qEnvironmentVariable("TWITCH_CLIENT_ID");
    o.login = parser.isSet(login);
    o.verbose = parser.isSet(verbose);
    return o;
}

} // namespace streams::cli
