# The relay's own headers (eventsub/webhook.h): streams_relay_internals, not the app's view of relay/.
streams_add_test(tst_webhook SOURCES relay/tst_webhook.cpp LIBS streams_relay_internals)
streams_add_test(tst_eventstore SOURCES relay/tst_eventstore.cpp LIBS streams_relay_internals)
streams_add_test(tst_sendqueue SOURCES relay/tst_sendqueue.cpp LIBS streams_relay_internals streams_testsupport)
add_library(streams_relayharness STATIC relay/relayharness.h relay/relayharness.cpp)
target_include_directories(streams_relayharness PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/relay)
target_link_libraries(streams_relayharness PUBLIC streams_testsupport Qt6::WebSockets Qt6::Test)
target_compile_definitions(streams_relayharness PUBLIC STREAMS_RELAY_PATH="$<TARGET_FILE:streams-relay>")
add_dependencies(streams_relayharness streams-relay)

streams_add_test(tst_relay SOURCES relay/tst_relay.cpp LIBS streams_relayharness Qt6::Sql TIMEOUT 300)
streams_add_test(tst_relay_limits SOURCES relay/tst_relay_limits.cpp LIBS streams_relayharness TIMEOUT 300)
streams_add_test(tst_relay_hostile SOURCES relay/tst_relay_hostile.cpp LIBS streams_relayharness TIMEOUT 300)

# The same suites with the event log on PostgreSQL (STREAMS_RELAY_DATABASE_URL): the harness starts a server
# (initdb + pg_ctl from Debian's postgresql package, as nobody when run as root) and gives each relay its own
# database.
foreach(suite tst_relay tst_relay_limits tst_relay_hostile)
    add_test(NAME ${suite}_postgres COMMAND ${suite})
    set_tests_properties(${suite}_postgres PROPERTIES TIMEOUT 300 LABELS postgres
        ENVIRONMENT "QT_QPA_PLATFORM=offscreen;STREAMS_TEST_DATABASE=postgres")
endforeach()

# Three relays on one PostgreSQL and one Redis (real servers the test starts).
streams_add_test(tst_relay_cluster SOURCES relay/tst_relay_cluster.cpp LIBS streams_relayharness TIMEOUT 300)
set_tests_properties(tst_relay_cluster PROPERTIES LABELS "postgres;redis")
