// Linux socket headers missing from Swift's Glibc module (epoll, eventfd, accept4).
#ifndef SHIM_NET_H
#define SHIM_NET_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif
