// Builds the HAProxy configuration for Herald's socket nodes: sticky sessions (a cookie) so that
// long-polling requests of one Socket.IO session reach the node that holds it, WebSocket upgrades
// passed through, long tunnel timeouts, and health checks on /readyz. docs/deploy/haproxy.cfg is
// this function's output for two nodes.

/**
 * @param {{ port: number, servers: Array<{ name: string, host: string, port: number }>, stats?: number, maxconn?: number }} options
 * @returns {string}
 */
export function haproxyConfig({ port, servers, stats, maxconn = 9000 }) {
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
    # A node that died: retry the connection on another one instead of failing the client.
    retries 3
    option redispatch

frontend herald
    bind *:${port}
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
