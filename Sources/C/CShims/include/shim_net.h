// Linux socket headers missing from Swift's Glibc module (epoll, eventfd, accept4), plus the
// shim_tls.h TLS macros (kept beside the socket shims because only the transport uses them).
#ifndef SHIM_NET_H
#define SHIM_NET_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include "shim_tls.h"

/// accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC) (accept4 needs _GNU_SOURCE).
int cshim_accept_nonblocking(int fd);
/// setsockopt(fd, level, name, &value, sizeof(int)).
int cshim_setsockopt_int(int fd, int level, int name, int value);
#endif
