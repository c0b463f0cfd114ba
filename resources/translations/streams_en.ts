<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>EventSub</name>
    <message>
        <source>follows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cheers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>subscriptions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>resubscriptions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>gifted subscriptions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>raids</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>live and offline changes</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FeedEvent</name>
    <message>
        <source> (Tier 2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (Tier 3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>followed</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>cheered %n bits</source>
        <translation>
            <numerusform>cheered %n bit</numerusform>
            <numerusform>cheered %n bits</numerusform>
        </translation>
    </message>
    <message>
        <source>subscribed</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>resubscribed for %n months</source>
        <translation>
            <numerusform>resubscribed for %n month</numerusform>
            <numerusform>resubscribed for %n months</numerusform>
        </translation>
    </message>
    <message>
        <source>gifted a sub</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>gifted %n subs</source>
        <translation>
            <numerusform>gifted %n sub</numerusform>
            <numerusform>gifted %n subs</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>raided with %n viewers</source>
        <translation>
            <numerusform>raided with %n viewer</numerusform>
            <numerusform>raided with %n viewers</numerusform>
        </translation>
    </message>
    <message>
        <source>went live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>went offline</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>just now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 h ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 d ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No keychain is available (%1): you stay logged in only until the app closes.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RelayConfig</name>
    <message>
        <source>the answer is not a relay configuration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the relay did not name its Twitch application</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the relay speaks protocol %1, this app speaks %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the relay&apos;s redirect URI is not a URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>“%1” is not an http:// or https:// address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the relay cannot be reached (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the relay answered %1; is this a Streams relay?</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Watch a Twitch stream next to its live follows, cheers, subs and raids.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The relay&apos;s address (kept for next time).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep all data (settings, event history) in DIR; default: the system&apos;s app-data folder.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::app::AuthSession</name>
    <message>
        <source>Your Twitch login has expired or was revoked. Please log in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch cannot be reached to renew your login; retrying later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This login belongs to another application. Please log in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch cannot be reached to check your login; retrying later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You logged out.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::app::DeviceFlow</name>
    <message>
        <source>Twitch did not start the code login (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The code login was declined on Twitch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The code expired. Start again for a new one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch refused the code login (%1).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::app::EventSubSession</name>
    <message>
        <source>Twitch had an internal error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch says the app sent it a message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch&apos;s ping went unanswered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no subscription was created in time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the reconnect took too long</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the network timed out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a network error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch refused the reconnect address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the connection to Twitch was lost</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Twitch was silent for %n s</source>
        <translation>
            <numerusform>Twitch was silent for %n s</numerusform>
            <numerusform>Twitch was silent for %n s</numerusform>
        </translation>
    </message>
    <message>
        <source>nothing to receive for this channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>EventSub: off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>EventSub: connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>EventSub: subscribing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>EventSub: live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>EventSub: reconnecting (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>EventSub: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nothing left to receive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch revoked every subscription</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the reconnect failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch refused every subscription</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::app::FeedController</name>
    <message>
        <source>Twitch stopped sending this channel&apos;s %1 to the app (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch refused to send this channel&apos;s %1 to the app: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::app::FeedExport</name>
    <message>
        <source>The export was cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::app::FeedModel</name>
    <message>
        <source>, unread</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::app::RelayClient</name>
    <message>
        <source>the connection to the relay was lost</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting to the relay…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected to the relay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reconnecting in %1 s: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relay unavailable: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this relay speaks another protocol version; update the app</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch stopped sending this channel&apos;s follows to you (%1).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::cli::EventsCommand</name>
    <message>
        <source>no Twitch application: give --relay URL (the relay names it) or --client-id ID (or set TWITCH_CLIENT_ID).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the relay at %1 is not usable: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--client-id is ignored: the relay at %1 names the Twitch application.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 Log in again with streams-events --login --channel %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch shows %1&apos;s follows only to the broadcaster and its moderators.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this login does not allow %1 (%2): log in again with streams-events --login to receive them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>relay: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>chat: the connection was lost; reconnecting.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>to log in, open %1 and enter the code %2 (valid for %3 minutes); waiting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>login failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not logged in%1: run streams-events --login --channel %2 (or log in with streams-viewer using the same profile).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot look up the channel %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch has no channel named %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the event history cannot be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::ChannelDelegate</name>
    <message>
        <source>LIVE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 viewers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::ChannelListModel</name>
    <message>
        <source>, live: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::ExportDialog</name>
    <message>
        <source>Export events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every event of %1 in the period, oldest first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The events of %1 in the period that the feed&apos;s filter shows (%2), oldest first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Everything</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Custom period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Period:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;From:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;To:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV (spreadsheets)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JSON</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F&amp;ormat:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::FeedExportFlow</name>
    <message>
        <source>Export events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Exporting %n events…</source>
        <translation>
            <numerusform>Exporting %n event…</numerusform>
            <numerusform>Exporting %n events…</numerusform>
        </translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Exported %n events to %1.</source>
        <translation>
            <numerusform>Exported %n event to %1.</numerusform>
            <numerusform>Exported %n events to %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>The export was cancelled; no file was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The events could not be exported to %1: %2. Choose another file or folder and try again.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::FeedPanel</name>
    <message>
        <source>All</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show every kind of event</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Follows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cheers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Subs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gifts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Raids</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show %1 only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Event feed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show new events</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>↑ %n new</source>
        <translation>
            <numerusform>↑ %n new</numerusform>
            <numerusform>↑ %n new</numerusform>
        </translation>
    </message>
    <message>
        <source>Twitch shows follows only to the broadcaster and moderators — cheers, subs, gifts and raids from chat still appear here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing of this kind yet. New events appear here as they happen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No events yet. Follows, cheers, subs, gifts and raids appear here as they happen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No events for %1 yet. Follows, cheers, subs, gifts and raids appear here as they happen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unread events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark all &amp;read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E&amp;xport…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the events of a period, as filtered here, to a CSV or JSON file</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n unread</source>
        <translation>
            <numerusform>%n unread</numerusform>
            <numerusform>%n unread</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Copy user name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open the channel in the browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open %1&apos;s channel in the browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Replay as alert</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Mark read</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::LoginDialog</name>
    <message>
        <source>Log in with Twitch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading Twitch&apos;s login page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch login page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log in with a &amp;code instead</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch&apos;s login page could not be loaded. Check your internet connection.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Try again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your login code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Co&amp;py code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open the activation page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for approval on Twitch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Asking Twitch for a code…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>On any device, open &lt;a href=&quot;%1&quot;&gt;%2&lt;/a&gt; and enter this code:</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Waiting for you to approve on Twitch. The code works for %n minutes.</source>
        <translation>
            <numerusform>Waiting for you to approve on Twitch. The code works for %n minute.</numerusform>
            <numerusform>Waiting for you to approve on Twitch. The code works for %n minutes.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>streams::ui::MainWindow</name>
    <message>
        <source>Account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relay connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chat connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stream status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Log in with Twitch…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log in with a &amp;code…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Switch account…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log &amp;out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Change streamer…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ctrl+K</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Jump to &amp;newest event</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ctrl+Home</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;System</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Light</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Dark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Do not disturb</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ctrl+D</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Stream</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open in browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ctrl+O</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Reload player</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ctrl+,</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;About Streams &amp; Events Viewer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About Streams &amp; Events Viewer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;h3&gt;Streams &amp;amp; Events Viewer %1&lt;/h3&gt;&lt;p&gt;Watch a Twitch stream next to its live follows, cheers, subs, gifts and raids.&lt;/p&gt;&lt;p&gt;Not affiliated with Twitch.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Show window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting to the relay at %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The relay at %1 is not usable: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Live · %1 viewers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Live</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking your login…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logged in as %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 — %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relay: not connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relay: idle</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chat: #%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chat: connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chat: reconnecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chat: off</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Trying again in %n s.</source>
        <translation>
            <numerusform>Trying again in %n s.</numerusform>
            <numerusform>Trying again in %n s.</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Export events…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ctrl+E</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export events</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch EventSub connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the address of your relay (the server that forwards Twitch&apos;s events), or start the app with TWITCH_CLIENT_ID set to your Twitch application&apos;s client ID to use it without a relay.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No relay is set: the app gets the events straight from Twitch — over EventSub for a channel you broadcast or moderate, from chat for the others, and the latest follows from Twitch. A relay adds what happened while the app was closed, and serves many clients at once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relay: none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Events come straight from Twitch. A relay (Settings) adds what happened while the app was closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch sends a channel&apos;s events to the app directly when you are its broadcaster or one of its moderators.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Straight from Twitch: %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::Notifier</name>
    <message>
        <source>New event</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n new events</source>
        <translation>
            <numerusform>%n new event</numerusform>
            <numerusform>%n new events</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>and %n more</source>
        <translation>
            <numerusform>and %n more</numerusform>
            <numerusform>and %n more</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>streams::ui::PickerPage</name>
    <message>
        <source>Twitch cannot be reached. Check your connection; the list refreshes when you type.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your Twitch login is no longer valid. Please log in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch asks us to slow down; try again in a moment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Twitch answered with an error: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;h2&gt;Choose your streamer&lt;/h2&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Back to the stream</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search Twitch channels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search channels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search results</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Channels you follow&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Channels you follow</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the channels you follow…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You don&apos;t follow any channels yet. Search for one above.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No channel matches “%1”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Your channel&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Channels you moderate&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Channels you moderate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log in again to see the channels you moderate here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the channels you moderate…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::PlayerView</name>
    <message>
        <source>Stream player</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open in &amp;browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is offline right now. Their events still arrive in the feed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The player could not be loaded (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open in browser</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1&apos;s stream</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The player did not load.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This build of Qt WebEngine cannot play H.264 video, which Twitch streams use.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relay address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Relay address:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show a desktop &amp;notification for new follows, cheers, subs and raids</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Notifications:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Do not disturb</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Light</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Theme</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Theme:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Log out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Revokes the login at Twitch and forgets it on this computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none: events straight from Twitch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A relay (https://relay.example.org) keeps what happened while the app was closed and serves many clients; leave it empty to use the app without one</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::SourceBanner</name>
    <message>
        <source>About this feed&apos;s sources</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log in &amp;again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Opens Twitch&apos;s login, which asks you to grant what these features need</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feed notices</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This channel&apos;s %1 can come straight from Twitch, but your login does not allow it yet. Log in again and grant it on Twitch&apos;s page; until then the feed shows what the relay and chat deliver.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::StreamPage</name>
    <message>
        <source>LIVE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;hange streamer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose another streamer (Ctrl+K)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 viewers</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>streams::ui::WelcomePage</name>
    <message>
        <source>&lt;h1&gt;Streams &amp;amp; Events Viewer&lt;/h1&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Watch your favorite streamer next to a live feed of follows, cheers, subs, gifts and raids as they happen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Log in with Twitch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log in with a &amp;code instead</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relay address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Co&amp;nnect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Relay:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting to the relay…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use a &amp;relay…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A relay keeps what happened while the app was closed and serves many clients</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
