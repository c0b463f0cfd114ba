# streams-relay: a library the tests link, and the program.
find_package(Boost 1.81 REQUIRED) # Asio and Beast are header-only (Debian 12: 1.81, Ubuntu 24.04 and Debian 13: 1.83)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED) # the event log's writer uses SQLite's API directly
find_package(PkgConfig REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis) # fan-out between relays (STREAMS_RELAY_REDIS_URL)
find_package(PostgreSQL REQUIRED) # libpq: the event log's writer on PostgreSQL (STREAMS_RELAY_DATABASE_URL)
add_library(streams_relay_lib STATIC
    eventsub/webhook.h eventsub/webhook.cpp
    eventsub/twitchapi.h eventsub/twitchapi.cpp
    eventsub/subscriptionmanager.h eventsub/subscriptionmanager.cpp
    eventsub/coordinator.h eventsub/coordinator.cpp
    storage/database.h storage/database.cpp
    storage/eventstore.h storage/eventstore.cpp
    storage/logwriter.h
    storage/sqlitewriter.h storage/sqlitewriter.cpp
    storage/pgwriter.h storage/pgwriter.cpp
    net/iopool.h net/iopool.cpp
    net/httpserver.h net/httpserver.cpp
    net/sendqueue.h net/sendqueue.cpp
    hub/gatekeeper.h
    hub/replayreader.h hub/replayreader.cpp
    hub/clientsession.h hub/clientsession.cpp
    hub/hub.h hub/hub.cpp
    fanout/redisbus.h fanout/redisbus.cpp
    fanout/sequencer.h fanout/sequencer.cpp
    server/config.h server/config.cpp
    server/logging.h server/logging.cpp
    metrics/metrics.h metrics/metrics.cpp
    server/routes.h server/routes.cpp
    server/relayservice.h server/relayservice.cpp)
target_include_directories(streams_relay_lib PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(streams_relay_lib PUBLIC BOOST_ASIO_NO_DEPRECATED)
target_link_libraries(streams_relay_lib PUBLIC streams_protocol streams_platform streams_migrations
    Qt6::Core Qt6::Network Qt6::Sql Boost::headers OpenSSL::Crypto SQLite::SQLite3 PostgreSQL::PostgreSQL PkgConfig::HIREDIS Threads::Threads)

# relay/'s folders (eventsub/, storage/, hub/, server/ …) are the relay's own: the program and the relay's
# tests include them by linking this target; nothing else links it (the app has relay/protocol and
# relay/platform only).
add_library(streams_relay_internals INTERFACE)
target_include_directories(streams_relay_internals INTERFACE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(streams_relay_internals INTERFACE streams_relay_lib)

add_executable(streams-relay main.cpp)
target_link_libraries(streams-relay PRIVATE streams_relay_internals)
install(TARGETS streams-relay RUNTIME DESTINATION bin COMPONENT relay)
