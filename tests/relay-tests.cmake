# The relay's own headers (eventsub/webhook.h): streams_relay_internals, not the app's view of relay/.
streams_add_test(tst_webhook SOURCES relay/tst_webhook.cpp LIBS streams_relay_internals)
add_library(streams_relayharness STATIC relay/relayharness.h relay/relayharness.cpp)
target_include_directories(streams_relayharness PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/relay)
target_link_libraries(streams_relayharness PUBLIC streams_testsupport Qt6::WebSockets Qt6::Test)
target_compile_definitions(streams_relayharness PUBLIC STREAMS_RELAY_PATH="$<TARGET_FILE:streams-relay>")
add_dependencies(streams_relayharness streams-relay)

streams_add_test(tst_relay SOURCES relay/tst_relay.cpp LIBS streams_relayharness Qt6::Sql TIMEOUT 300)
streams_add_test(tst_relay_limits SOURCES relay/tst_relay_limits.cpp LIBS streams_relayharness TIMEOUT 300)
streams_add_test(tst_relay_hostile SOURCES relay/tst_relay_hostile.cpp LIBS streams_relayharness TIMEOUT 300)
