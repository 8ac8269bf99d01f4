#include "CRabbitMQ.h"
#include <poll.h>
#include <errno.h>

amqp_rpc_reply_t memgrid_amqp_login_plain(amqp_connection_state_t state,
                                          const char *vhost,
                                          int channel_max,
                                          int frame_max,
                                          int heartbeat,
                                          const char *user,
                                          const char *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat,
                      AMQP_SASL_METHOD_PLAIN, user, password);
}

int memgrid_amqp_wait(amqp_connection_state_t state, int wake_fd, int timeout_ms) {
    if (amqp_frames_enqueued(state) || amqp_data_in_buffer(state)) {
        return 1;
    }
    struct pollfd fds[2];
    fds[0].fd = amqp_get_sockfd(state);
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    fds[1].fd = wake_fd;
    fds[1].events = POLLIN;
    fds[1].revents = 0;
    int rc;
    do {
        rc = poll(fds, 2, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -1;
    int result = 0;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) result |= 1;
    if (fds[1].revents & POLLIN) result |= 2;
    return result;
}

amqp_field_value_t memgrid_field_utf8(amqp_bytes_t bytes) {
    amqp_field_value_t value;
    value.kind = AMQP_FIELD_KIND_UTF8;
    value.value.bytes = bytes;
    return value;
}

amqp_field_value_t memgrid_field_i64(int64_t v) {
    amqp_field_value_t value;
    value.kind = AMQP_FIELD_KIND_I64;
    value.value.i64 = v;
    return value;
}

amqp_field_value_t memgrid_field_bool(int v) {
    amqp_field_value_t value;
    value.kind = AMQP_FIELD_KIND_BOOLEAN;
    value.value.boolean = v ? 1 : 0;
    return value;
}

int memgrid_field_as_i64(const amqp_field_value_t *value, int64_t *out) {
    switch (value->kind) {
    case AMQP_FIELD_KIND_I8: *out = value->value.i8; return 1;
    case AMQP_FIELD_KIND_U8: *out = value->value.u8; return 1;
    case AMQP_FIELD_KIND_I16: *out = value->value.i16; return 1;
    case AMQP_FIELD_KIND_U16: *out = value->value.u16; return 1;
    case AMQP_FIELD_KIND_I32: *out = value->value.i32; return 1;
    case AMQP_FIELD_KIND_U32: *out = value->value.u32; return 1;
    case AMQP_FIELD_KIND_I64: *out = value->value.i64; return 1;
    case AMQP_FIELD_KIND_U64: *out = (int64_t)value->value.u64; return 1;
    default: return 0;
    }
}

#include <sys/eventfd.h>
#include <unistd.h>
#include <stdint.h>

int memgrid_wake_fd_create(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void memgrid_wake_fd_signal(int fd) {
    uint64_t one = 1;
    ssize_t rc;
    do { rc = write(fd, &one, sizeof(one)); } while (rc < 0 && errno == EINTR);
}

void memgrid_wake_fd_drain(int fd) {
    uint64_t value;
    ssize_t rc;
    do { rc = read(fd, &value, sizeof(value)); } while (rc < 0 && errno == EINTR);
}

void memgrid_wake_fd_close(int fd) {
    close(fd);
}
