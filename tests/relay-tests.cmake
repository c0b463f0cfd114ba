streams_add_test(tst_webhook SOURCES relay/tst_webhook.cpp LIBS streams_relay_lib)
streams_add_test(tst_relay SOURCES relay/tst_relay.cpp LIBS streams_testsupport streams_relay_lib Qt6::WebSockets
    TIMEOUT 300)
target_compile_definitions(tst_relay PRIVATE STREAMS_RELAY_PATH="$<TARGET_FILE:streams-relay>")
add_dependencies(tst_relay streams-relay)
