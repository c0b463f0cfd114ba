# streams-relay: a library the tests link, and the program.
add_library(streams_relay_lib STATIC
    eventsub/webhook.h eventsub/webhook.cpp
    eventsub/twitchapi.h eventsub/twitchapi.cpp
    eventsub/subscriptionmanager.h eventsub/subscriptionmanager.cpp
    storage/database.h storage/database.cpp
    storage/eventstore.h storage/eventstore.cpp
    hub/gatekeeper.h
    hub/hubworker.h hub/hubworker.cpp
    hub/hub.h hub/hub.cpp
    server/acceptor.h server/acceptor.cpp
    server/config.h server/config.cpp
    server/logging.h server/logging.cpp
    server/metrics.h server/metrics.cpp
    server/relayservice.h server/relayservice.cpp)
target_include_directories(streams_relay_lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(streams_relay_lib PUBLIC streams_protocol streams_platform
    Qt6::Core Qt6::Network Qt6::HttpServer Qt6::WebSockets Qt6::Sql)

add_executable(streams-relay main.cpp)
target_link_libraries(streams-relay PRIVATE streams_relay_lib)
install(TARGETS streams-relay RUNTIME DESTINATION bin COMPONENT relay)
