// Builds the HAProxy configuration for Herald's socket nodes: sticky sessions (a cookie) so that
// long-polling requests of one Socket.IO session reach the node that holds it, WebSocket upgrades
// passed through, long tunnel timeouts, and health checks on /readyz. docs/deploy/haproxy.cfg is
// this function's output for two nodes.

/**
 * @param {{ port: number, servers: Array<{ name: string, host: string, port: number }>, stats?: number, maxconn?: number, perClient?: number }} options
 * @returns {string}
 */
export function haproxyConfig({ port, servers, stats, maxconn = 9000, perClient = 500 }) {
  return `# Herald behind HAProxy: sticky sessions for long-polling, WebSocket upgrades, health checks.
global
    # Each proxied connection holds two file descriptors; raise with \`ulimit -n\` for more.
    maxconn ${maxconn}

defaults
    mode http
    option http-server-close
    # Tell the nodes who the client is (they trust it from the proxy: HERALD_TRUST_PROXY).
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    # An upgraded WebSocket is a tunnel: keep it open between Socket.IO's pings (25 s).
    timeout tunnel 1h
    timeout http-keep-alive 10s
    # Slowloris: a client gets 10 s to send its request headers (Herald's own HERALD_HEADERS_TIMEOUT_MS
    # default). Herald applies its body deadline behind the proxy as well.
    timeout http-request 10s
    # A node that died: retry the connection on another one instead of failing the client.
    retries 3
    option redispatch

frontend herald
    bind *:${port}
    # At most ${perClient} connections per client address. Herald exempts its trusted proxies from its
    # own per-address cap (HERALD_MAX_CONNECTIONS_PER_ADDRESS), so the cap is kept here instead.
    stick-table type ipv6 size 1m expire 1m store conn_cur
    tcp-request connection track-sc0 src
    tcp-request connection reject if { sc0_conn_cur gt ${perClient} }
    default_backend herald_nodes

backend herald_nodes
    balance roundrobin
    # Sticky sessions: polling requests of one Socket.IO session go to the node that holds it.
    cookie herald_node insert indirect nocache httponly
    option httpchk GET /readyz
    http-check expect status 200
${servers.map((s) => `    server ${s.name} ${s.host}:${s.port} check inter 2s fall 2 rise 2 cookie ${s.name}`).join('\n')}
${stats ? `\nfrontend stats\n    bind 127.0.0.1:${stats}\n    stats enable\n    stats uri /\n` : ''}`;
}
