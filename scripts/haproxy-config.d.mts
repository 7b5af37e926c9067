export function haproxyConfig(options: {
  port: number;
  servers: Array<{ name: string; host: string; port: number }>;
  stats?: number;
  maxconn?: number;
}): string;
