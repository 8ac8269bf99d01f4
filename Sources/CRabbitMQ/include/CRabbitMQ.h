#ifndef MEMGRID_CRABBITMQ_H
#define MEMGRID_CRABBITMQ_H

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>
#include <amqp_framing.h>

/// amqp_login is variadic (SASL arguments), which Swift cannot call: PLAIN login here.
amqp_rpc_reply_t memgrid_amqp_login_plain(amqp_connection_state_t state,
                                          const char *vhost,
                                          int channel_max,
                                          int frame_max,
                                          int heartbeat,
                                          const char *user,
                                          const char *password);

/// Blocks in poll(2) until the connection's socket or `wake_fd` is readable, or the
/// timeout passes. Returns a bit set: 1 = socket readable, 2 = wake fd readable;
/// 0 on timeout, -1 on error (errno set). Buffered frames count as readable.
int memgrid_amqp_wait(amqp_connection_state_t state, int wake_fd, int timeout_ms);

/// Field-value constructors: the union inside amqp_field_value_t is awkward from Swift.
amqp_field_value_t memgrid_field_utf8(amqp_bytes_t bytes);
amqp_field_value_t memgrid_field_i64(int64_t value);
amqp_field_value_t memgrid_field_bool(int value);

/// Reads an integer header value of any AMQP integer width; returns 0 if not integral.
int memgrid_field_as_i64(const amqp_field_value_t *value, int64_t *out);

/// Wake-up channel (an eventfd) so other threads can interrupt the connection
/// thread's poll when they enqueue work.
int memgrid_wake_fd_create(void);
void memgrid_wake_fd_signal(int fd);
void memgrid_wake_fd_drain(int fd);
void memgrid_wake_fd_close(int fd);

/// Method ids and property flags as plain constants: the macros use casts that
/// Swift does not import.
static const uint32_t MEMGRID_BASIC_DELIVER = AMQP_BASIC_DELIVER_METHOD;
static const uint32_t MEMGRID_BASIC_ACK = AMQP_BASIC_ACK_METHOD;
static const uint32_t MEMGRID_BASIC_NACK = AMQP_BASIC_NACK_METHOD;
static const uint32_t MEMGRID_BASIC_RETURN = AMQP_BASIC_RETURN_METHOD;
static const uint32_t MEMGRID_BASIC_CANCEL = AMQP_BASIC_CANCEL_METHOD;
static const uint32_t MEMGRID_BASIC_CANCEL_OK = AMQP_BASIC_CANCEL_OK_METHOD;
static const uint32_t MEMGRID_CHANNEL_CLOSE = AMQP_CHANNEL_CLOSE_METHOD;
static const uint32_t MEMGRID_CONNECTION_CLOSE = AMQP_CONNECTION_CLOSE_METHOD;
static const uint32_t MEMGRID_CONNECTION_BLOCKED = AMQP_CONNECTION_BLOCKED_METHOD;
static const uint32_t MEMGRID_CONNECTION_UNBLOCKED = AMQP_CONNECTION_UNBLOCKED_METHOD;

static const uint32_t MEMGRID_PROP_CONTENT_TYPE = AMQP_BASIC_CONTENT_TYPE_FLAG;
static const uint32_t MEMGRID_PROP_HEADERS = AMQP_BASIC_HEADERS_FLAG;
static const uint32_t MEMGRID_PROP_DELIVERY_MODE = AMQP_BASIC_DELIVERY_MODE_FLAG;
static const uint32_t MEMGRID_PROP_CORRELATION_ID = AMQP_BASIC_CORRELATION_ID_FLAG;
static const uint32_t MEMGRID_PROP_REPLY_TO = AMQP_BASIC_REPLY_TO_FLAG;
static const uint32_t MEMGRID_PROP_EXPIRATION = AMQP_BASIC_EXPIRATION_FLAG;
static const uint32_t MEMGRID_PROP_MESSAGE_ID = AMQP_BASIC_MESSAGE_ID_FLAG;
static const uint32_t MEMGRID_PROP_TIMESTAMP = AMQP_BASIC_TIMESTAMP_FLAG;
static const uint32_t MEMGRID_PROP_TYPE = AMQP_BASIC_TYPE_FLAG;
static const uint32_t MEMGRID_PROP_APP_ID = AMQP_BASIC_APP_ID_FLAG;

#endif
