#!/usr/bin/env bash
# Start the local services the distributed mode and its tests use, when they are down:
# PostgreSQL (127.0.0.1:5432), Redis (127.0.0.1:6379) and RabbitMQ (127.0.0.1:5672).
# Safe to run repeatedly.
set -u

have() { command -v "$1" >/dev/null 2>&1; }

if have pg_isready && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if have pg_ctlcluster && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi

if have redis-cli && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if have redis-server; then
    echo "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

if have rabbitmq-server && ! port_open 5672; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
fi

for _ in $(seq 1 60); do
  pg_ok=1; redis_ok=1; rabbit_ok=1
  if have pg_isready; then pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || pg_ok=0; fi
  if have redis-cli; then redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis_ok=0; fi
  if have rabbitmq-server; then port_open 5672 || rabbit_ok=0; fi
  [ "$pg_ok" = 1 ] && [ "$redis_ok" = 1 ] && [ "$rabbit_ok" = 1 ] && exit 0
  sleep 1
done
echo "warning: PostgreSQL, Redis or RabbitMQ did not come up" >&2
exit 0
